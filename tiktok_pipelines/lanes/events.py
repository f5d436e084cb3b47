"""The events lane: what is done with one queued event (no Dagster here, and no channel named).

`webhook_queue_sensor` takes events off the queue and hands each to `EventHandler.handle`, which finds
the event's client (by the routing key its source names it with), has its source read it (a channel's
`NotificationApi`, VTEX's notifications) and routes it (`core.events.route`), does at once what needs no
API call (a listing's new status, a deauthorized seller, a VTEX order's new state), records it once in
the event log, and marks the orders it names for the next orders run. An event that fails is given back
to `EventHandler.failed`: another attempt after a delay, and after the last one the dead letter with its
reason, while the others flow on.
"""

from __future__ import annotations

import dataclasses
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tiktok_pipelines.core import notices
from tiktok_pipelines.core.events import EventAction, EventReader, InboundEvent, Route, route
from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.core.sku_ids import SkuIdMap, sku_id_source
from tiktok_pipelines.stores.channel_tokens import ChannelTokenStore
from tiktok_pipelines.stores.db import StateDB, utcnow
from tiktok_pipelines.stores.events import EventDeadLetter, EventLog
from tiktok_pipelines.stores.grants import GrantMarks
from tiktok_pipelines.stores.listings import ListingMap
from tiktok_pipelines.stores.notifications import NotificationOutbox
from tiktok_pipelines.stores.orders import OrderStore
from tiktok_pipelines.stores.queue import EventQueue, QueuedEvent
from tiktok_pipelines.stores.registry import Client, ClientRegistry
from tiktok_pipelines.stores.stock_price import SkuSyncStore

# An event that fails is taken again after these delays (longer than a sensor tick, so a tick never
# takes the same event twice); failing on its MAX_ATTEMPTS-th delivery, it goes to the dead letter.
MAX_ATTEMPTS = 3
RETRY_DELAYS_SECONDS = (60, 300)


@dataclass(frozen=True)
class EventSource:
    """A source of queued events: its reader, the registry field its routing keys are (a shop id, a
    VTEX account) or, for a channel whose accounts the registry does not hold, `find_client` (the client
    id of a routing key, looked up in the state DB), its name in log lines and, for a channel, the
    channel's name and `grants`, the store of its grants that keeps their "needs authorization" mark
    (`ChannelTokenStore` of the channel unless given)."""

    reader: EventReader
    client_field: str | None
    name: str
    channel: str | None = None  # the `ChannelName` of a channel's notifications, in the notices they cause
    find_client: Callable[[StateDB, str], str | None] | None = None
    grants: Callable[[StateDB], GrantMarks] | None = None

    def grant_store(self, db: StateDB, channel: str) -> GrantMarks:
        return self.grants(db) if self.grants is not None else ChannelTokenStore(db, channel)


class EventSources:
    """Every source whose events the queue carries, by `InboundEvent.source`."""

    def __init__(self, *sources: EventSource):
        self.by_source = {s.reader.notification_source: s for s in sources}

    def source_of(self, event: InboundEvent) -> EventSource:
        try:
            return self.by_source[event.source]
        except KeyError:
            raise ValueError(f"no reader for events from {event.source!r}") from None

    def route_event(self, event: InboundEvent) -> Route:
        """Where the event goes, as its source reads it."""
        return route(self.source_of(event).reader.read_notification(event))


@dataclass(frozen=True)
class Handled:
    """What became of one event: `unknown_client`, `duplicates`, or the status it was recorded with
    (`pending` waits for a run of `route.target`); its client and its route."""

    status: str
    client_id: str | None
    route: Route


@dataclass(frozen=True)
class Failure:
    """What became of an event that failed: another attempt later, or the dead letter; `note` says which."""

    dead_lettered: bool
    note: str


def _moment(at: datetime | int) -> datetime:
    """A time an event tells, as a datetime (Unix seconds or already one)."""
    return datetime.fromtimestamp(at, UTC) if isinstance(at, int) else at


def describe(event: InboundEvent) -> str:
    return f"{event.source} event {event.event_id} (type {event.event_type}, from {event.routing_key})"


def _reason(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:500]


class EventHandler:
    """Handles queued events one at a time, for one pass over the queue (its client lookups are cached
    for the pass). `logger` is the caller's (a sensor's log)."""

    def __init__(
        self,
        db: StateDB,
        sources: EventSources,
        logger: Any,
        max_attempts: int = MAX_ATTEMPTS,
        retry_delays_seconds: Sequence[float] = RETRY_DELAYS_SECONDS,
    ):
        self.sources = sources
        self.log = logger
        self.db = db
        self.registry = ClientRegistry(db)
        self.events = EventLog(db)
        self.orders = OrderStore(db)
        self.listings = ListingMap(db)
        self.dead = EventDeadLetter(db)
        self.outbox = NotificationOutbox(db)
        self.max_attempts = max_attempts
        self.delays = retry_delays_seconds
        self._clients: dict[tuple[str, str], Client | None] = {}

    def client_of(self, event: InboundEvent) -> Client | None:
        """The client the event belongs to (its source's routing key in the registry), or None."""
        key = (event.source, event.routing_key)
        if key not in self._clients:
            source = self.sources.source_of(event)
            if source.find_client is not None:
                client_id = source.find_client(self.db, event.routing_key)
                self._clients[key] = self.registry.find(client_id) if client_id else None
            else:
                assert source.client_field is not None
                self._clients[key] = self.registry.find_by(**{source.client_field: event.routing_key})
        return self._clients[key]

    def handle(self, event: InboundEvent) -> Handled:
        """Records and routes one event, and does what it asks for that needs no API call."""
        client = self.client_of(event)
        route = self.sources.route_event(event)
        if client is None:
            self.events.record(event, None, route.target, route.action, route.keys, "ignored")
            self.log.warning(
                "no client for %s %s; event %s kept in the log as ignored",
                event.source,
                event.routing_key,
                event.event_id,
            )
            return Handled("unknown_client", None, route)
        if route.action == EventAction.CHANNEL_STOCK:
            route = self._listed_vtex_skus(client, route, self.sources.source_of(event).channel)
        status = self._apply_inline(client, event, route)
        if not self.events.record(event, client.client_id, route.target, route.action, route.keys, status):
            # Recorded before: a redelivery, or a pass that died before its queue delete. Only an event
            # still pending needs its run requested again.
            logged = self.events.get(event.source, event.event_id)
            if logged is None or logged.status != "pending":
                return Handled("duplicates", client.client_id, route)
            status = "pending"
        if route.target == Lane.ORDERS:
            self._mark_orders(client, route, self.sources.source_of(event).channel)
        return Handled(status, client.client_id, route)

    def _listed_vtex_skus(self, client: Client, route: Route, channel: str | None) -> Route:
        """An item whose stock the channel changed on its side (a promotion's reserve), named by the
        channel's product ids: the route under the VTEX SKU ids of its listed SKUs, which the stock lane
        reads again and pushes as after a VTEX SKU notification (none when the item is not listed)."""
        items, client_id = set(route.keys), client.client_id
        if channel is None:
            return dataclasses.replace(route, keys=())
        registered = SkuSyncStore(self.db, channel).ids(client_id).values()
        found = {i.vtex_sku_id for i in registered if i.channel_product_id in items and i.vtex_sku_id}
        if not found:  # not registered with the stock lane yet: the listing map and the client's rule
            listing = ListingMap(self.db, channel)
            products = {p.product_key for k in items if (p := listing.product_by_channel_id(client_id, k))}
            ids = SkuIdMap(sku_id_source(client.options))
            skus = [s.seller_sku for s in listing.skus(client_id).values() if s.product_key in products]
            found = {v for v in map(ids.vtex_sku_id, skus) if v}
        if not found:
            self.log.info(
                "stock change of %s item(s) %s, which client %s does not list: recorded as ignored",
                channel,
                ",".join(sorted(items)),
                client_id,
            )
        return dataclasses.replace(route, keys=tuple(sorted(found)))

    def _apply_inline(self, client: Client, event: InboundEvent, route: Route) -> str:
        """Does what needs no API call; returns the event's status (`pending` waits for a run)."""
        source = self.sources.source_of(event)
        name, channel = source.name, source.channel or event.source
        if route.action == EventAction.PRODUCT_STATUS:
            if route.status is None:  # the notification names the product, not its status
                return "handled"
            listings = ListingMap(self.db, source.channel) if source.channel else self.listings
            known = listings.set_status(client.client_id, route.keys[0], str(route.status))
            if not known:
                self.log.info("status of unknown %s product %s for %s", name, route.keys[0], client.client_id)
            return "handled"
        if route.action == EventAction.DEAUTHORIZED:
            self._deauthorized(client, name, source.grant_store(self.db, channel))
            return "handled"
        if route.action == EventAction.AUTHORIZATION_EXPIRING:
            expiring = notices.authorization_expiring(client.client_id, channel, route.expires_at)
            grants = ChannelTokenStore(self.db, channel)
            if route.expires_at and grants.status(client.client_id) is not None:
                grants.set_authorization_expiry(client.client_id, _moment(route.expires_at))
            self.outbox.record([expiring])
            self.log.warning(
                "%s authorization of client %s expires at %s; ask the seller to authorize again",
                name,
                client.client_id,
                expiring.facts["expires_at"],
            )
            return "handled"
        if route.action in (EventAction.VTEX_ORDER_STATUS, EventAction.VTEX_INVOICED):
            self.orders.set_vtex_status(client.client_id, route.keys[0], str(route.status))
        if route.action == EventAction.CHANNEL_STOCK and not route.keys:
            return "ignored"  # an item the client does not list there
        if route.action == EventAction.UNKNOWN_TYPE:
            self.log.info(
                "event type %s from %s recorded and acknowledged (no handler)", event.event_type, event.source
            )
            return "ignored"
        return "pending" if route.target else "handled"

    def _deauthorized(self, client: Client, name: str, grants: GrantMarks) -> None:
        """The seller cancelled the app's authorization: the client's grant on that channel needs
        authorization (its other channels go on), told once; a client with no grant there is told too."""
        reason = "the seller cancelled the app's authorization"
        channel = grants.channel
        if grants.status(client.client_id) is not None:
            grants.needs_authorization(client.client_id, reason)
        else:
            self.outbox.record([notices.authorization_lost(client.client_id, channel, reason, utcnow())])
        self.log.error(
            "%s seller deauthorized the app for client %s; send `tiktok-pipelines oauth url %s --channel %s`",
            name,
            client.client_id,
            client.client_id,
            channel,
        )

    def _mark_orders(self, client: Client, route: Route, channel: str | None) -> None:
        """The orders the event names (in the order map of the channel that sent it), for the next orders
        run to bring up to date."""
        keys = list(route.keys)
        if route.action == EventAction.VTEX_ORDER_STATUS:
            # The hook names the VTEX order; the order map is keyed by the channel's order id.
            found = (self.orders.by_vtex_order_id(client.client_id, k) for k in keys)
            keys = [r.order_id for r in found if r is not None]
        orders = OrderStore(self.db, channel) if channel else self.orders
        orders.mark_for_sync(client.client_id, keys, route.action)

    def _client_id(self, event: InboundEvent) -> str | None:
        try:
            client = self.client_of(event)
        except Exception:
            return None
        return client.client_id if client else None

    def failed(self, queue: EventQueue, queued: QueuedEvent, exc: Exception) -> Failure:
        """An event that failed: back on the queue for a later attempt, or, on its last, to the dead
        letter with its reason and trace (and off the queue)."""
        event, attempt, reason = queued.event, queued.deliveries, _reason(exc)
        if attempt >= self.max_attempts:
            trace = "".join(traceback.format_exception(exc))
            letter = self.dead.add(event, self._client_id(event), attempt, reason, trace)
            queue.delete([queued.handle])
            note = (
                f"{describe(event)} failed {attempt} times, moved to the webhook dead letter as #{letter}: "
                f"{reason} (`tiktok-pipelines webhooks dead-letter show {letter}`)"
            )
            self.log.error(note)
            return Failure(True, note)
        delay = self.delays[min(attempt, len(self.delays)) - 1]
        queue.retry_later(queued.handle, delay)
        note = f"{describe(event)} failed (attempt {attempt} of {self.max_attempts}, again in {delay} s): {reason}"
        self.log.warning(note)
        return Failure(False, note)
