"""Order details from the channel: every order a notification named and, polling, every order the channel
changed since the last poll (with an overlapping window), into the order map and the lake."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tiktok_pipelines.channels.base import ChannelError, ChannelSession
from tiktok_pipelines.core.models.orders import Order
from tiktok_pipelines.core.synclog import SyncLog
from tiktok_pipelines.lanes.orders.common import LANE, Lake, event_payload, write_order_versions
from tiktok_pipelines.stores.events import EventLog
from tiktok_pipelines.stores.orders import OrderStore

POLL_CURSOR = "orders_poll_update_time"
RETURNS_CURSOR = "returns_poll_update_time"
# Reasons that need a fresh detail from the channel; `vtex_status` only rewrites the lake row.
CHANNEL_REASONS = {
    "order_status",
    "address_update",
    "cancellation",
    "return",
    "poll",
    "vtex_cancel",
    "reprocess",
}


@dataclass(frozen=True)
class FetchOptions:
    poll: bool = False  # also ask the channel for orders (and returns) changed since the last poll
    overlap_minutes: int = 15  # how far each poll reaches back before its cursor
    first_poll_hours: int = 72  # how far the first poll of a client reaches back
    max_orders: int = 2000  # most orders one run works on (the rest wait)


@dataclass
class FetchReport:
    events: int = 0
    polled: int = 0  # orders the poll saw changed
    new_from_poll: int = 0  # of which the order map did not know
    waiting: int = 0  # orders flagged for this run
    written: int = 0  # lake rows
    fetched: dict[str, Order] = field(default_factory=dict)
    api_calls: dict[str, int] = field(default_factory=dict)


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def fetch_orders(
    client_id: str,
    session: ChannelSession,
    store: OrderStore,
    log: EventLog,
    lake: Lake,
    options: FetchOptions,
    logger: Any,
) -> FetchReport:
    """Order details from the channel for every flagged order (and, polling, every order changed since the
    last poll), into the order map and the lake; the run's notifications are marked handled."""
    sync = SyncLog(client_id, LANE, store.channel)
    channel, api = session.capabilities.display_name, session.capabilities.api_name
    events = log.pending(client_id, LANE)
    report = FetchReport(events=len(events))
    # What the notifications said that the order detail does not (the cancellation's own status).
    for entry in events:
        if entry.action == "cancellation":
            notice = session.cancellation_notice(event_payload(entry))
            if notice is not None:
                store.update(client_id, notice[0], cancel_status=notice[1])
    if options.poll:
        _poll(client_id, session, store, sync, options, report)
    pending = store.needing_sync(client_id, limit=options.max_orders)
    report.waiting = len(pending)
    to_fetch = [r.order_id for r in pending if r.reasons & CHANNEL_REASONS or not r.detail_enc]
    per_call = session.capabilities.orders_per_detail_call
    for start in range(0, len(to_fetch), per_call):
        chunk = to_fetch[start : start + per_call]
        try:
            with sync.timed("get_orders", api, ",".join(chunk)[:200]):
                for order in session.order_details(chunk):
                    report.fetched[order.order_id] = order
        except ChannelError as exc:
            logger.warning("order details for %d orders failed: %s", len(chunk), exc)
    for order_id in to_fetch:
        if order_id in report.fetched:
            store.save_detail(client_id, report.fetched[order_id])
        else:
            store.update(client_id, order_id, last_error=f"{channel} returned no detail for this order")
    for order_id in [r.order_id for r in pending if "return" in r.reasons]:
        with sync.timed("search_returns", api, order_id):
            for found in session.returns_of(order_id):
                store.save_return(client_id, found)
    report.api_calls = session.call_counts()
    records = {r.order_id: r for r in store.all(client_id) if r.order_id in report.fetched}
    report.written = write_order_versions(lake, client_id, store.channel, report.fetched, records)
    log.mark([e.id for e in events], "handled")
    lake.append_part("sync_log", client_id, sync.table())
    return report


def _poll(
    client_id: str,
    session: ChannelSession,
    store: OrderStore,
    sync: SyncLog,
    options: FetchOptions,
    report: FetchReport,
) -> None:
    """Flags the orders the channel changed since the last poll (those whose detail the order map lacks or
    holds older), and records the returns that changed: a return changes no order status."""
    api = session.capabilities.api_name
    now = int(time.time())
    reach = options.first_poll_hours * 3600
    since = store.cursor(client_id, POLL_CURSOR)
    start = (int(since) if since else now - reach) - options.overlap_minutes * 60
    found: dict[str, int] = {}
    with sync.timed("search_orders", api, f"update_time>={start}"):
        for change in session.orders_changed(_at(start), _at(now + 1)):
            found[change.order_id] = change.version
    # Only what changed since the detail held: the overlap makes every poll see some twice.
    fresh = []
    for order_id, version in found.items():
        known = store.get(client_id, order_id)
        if known is None or not known.detail_enc or (known.channel_update_time or 0) < version:
            fresh.append(order_id)
    report.new_from_poll = store.mark_for_sync(client_id, fresh, "poll")
    report.polled = len(found)
    store.set_cursor(client_id, POLL_CURSOR, str(now))
    returns_since = store.cursor(client_id, RETURNS_CURSOR)
    rstart = (int(returns_since) if returns_since else now - reach) - options.overlap_minutes * 60
    with sync.timed("search_returns", api, f"update_time>={rstart}"):
        for changed in session.returns_changed(_at(rstart), _at(now + 1)):
            store.save_return(client_id, changed)
            store.mark_for_sync(client_id, [changed.order_id], "return")
    store.set_cursor(client_id, RETURNS_CURSOR, str(now))
