"""Shopee's lost pushes (reference §7), the channel's list of missed notifications: pushes Shopee gave up
delivering after its retries, kept 3 days. `get_lost_push_message` (a public call) lists the earliest 100
not yet confirmed, each with the push as it was sent (`data`, a JSON string) and when it was lost;
`confirm_consumed_lost_push_message` with the `last_message_id` of a page stops listing it, and only then
is the next page listed.

Each lost push becomes the event its live delivery would have queued (`parse_shopee_push`, same id), so a
push that arrived live and is listed as lost too is one event. Its timestamp is not held to the
receiver's window: the list is Shopee's own answer, and reaches 3 days back. A listed message that cannot
be read is returned with its problem, for a person, never dropped."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tiktok_pipelines.channels.base.notifications import MissedNotification, MissedPage
from tiktok_pipelines.channels.shopee.client import PUBLIC
from tiktok_pipelines.channels.shopee.notifications import parse_shopee_push
from tiktok_pipelines.core.events import EventRejected

LIST_PATH = "/api/v2/push/get_lost_push_message"
CONFIRM_PATH = "/api/v2/push/confirm_consumed_lost_push_message"


def push_body(message: dict[str, Any]) -> bytes:
    """The push a lost message holds: its `data` string is the whole push as sent (the reference's
    sample); a `data` that is only the push's own `data` object is put back in its envelope."""
    text = message.get("data")
    if not isinstance(text, str):
        raise EventRejected("the lost message's `data` is not a string")
    try:
        parsed = json.loads(text.removeprefix("\ufeff"))
    except ValueError:
        raise EventRejected("the lost message's `data` is not JSON") from None
    if isinstance(parsed, dict) and "code" in parsed and isinstance(parsed.get("data"), dict):
        return text.encode("utf-8")
    envelope: dict[str, Any] = {"data": parsed}
    if message.get("shop_id") is not None:
        envelope["shop_id"] = message["shop_id"]
    envelope |= {"code": message.get("code"), "timestamp": message.get("timestamp")}
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def read_lost_message(message: Any, received_at: datetime) -> MissedNotification:
    """One listed lost push: the event it is, or its text with why it cannot be read."""
    if not isinstance(message, dict):
        return MissedNotification(None, json.dumps(message, default=str)[:10_000], "not an object")
    shop = message.get("shop_id")
    routing_key = "" if shop is None else str(shop)
    try:
        event = parse_shopee_push(push_body(message), received_at=received_at, window=None)
    except EventRejected as exc:
        raw = json.dumps(message, ensure_ascii=False, default=str)[:10_000]
        return MissedNotification(None, raw, str(exc), routing_key)
    return MissedNotification(event, routing_key=event.routing_key)


class ShopeeLostPushes:
    """The partner app's lost pushes, called with the app's public client (`client()`, `ShopeeAuth`'s)."""

    client: Any

    def missed_notifications(self) -> MissedPage:
        with self.client() as api:
            answer = api.call("GET", LIST_PATH, api_type=PUBLIC).get("response") or {}
        now = datetime.now(UTC)
        listed = answer.get("push_message_list") or []
        return MissedPage(
            tuple(read_lost_message(m, now) for m in listed),
            answer.get("last_message_id") if listed else None,
            bool(answer.get("has_next_page")) and bool(listed),
        )

    def confirm_missed(self, page: MissedPage) -> None:
        if page.last_id is None:
            return
        with self.client() as api:
            api.call("POST", CONFIRM_PATH, api_type=PUBLIC, json={"last_message_id": int(page.last_id)})
