"""Shopee's pushes (the `NotificationApi` of the channel, reference §7): the `Authorization` header checked
over `callback_url|raw body`, the envelope `{shop_id, code, timestamp, data}`, the `data` fields each code
is handled by, and what each code tells.

A push carries no id of its own, and Shopee sends the same push again until it is acknowledged, so an
event's id is what makes two arrivals the same news: for an order status push (code 3) the order, its
status and its `update_time`; for any other push the digest of its content (its JSON with the keys in
order and no spaces, so the same push listed later as lost, re-serialized, is the same event).
Partner-level pushes (codes 1, 2, 12) have no top-level `shop_id`: the shop is the one their `data` names.

Codes 4 (a tracking number) and 15 (a shipping document READY or FAILED) are news of the order's package
(the fulfilment lane; an order's `order_sn` is its package); code 8 (a promotion's reserved stock of an
item changed) asks the stock lane to read that item again; any other code is recorded and acknowledged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

from tiktok_pipelines.channels.base.notifications import NotificationApi
from tiktok_pipelines.channels.shopee.client import push_signature_matches
from tiktok_pipelines.core import event_payloads as payloads
from tiktok_pipelines.core import events

SOURCE = "shopee"  # the events' `source` in the queue and the event log


class PushCode(IntEnum):
    """The push codes the project reads (reference §7), named as Shopee's console lists them."""

    shop_authorization_push = 1
    shop_authorization_canceled_push = 2
    order_status_push = 3
    order_trackingno_push = 4
    reserved_stock_change_push = 8
    open_api_authorization_expiry = 12
    shipping_document_status_push = 15


AUTHORIZATION_CANCELLED = PushCode.shop_authorization_canceled_push
ORDER_STATUS = PushCode.order_status_push
TRACKING_NUMBER = PushCode.order_trackingno_push
AUTHORIZATION_EXPIRY = PushCode.open_api_authorization_expiry
RESERVED_STOCK = PushCode.reserved_stock_change_push
SHIPPING_DOCUMENT = PushCode.shipping_document_status_push

# The `data` fields the project reads, per code: (kind, required).
SHOPEE_DATA_FIELDS: dict[int, dict[str, tuple[str, bool]]] = {
    AUTHORIZATION_CANCELLED: {"shop_id": ("id", False)},
    ORDER_STATUS: {"ordersn": ("id", True), "status": ("code", True), "update_time": ("time", False)},
    TRACKING_NUMBER: {"ordersn": ("id", True), "tracking_no": ("text", False)},
    AUTHORIZATION_EXPIRY: {"shop_id": ("id", False), "expire_time": ("time", False)},
    RESERVED_STOCK: {"item_id": ("id", True), "model_id": ("id", False)},
    SHIPPING_DOCUMENT: {"ordersn": ("id", True), "status": ("code", False)},
}
# Order statuses of a code 3 push that are the news of a cancellation.
CANCELLATION_STATUSES = frozenset({"IN_CANCEL", "CANCELLED"})


@dataclass(frozen=True)
class PushEndpoint:
    """What verifies the app's pushes: its partner key and the exact callback URL configured with Shopee
    (the signature covers that string, not the URL a request arrived at)."""

    partner_key: str | None = field(default=None, repr=False)
    callback_url: str | None = None


def event_id(code: int, message: Mapping[str, Any]) -> str:
    """What makes two arrivals of a push the same news, live or listed as lost."""
    data = message["data"]
    if code == ORDER_STATUS:
        return f"3:{data['ordersn']}:{data['status']}:{data.get('update_time') or ''}"
    content = json.dumps(message, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{code}:{hashlib.sha256(content.encode('utf-8')).hexdigest()[:32]}"


def parse_shopee_push(
    body: bytes, received_at: datetime | None = None, window: events.TimestampWindow | None = None
) -> events.InboundEvent:
    """A Shopee push `{shop_id, code, timestamp, data}`, with the `data` fields its code is handled by."""
    received_at = received_at or datetime.now(UTC)
    try:
        text, message = payloads.decode_json_object(body)
    except payloads.PayloadInvalid as exc:
        raise events.EventRejected(str(exc)) from None
    code = message.get("code")
    if not isinstance(code, int) or isinstance(code, bool) or code <= 0:
        raise events.EventRejected("push has no positive integer `code`")
    data = message.get("data")
    if not isinstance(data, dict):
        raise events.EventRejected("push `data` is not an object")
    try:
        payloads.check_fields(data, SHOPEE_DATA_FIELDS.get(code, {}), f"push code {code} `data`")
    except payloads.PayloadInvalid as exc:
        raise events.EventRejected(str(exc)) from None
    shop_id = message.get("shop_id", data.get("shop_id"))
    if shop_id is not None and not payloads.is_id(shop_id, max_chars=payloads.MAX_ID_CHARS):
        raise events.EventRejected("push `shop_id` is not an id")
    sent_at = events.sent_at_in_window(message.get("timestamp"), received_at, window)
    return events.InboundEvent(
        source=SOURCE,
        event_id=event_id(code, message),
        event_type=str(code),
        routing_key=str(shop_id if shop_id is not None else ""),
        received_at=received_at,
        body=text,
        sent_at=sent_at,
    )


def read_shopee_push(event: events.InboundEvent) -> events.Notice:
    """What a queued Shopee push tells: the order it names and its new status, its package's news, the
    item whose reserved stock changed, or news of the shop's authorization (its end, with the date)."""
    data = event.payload().get("data") or {}
    code = int(event.event_type)
    if code == ORDER_STATUS:
        status = str(data.get("status") or "")
        action = (
            events.EventAction.CANCELLATION
            if status in CANCELLATION_STATUSES
            else events.EventAction.ORDER_STATUS
        )
        return events.Notice(action, (str(data.get("ordersn") or ""),), status=status or None)
    if code in (TRACKING_NUMBER, SHIPPING_DOCUMENT):
        return events.Notice(events.EventAction.PACKAGE_UPDATE, (str(data.get("ordersn") or ""),))
    if code == RESERVED_STOCK:
        return events.Notice(events.EventAction.CHANNEL_STOCK, (str(data.get("item_id") or ""),))
    if code == AUTHORIZATION_CANCELLED:
        return events.Notice(events.EventAction.DEAUTHORIZED)
    if code == AUTHORIZATION_EXPIRY:
        expires = data.get("expire_time")
        return events.Notice(
            events.EventAction.AUTHORIZATION_EXPIRING, expires_at=int(expires) if expires else None
        )
    return events.Notice(events.EventAction.UNKNOWN_TYPE)


class ShopeeNotifications(NotificationApi):
    """Shopee's pushes to the app's callback (`push`: its partner key and the callback URL; reading a
    queued push needs neither)."""

    notification_source = SOURCE
    notification_label = "Shopee push"
    push: PushEndpoint

    def __init__(self, push: PushEndpoint | None = None):
        self.push = push or PushEndpoint()

    def missing_configuration(self) -> str | None:
        if not self.push.partner_key:
            return "SHOPEE_PARTNER_KEY is not configured"
        if not self.push.callback_url:
            return "SHOPEE_PUSH_URL (the callback URL configured with Shopee) is not configured"
        return None

    def signature_matches(self, body: bytes, headers: Mapping[str, str]) -> bool:
        return push_signature_matches(
            self.push.partner_key or "", self.push.callback_url or "", body, headers.get("authorization")
        )

    def parse_verified(
        self, body: bytes, received_at: datetime | None, window: events.TimestampWindow | None
    ) -> events.InboundEvent:
        return parse_shopee_push(body, received_at=received_at, window=window)

    def read_notification(self, event: events.InboundEvent) -> events.Notice:
        return read_shopee_push(event)
