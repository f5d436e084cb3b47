"""Mercado Livre's notifications (the `NotificationApi` of the channel, reference §8): the body
`{_id, resource, user_id, topic, application_id, attempts, sent, received}` carries no data, only the
resource to read with the seller's token.

Mercado Livre signs nothing. A notification is taken when its `application_id` is the project's
application (anything else is refused as forged, 401); its `user_id` is the seller, the routing key the
events lane finds the client by (a seller no client has is recorded and dropped there), and the
resource is then read with that seller's own token, so a made-up notification can at most cause a read.

The platform sends several notifications for one change and retries a failed one with the same `_id`:
an event's id is its `_id` when it has one, else its topic, resource and `received` time (the same on
every attempt), so the queue keeps one of each; the several notifications of one sale name one order,
which the orders lane places once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tiktok_pipelines.channels.base.notifications import NotificationApi
from tiktok_pipelines.core.event_payloads import PayloadInvalid, decode_json_object, is_id
from tiktok_pipelines.core.events import EventAction, EventRejected, InboundEvent, Notice, TimestampWindow

SOURCE = "mercado_livre"  # the events' `source` in the queue and the event log

ORDERS = "orders_v2"
ITEMS = "items"
SHIPMENTS = "shipments"

# topic → the resource path it names (reference §8); the id is what the lanes work on.
RESOURCES = {
    ORDERS: re.compile(r"^/orders/(\d{1,24})$"),
    ITEMS: re.compile(r"^/items/([A-Z]{3}\d{1,20})$"),
    SHIPMENTS: re.compile(r"^/shipments/(\d{1,24})$"),
}
_ACTIONS = {
    ORDERS: EventAction.ORDER_STATUS,
    ITEMS: EventAction.PRODUCT_STATUS,
    SHIPMENTS: EventAction.PACKAGE_UPDATE,
}
MAX_TOPIC_CHARS = 60
MAX_RESOURCE_CHARS = 300


def parse_time(value: Any, field: str) -> datetime | None:
    """An ISO-8601 time of the body (`sent`, `received`), None when absent."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise EventRejected(f"notification `{field}` must be an ISO-8601 time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise EventRejected(f"notification `{field}` is not an ISO-8601 time: {value!r:.40}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def resource_id(topic: str, resource: str) -> str | None:
    """The id a topic's resource names (`/orders/123` → `123`), None for a topic the project does not
    act on; `EventRejected` when a topic it acts on names something else."""
    pattern = RESOURCES.get(topic)
    if pattern is None:
        return None
    match = pattern.match(resource)
    if match is None:
        raise EventRejected(f"notification of topic {topic} names an unexpected resource {resource!r:.80}")
    return match.group(1)


def check_window(sent_at: datetime | None, received_at: datetime, window: TimestampWindow | None) -> None:
    if sent_at is None or window is None:
        return
    skew = (received_at - sent_at).total_seconds()
    if skew > window.max_age.total_seconds():
        raise EventRejected(f"notification sent at {sent_at.isoformat()} is older than accepted")
    if -skew > window.max_ahead.total_seconds():
        raise EventRejected(f"notification sent at {sent_at.isoformat()} lies ahead of the receipt")


def notification_body(body: bytes) -> tuple[str, dict[str, Any]]:
    try:
        return decode_json_object(body)
    except PayloadInvalid as exc:
        raise EventRejected(str(exc)) from None


def parse_mercado_livre_notification(
    body: bytes, received_at: datetime | None = None, window: TimestampWindow | None = None
) -> InboundEvent:
    """A notification's event: topic, resource (checked against its topic), seller and times."""
    received_at = received_at or datetime.now(UTC)
    text, data = notification_body(body)
    topic, resource = data.get("topic"), data.get("resource")
    if not isinstance(topic, str) or not topic or len(topic) > MAX_TOPIC_CHARS:
        raise EventRejected("notification has no `topic`")
    if not isinstance(resource, str) or not resource.startswith("/") or len(resource) > MAX_RESOURCE_CHARS:
        raise EventRejected("notification has no `resource` path")
    user_id = data.get("user_id")
    if not is_id(user_id) or not str(user_id).isdigit():
        raise EventRejected("notification has no `user_id` (the seller's numeric id)")
    resource_id(topic, resource)
    sent_at = parse_time(data.get("sent"), "sent")
    first_received = parse_time(data.get("received"), "received")
    check_window(sent_at, received_at, window)
    notification_id = data.get("_id")
    if notification_id is not None and not is_id(notification_id, max_chars=100):
        raise EventRejected("notification `_id` is not an id")
    stamp = first_received or sent_at
    if notification_id is None and stamp is None:
        raise EventRejected("notification has neither `_id` nor a `received` or `sent` time")
    event_id = (
        str(notification_id) if notification_id is not None else f"{topic}{resource}@{stamp.isoformat()}"
    )
    # source, id, type (the topic), routing key (the seller), receipt, body, the sender's time
    return InboundEvent(SOURCE, event_id, topic, str(user_id), received_at, text, sent_at)


def read_mercado_livre_notification(event: InboundEvent) -> Notice:
    """What a queued notification tells: the order, item or shipment it names."""
    topic = event.event_type
    if topic not in _ACTIONS:
        return Notice(EventAction.UNKNOWN_TYPE)
    key = resource_id(topic, str(event.payload().get("resource") or ""))
    return Notice(_ACTIONS[topic], (key or "",))


def same_id(given: Any, expected: str) -> bool:
    return is_id(given) and str(given) == expected


class MercadoLivreNotifications(NotificationApi):
    """Mercado Livre's notifications to the application `app_id` (reading a queued one needs nothing)."""

    notification_source = SOURCE
    notification_label = "Mercado Livre notification"

    def __init__(self, app_id: str | None = None):
        self.app_id = app_id

    def missing_configuration(self) -> str | None:
        if not self.app_id:
            return "MERCADO_LIVRE_APP_ID is not configured"
        return None

    def signature_matches(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """No signature exists: the notification must name the project's application."""
        try:
            _, data = decode_json_object(body)
        except PayloadInvalid:
            return True  # not JSON: refused as such (400) by `parse_verified`
        return same_id(data.get("application_id"), self.app_id or "")

    def parse_verified(
        self, body: bytes, received_at: datetime | None, window: TimestampWindow | None
    ) -> InboundEvent:
        return parse_mercado_livre_notification(body, received_at=received_at, window=window)

    def read_notification(self, event: InboundEvent) -> Notice:
        return read_mercado_livre_notification(event)
