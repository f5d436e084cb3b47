"""TikTok Shop's webhooks (the `NotificationApi` of the channel): the signature, the envelope
`{type, tts_notification_id, shop_id, timestamp, data}`, the `data` fields each type is handled by, the
timestamp's window, and what each type tells (reference §8)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tiktok_pipelines.channels.base.notifications import NotificationApi
from tiktok_pipelines.channels.tiktok_shop.auth import TikTokApp
from tiktok_pipelines.channels.tiktok_shop.client import verify_webhook_signature
from tiktok_pipelines.core.event_payloads import (
    MAX_ID_CHARS,
    PayloadInvalid,
    check_fields,
    decode_json_object,
    is_id,
)
from tiktok_pipelines.core.events import (
    VTEX_ORDER_CREATED,
    EventAction,
    EventRejected,
    InboundEvent,
    Notice,
    TimestampWindow,
    sent_at_in_window,
)

SOURCE = "tiktok"  # the events' `source` in the queue and the event log

# Webhook types (the reference's official numbering).
ORDER_STATUS_CHANGE = 1
REVERSE_STATUS_UPDATE = 2
RECIPIENT_ADDRESS_UPDATE = 3
PACKAGE_UPDATE = 4
PRODUCT_STATUS_CHANGE = 5
SELLER_DEAUTHORIZATION = 6
UPCOMING_AUTHORIZATION_EXPIRATION = 7
CANCELLATION_STATUS_CHANGE = 11
RETURN_STATUS_CHANGE = 12
INVOICE_STATUS_CHANGE = 36

WEBHOOK_NAMES = {
    ORDER_STATUS_CHANGE: "ORDER_STATUS_CHANGE",
    REVERSE_STATUS_UPDATE: "REVERSE_STATUS_UPDATE",
    RECIPIENT_ADDRESS_UPDATE: "RECIPIENT_ADDRESS_UPDATE",
    PACKAGE_UPDATE: "PACKAGE_UPDATE",
    PRODUCT_STATUS_CHANGE: "PRODUCT_STATUS_CHANGE",
    SELLER_DEAUTHORIZATION: "SELLER_DEAUTHORIZATION",
    UPCOMING_AUTHORIZATION_EXPIRATION: "UPCOMING_AUTHORIZATION_EXPIRATION",
    CANCELLATION_STATUS_CHANGE: "CANCELLATION_STATUS_CHANGE",
    RETURN_STATUS_CHANGE: "RETURN_STATUS_CHANGE",
    INVOICE_STATUS_CHANGE: "INVOICE_STATUS_CHANGE",
}

# The `data` fields the project reads, per type: (kind, required). A field that is not required may be
# absent or null.
TIKTOK_DATA_FIELDS: dict[int, dict[str, tuple[str, bool]]] = {
    1: {"order_id": ("id", True), "order_status": ("code", False), "update_time": ("time", False)},
    2: {"order_id": ("id", False)},
    3: {"order_id": ("id", True)},
    4: {"package_list": ("packages", True)},
    5: {"product_id": ("id", True), "status": ("code", True)},
    7: {"expiration_time": ("time", False)},
    11: {"order_id": ("id", True), "cancel_status": ("code", False)},
    12: {"order_id": ("id", True), "return_status": ("code", False)},
    36: {
        "package_id": ("id", True),
        "order_ids": ("ids", False),
        "invoice_status": ("code", False),
        "invalid_reason": ("text", False),
    },
}

# What a type tells when its whole news is the order it names.
_ORDER_ACTIONS = {
    ORDER_STATUS_CHANGE: EventAction.ORDER_STATUS,
    RECIPIENT_ADDRESS_UPDATE: EventAction.ADDRESS_UPDATE,
    CANCELLATION_STATUS_CHANGE: EventAction.CANCELLATION,
    RETURN_STATUS_CHANGE: EventAction.RETURN,
    REVERSE_STATUS_UPDATE: EventAction.RETURN,
}


def check_tiktok_data(kind: int, data: Any) -> None:
    """The `data` object of a TikTok Shop webhook of type `kind`."""
    if not isinstance(data, dict):
        raise PayloadInvalid("webhook `data` is not an object")
    check_fields(data, TIKTOK_DATA_FIELDS.get(kind, {}), f"webhook type {kind} `data`")


def parse_tiktok_webhook(
    body: bytes, received_at: datetime | None = None, window: TimestampWindow | None = None
) -> InboundEvent:
    """A TikTok Shop webhook envelope `{type, tts_notification_id, shop_id, timestamp, data}`, with the
    `data` fields its type is handled by. `window` bounds the timestamp's distance from the receipt."""
    received_at = received_at or datetime.now(UTC)
    try:
        text, data = decode_json_object(body)
    except PayloadInvalid as exc:
        raise EventRejected(str(exc)) from None
    kind = data.get("type")
    notification_id = data.get("tts_notification_id")
    if not isinstance(kind, int) or isinstance(kind, bool) or kind <= 0:
        raise EventRejected("webhook has no positive integer `type`")
    if str(kind) == VTEX_ORDER_CREATED:
        raise EventRejected(f"type {kind} is internal and is not accepted from outside")
    if not is_id(notification_id, max_chars=200):
        raise EventRejected("webhook has no `tts_notification_id` (a string or integer id)")
    shop_id = data.get("shop_id")
    if not is_id(shop_id, max_chars=MAX_ID_CHARS):
        raise EventRejected("webhook has no `shop_id` (a string or integer id)")
    sent_at = sent_at_in_window(data.get("timestamp"), received_at, window)
    try:
        check_tiktok_data(kind, data.get("data", {}))
    except PayloadInvalid as exc:
        raise EventRejected(str(exc)) from None
    return InboundEvent(
        source=SOURCE,
        event_id=str(notification_id),
        event_type=str(kind),
        routing_key=str(shop_id),
        received_at=received_at,
        body=text,
        sent_at=sent_at,
    )


def read_tiktok_webhook(event: InboundEvent) -> Notice:
    """What a queued TikTok Shop webhook tells: the order, packages or product it names, and news."""
    data = event.payload().get("data") or {}
    kind = int(event.event_type)
    if kind in _ORDER_ACTIONS:
        return Notice(_ORDER_ACTIONS[kind], (str(data.get("order_id") or ""),))
    if kind == PACKAGE_UPDATE:
        packages = tuple(str(p.get("package_id") or p.get("id")) for p in data.get("package_list") or [])
        return Notice(EventAction.PACKAGE_UPDATE, packages)
    if kind == INVOICE_STATUS_CHANGE:
        return Notice(EventAction.INVOICE_STATUS, (str(data.get("package_id") or ""),))
    if kind == PRODUCT_STATUS_CHANGE:
        return Notice(
            EventAction.PRODUCT_STATUS, (str(data.get("product_id") or ""),), status=str(data.get("status"))
        )
    if kind == SELLER_DEAUTHORIZATION:
        return Notice(EventAction.DEAUTHORIZED)
    if kind == UPCOMING_AUTHORIZATION_EXPIRATION:
        return Notice(EventAction.AUTHORIZATION_EXPIRING, expires_at=data.get("expiration_time"))
    return Notice(EventAction.UNKNOWN_TYPE)


class TikTokNotifications(NotificationApi):
    """TikTok Shop's webhooks, signed with the app's key and secret (`app`; reading a queued webhook
    needs neither)."""

    notification_source = SOURCE
    notification_label = "TikTok webhook"
    app: TikTokApp | None = None

    def __init__(self, app: TikTokApp | None = None):
        self.app = app

    def missing_configuration(self) -> str | None:
        if self.app is None or not self.app.app_key or not self.app.app_secret:
            return "TIKTOK_APP_KEY / TIKTOK_APP_SECRET are not configured"
        return None

    def signature_matches(self, body: bytes, headers: Mapping[str, str]) -> bool:
        app = self.app
        return app is not None and verify_webhook_signature(
            app.app_key, app.app_secret, body, headers.get("authorization")
        )

    def parse_verified(
        self, body: bytes, received_at: datetime | None, window: TimestampWindow | None
    ) -> InboundEvent:
        return parse_tiktok_webhook(body, received_at=received_at, window=window)

    def read_notification(self, event: InboundEvent) -> Notice:
        return read_tiktok_webhook(event)
