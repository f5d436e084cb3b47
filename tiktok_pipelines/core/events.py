"""Inbound events, whatever their source: the queued `InboundEvent`, what it says in the project's
terms (`Notice`), and where it goes (`route`).

Pure, no I/O, and no source's wire format: each source reads its own events. A channel verifies and
parses its notifications (`channels.base.notifications.NotificationApi`, TikTok Shop's in
`channels/tiktok_shop/notifications.py`) and VTEX its own (`vtex/notifications.py`); the receiver
queues the `InboundEvent`s they make, and the events lane (`lanes/events.py`) has the event's source
read it into a `Notice`, which `route` sends to a lane.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from tiktok_pipelines.core.names import Lane

# Events the project records itself (source `internal`), next to those it receives.
VTEX_ORDER_CREATED = "99"  # a VTEX order was created for a channel's order
INTERNAL_EVENT_NAMES = {VTEX_ORDER_CREATED: "VTEX_ORDER_CREATED"}


class EventRejected(ValueError):
    """The request is not an acceptable event; `status` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class ForgedNotification(EventRejected):
    """The notification's signature does not match its body: answered 401, nothing recorded."""

    def __init__(self, message: str = "invalid signature"):
        super().__init__(message, status=401)


@dataclass(frozen=True)
class InboundEvent:
    """One verified event, as queued: where it came from, its id, its type, and the raw body."""

    source: str  # "tiktok" | "vtex" | "internal"
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


@dataclass(frozen=True)
class TimestampWindow:
    """How far a notification's own timestamp may lie from its receipt. A signature covers the
    timestamp, so a body outside the window is a replay of an old signed notification, or a sender's
    clock gone wrong: it is refused. TikTok retries a webhook with its original body for about 16 hours
    (2 min, 30 min, 3 h, 12 h), so the default age covers every retry."""

    max_age: timedelta = timedelta(hours=24)
    max_ahead: timedelta = timedelta(minutes=5)


def _span(seconds: float) -> str:
    seconds = abs(seconds)
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def sent_at_in_window(value: Any, received_at: datetime, window: TimestampWindow | None) -> datetime:
    """A notification's own `timestamp` (Unix seconds) as a time, checked against the window (None: any)."""
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


class EventAction(StrEnum):
    """What an event tells, in the project's terms (recorded as the event log's `action`)."""

    ORDER_STATUS = "order_status"
    ADDRESS_UPDATE = "address_update"
    CANCELLATION = "cancellation"
    RETURN = "return"
    PACKAGE_UPDATE = "package_update"
    INVOICE_STATUS = "invoice_status"
    PRODUCT_STATUS = "product_status"
    DEAUTHORIZED = "deauthorized"
    AUTHORIZATION_EXPIRING = "authorization_expiring"
    UNKNOWN_TYPE = "unknown_type"
    SKU_CHANGED = "sku_changed"
    CHANNEL_STOCK = "channel_stock"  # the channel changed an item's stock on its side (a promotion's reserve)
    VTEX_INVOICE = "vtex_invoice"
    VTEX_CANCEL = "vtex_cancel"
    VTEX_INVOICED = "vtex_invoiced"
    VTEX_ORDER_STATUS = "vtex_order_status"


@dataclass(frozen=True)
class Notice:
    """An event as its source reads it: what it tells, the ids it names (the channel's order, package or
    product ids; VTEX's SKU or order ids), and what it reports about them."""

    action: EventAction
    keys: tuple[str, ...] = ()
    status: str | None = None  # the new status it reports (a listing's, a VTEX order's)
    expires_at: int | None = None  # when an authorization it warns about expires (Unix seconds)


class EventReader(Protocol):
    """A source of events (a channel's notifications, VTEX's): reads its own queued events."""

    notification_source: str  # the `InboundEvent.source` of its events

    def read_notification(self, event: InboundEvent) -> Notice: ...


# Which lane's run an action asks for; None: handled when it is recorded, no run needed.
TARGETS: dict[EventAction, Lane | None] = {
    EventAction.ORDER_STATUS: Lane.ORDERS,
    EventAction.ADDRESS_UPDATE: Lane.ORDERS,
    EventAction.CANCELLATION: Lane.ORDERS,
    EventAction.RETURN: Lane.ORDERS,
    EventAction.PACKAGE_UPDATE: Lane.FULFILMENT,
    EventAction.INVOICE_STATUS: Lane.FULFILMENT,
    EventAction.PRODUCT_STATUS: None,
    EventAction.DEAUTHORIZED: None,
    EventAction.AUTHORIZATION_EXPIRING: None,
    EventAction.UNKNOWN_TYPE: None,
    EventAction.SKU_CHANGED: Lane.STOCK_PRICE,
    # Recorded under the VTEX SKU ids of the item's listed SKUs, as a VTEX SKU notification would be.
    EventAction.CHANNEL_STOCK: Lane.STOCK_PRICE,
    EventAction.VTEX_INVOICE: Lane.FULFILMENT,
    # An invoiced order is the fulfilment lane's: its NF-e goes to the channel.
    EventAction.VTEX_INVOICED: Lane.FULFILMENT,
    EventAction.VTEX_CANCEL: Lane.ORDERS,
    EventAction.VTEX_ORDER_STATUS: Lane.ORDERS,
}


@dataclass(frozen=True)
class Route:
    """What an event asks for: a run of `target` for the client, or only an inline `action`. What the
    event reports (`status`, `expires_at`) travels with it for the inline actions."""

    target: str | None  # "orders", "fulfilment", "stock_price", "catalog" (a run lane), or None
    action: str  # what is recorded, and done inline
    keys: tuple[str, ...] = ()  # order ids, SKU ids, package ids... the run works on
    status: str | None = field(default=None, compare=False)
    expires_at: int | None = field(default=None, compare=False)


def route(notice: Notice) -> Route:
    """Where an event goes, from what it tells."""
    return Route(TARGETS[notice.action], notice.action, notice.keys, notice.status, notice.expires_at)
