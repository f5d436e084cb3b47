"""Inbound events (TikTok Shop webhooks, VTEX notifications): verification, parsing, routing.

Pure functions, no I/O: the receiver verifies and parses, the queue carries `InboundEvent`s, and the
sensor routes them with `route_event`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tiktok_pipelines.core.event_payloads import (
    MAX_ID_CHARS,
    PayloadInvalid,
    check_tiktok_data,
    check_vtex_order_hook,
    check_vtex_sku_notification,
    decode_json_object,
    is_id,
)

# TikTok Shop webhook types (the reference's official numbering).
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
VTEX_ORDER_CREATED = 99  # internal: a VTEX order was created for a TikTok order

TIKTOK_EVENT_NAMES = {
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
    VTEX_ORDER_CREATED: "VTEX_ORDER_CREATED",
}


class EventRejected(ValueError):
    """The request is not an acceptable event; `status` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def tiktok_signature(app_key: str, app_secret: str, body: bytes) -> str:
    """TikTok Shop's webhook signature: hex HMAC-SHA256(app_secret, app_key + raw body)."""
    return hmac.new(app_secret.encode(), app_key.encode() + body, hashlib.sha256).hexdigest()


def verify_tiktok_signature(app_key: str, app_secret: str, body: bytes, authorization: str | None) -> bool:
    if not authorization:
        return False
    expected = tiktok_signature(app_key, app_secret, body)
    return hmac.compare_digest(expected.encode(), authorization.strip().lower().encode())


@dataclass(frozen=True)
class InboundEvent:
    """One verified event, as queued: where it came from, its id, its type, and the raw body."""

    source: str  # "tiktok" | "vtex"
    event_id: str  # tts_notification_id, or a digest of a VTEX notification
    event_type: str  # "1", "36", ..., or "vtex:order_hook", "vtex:sku_changed", "vtex:invoice", "vtex:cancel"
    routing_key: str  # TikTok shop id, or VTEX account
    received_at: datetime
    body: str
    sent_at: datetime | None = None  # the sender's own timestamp (TikTok's `timestamp`), when it gives one

    @property
    def skew_seconds(self) -> float | None:
        """How long after its own timestamp the event was received (negative: stamped in the future)."""
        if self.sent_at is None:
            return None
        return round((self.received_at - self.sent_at).total_seconds(), 3)

    def payload(self) -> dict[str, Any]:
        # A byte order mark was kept in the body by receivers before it was dropped at the door.
        return json.loads(self.body.removeprefix("\ufeff"))

    def to_message(self) -> str:
        return json.dumps(
            {
                "source": self.source,
                "event_id": self.event_id,
                "event_type": self.event_type,
                "routing_key": self.routing_key,
                "received_at": self.received_at.isoformat(),
                "sent_at": self.sent_at.isoformat() if self.sent_at else None,
                "body": self.body,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_message(cls, message: str) -> InboundEvent:
        data = json.loads(message)
        sent_at = data.get("sent_at")
        return cls(
            source=data["source"],
            event_id=data["event_id"],
            event_type=data["event_type"],
            routing_key=data["routing_key"],
            received_at=datetime.fromisoformat(data["received_at"]),
            body=data["body"],
            sent_at=datetime.fromisoformat(sent_at) if sent_at else None,
        )


def _json_object(body: bytes) -> tuple[str, dict[str, Any]]:
    try:
        return decode_json_object(body)
    except PayloadInvalid as exc:
        raise EventRejected(str(exc)) from None


@dataclass(frozen=True)
class TimestampWindow:
    """How far a webhook's own timestamp may lie from its receipt. The signature covers the timestamp, so
    a body outside the window is a replay of an old signed webhook, or a sender's clock gone wrong: it
    is refused. TikTok retries a webhook with its original body for about 16 hours (2 min, 30 min, 3 h,
    12 h), so the default age covers every retry."""

    max_age: timedelta = timedelta(hours=24)
    max_ahead: timedelta = timedelta(minutes=5)


def _span(seconds: float) -> str:
    seconds = abs(seconds)
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def _sent_at(value: Any, received_at: datetime, window: TimestampWindow | None) -> datetime:
    """The webhook's `timestamp` (Unix seconds) as a time, checked against the window."""
    if value is None:
        raise EventRejected("webhook has no `timestamp`")
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise EventRejected(f"webhook `timestamp` must be a positive Unix time in seconds, got {value!r:.40}")
    skew = received_at.timestamp() - value
    if window is not None and skew > window.max_age.total_seconds():
        raise EventRejected(
            f"webhook `timestamp` {value} is {_span(skew)} before its receipt, more than the "
            f"{_span(window.max_age.total_seconds())} accepted: refused as stale or replayed"
        )
    if window is not None and -skew > window.max_ahead.total_seconds():
        raise EventRejected(
            f"webhook `timestamp` {value} is {_span(skew)} after its receipt, more than the "
            f"{_span(window.max_ahead.total_seconds())} of clock difference accepted"
        )
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise EventRejected(f"webhook `timestamp` {value} is not a Unix time in seconds") from None


def parse_tiktok_webhook(
    body: bytes, received_at: datetime | None = None, window: TimestampWindow | None = None
) -> InboundEvent:
    """A TikTok Shop webhook envelope `{type, tts_notification_id, shop_id, timestamp, data}`, with the
    `data` fields its type is handled by. `window` bounds the timestamp's distance from the receipt."""
    received_at = received_at or datetime.now(UTC)
    text, data = _json_object(body)
    kind = data.get("type")
    notification_id = data.get("tts_notification_id")
    if not isinstance(kind, int) or isinstance(kind, bool) or kind <= 0:
        raise EventRejected("webhook has no positive integer `type`")
    if kind == VTEX_ORDER_CREATED:
        raise EventRejected("type 99 is internal and is not accepted from outside")
    if not is_id(notification_id, max_chars=200):
        raise EventRejected("webhook has no `tts_notification_id` (a string or integer id)")
    shop_id = data.get("shop_id")
    if not is_id(shop_id, max_chars=MAX_ID_CHARS):
        raise EventRejected("webhook has no `shop_id` (a string or integer id)")
    sent_at = _sent_at(data.get("timestamp"), received_at, window)
    try:
        check_tiktok_data(kind, data.get("data", {}))
    except PayloadInvalid as exc:
        raise EventRejected(str(exc)) from None
    return InboundEvent(
        source="tiktok",
        event_id=str(notification_id),
        event_type=str(kind),
        routing_key=str(shop_id),
        received_at=received_at,
        body=text,
        sent_at=sent_at,
    )


def parse_vtex_notification(body: bytes, received_at: datetime | None = None) -> InboundEvent | None:
    """A VTEX order hook notification or a broadcaster/affiliate SKU notification.

    Returns None for the hook's `{"hookConfig": "ping"}`, which only needs a 200.
    """
    text, data = _json_object(body)
    if data.get("hookConfig") == "ping":
        return None
    event_id = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    try:
        if "OrderId" in data and "State" in data:
            account = check_vtex_order_hook(data)
            event_type = "vtex:order_hook"
            # The same order in the same state is the same event, whichever delivery brought it.
            change = data.get("CurrentChange") or data.get("LastChange") or ""
            event_id = f"{data['OrderId']}:{data['State']}:{change}"
        elif "idSKU" in data or "IdSku" in data:
            _, account = check_vtex_sku_notification(data)
            event_type = "vtex:sku_changed"
        else:
            raise EventRejected("not a VTEX order hook or SKU notification")
    except PayloadInvalid as exc:
        raise EventRejected(str(exc)) from None
    if not account:
        raise EventRejected("VTEX notification does not name its account")
    return InboundEvent(
        source="vtex",
        event_id=event_id,
        event_type=event_type,
        routing_key=account,
        received_at=received_at or datetime.now(UTC),
        body=text,
    )


# ---------------------------------------------------------------- VTEX marketplace callbacks

MARKETPLACE_CALLBACK_PREFIX = "/vtex/marketplace"


def marketplace_callback_token(secret: str, client_id: str) -> str:
    """The per-client secret in the path of VTEX's callbacks (VTEX cannot add headers to them): an HMAC
    of the client id under the receiver's VTEX secret, so nothing needs storing and one leaked URL opens
    only its own client's callbacks."""
    digest = hmac.new(secret.encode(), f"vtex-marketplace:{client_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:40]


def marketplace_callback_url(base_url: str, client_id: str, secret: str) -> str:
    """The `marketplaceServicesEndpoint` of a client's orders: VTEX appends `/pvt/orders/{id}/invoice`."""
    token = marketplace_callback_token(secret, client_id)
    return f"{base_url.rstrip('/')}{MARKETPLACE_CALLBACK_PREFIX}/{client_id}/{token}"


def parse_marketplace_callback(
    kind: str, marketplace_order_id: str, body: bytes, account: str, received_at: datetime | None = None
) -> InboundEvent:
    """VTEX's `POST {endpoint}/pvt/orders/{marketplaceOrderId}/invoice` (an invoice, or later its tracking)
    or `/cancel`. The queued body keeps what identifies the invoice, not the XML: the run reads the XML
    from the OMS with the store's credentials, so a callback is a prompt, never a source of truth."""
    data = _json_object(body)[1] if body.strip() else {}
    if kind not in ("invoice", "cancel"):
        raise EventRejected(f"unknown marketplace callback {kind}", status=404)
    if not marketplace_order_id:
        raise EventRejected("no marketplace order id")
    kept = {"marketplaceOrderId": marketplace_order_id, "kind": kind}
    for name in (
        "type",
        "invoiceNumber",
        "invoiceValue",
        "invoiceKey",
        "courier",
        "trackingNumber",
        "reason",
    ):
        if data.get(name) not in (None, ""):
            kept[name] = data[name]
    embedded = data.get("embeddedInvoice")
    if embedded:
        kept["embeddedInvoiceSha256"] = hashlib.sha256(str(embedded).encode("utf-8")).hexdigest()
    identity = json.dumps(kept, sort_keys=True, separators=(",", ":"))
    # The same invoice posted again (VTEX retries) is the same event; its tracking later is a new one.
    event_id = (
        f"{kind}:{marketplace_order_id}:{hashlib.blake2b(identity.encode(), digest_size=12).hexdigest()}"
    )
    return InboundEvent(
        source="vtex",
        event_id=event_id,
        event_type=f"vtex:{kind}",
        routing_key=account,
        received_at=received_at or datetime.now(UTC),
        body=identity,
    )


# ---------------------------------------------------------------- routing


@dataclass(frozen=True)
class Route:
    """What an event asks for: a run of `target` for the client, or only an inline `action`."""

    target: str | None  # "orders", "fulfilment", "stock_price", "catalog" (a run lane), or None
    action: str  # what the sensor records inline
    keys: tuple[str, ...] = ()  # order ids, SKU ids, package ids... the run works on


def route_event(event: InboundEvent) -> Route:
    payload = event.payload()
    data = payload.get("data") or {}
    if event.source == "vtex":
        if event.event_type == "vtex:sku_changed":
            sku = str(payload.get("idSKU") or payload.get("IdSku"))
            return Route("stock_price", "sku_changed", (sku,))
        if event.event_type == "vtex:invoice":
            return Route("fulfilment", "vtex_invoice", (str(payload.get("marketplaceOrderId") or ""),))
        if event.event_type == "vtex:cancel":
            return Route("orders", "vtex_cancel", (str(payload.get("marketplaceOrderId") or ""),))
        if payload.get("State") == "invoiced":
            # An invoiced order is the fulfilment lane's: its NF-e goes to TikTok.
            return Route("fulfilment", "vtex_invoiced", (str(payload.get("OrderId")),))
        return Route("orders", "vtex_order_status", (str(payload.get("OrderId")),))
    kind = int(event.event_type)
    order_id = str(data.get("order_id") or "")
    if kind == ORDER_STATUS_CHANGE:
        return Route("orders", "order_status", (order_id,))
    if kind == RECIPIENT_ADDRESS_UPDATE:
        return Route("orders", "address_update", (order_id,))
    if kind == CANCELLATION_STATUS_CHANGE:
        return Route("orders", "cancellation", (order_id,))
    if kind in (RETURN_STATUS_CHANGE, REVERSE_STATUS_UPDATE):
        return Route("orders", "return", (order_id,))
    if kind == PACKAGE_UPDATE:
        packages = tuple(str(p.get("package_id") or p.get("id")) for p in data.get("package_list") or [])
        return Route("fulfilment", "package_update", packages)
    if kind == INVOICE_STATUS_CHANGE:
        return Route("fulfilment", "invoice_status", (str(data.get("package_id") or ""),))
    if kind == PRODUCT_STATUS_CHANGE:
        return Route(None, "product_status", (str(data.get("product_id") or ""),))
    if kind == SELLER_DEAUTHORIZATION:
        return Route(None, "deauthorized")
    if kind == UPCOMING_AUTHORIZATION_EXPIRATION:
        return Route(None, "authorization_expiring")
    return Route(None, "unknown_type")
