"""Notifications a channel failed to deliver, taken from its own list (Shopee's lost pushes): the safety
net beside its order search, for the news that is not an order's (a package, a reserved stock change) and
for orders sooner than the next search.

Each page is put on the event queue as the events its delivery would have queued (same ids, so one seen
live too is one event, dropped by the queue or the event log), and only once they are durably queued is
the page confirmed to the channel: a process that dies in between lists the same page again next time
and queues nothing twice. A listed notification that cannot be read goes to the webhook dead letter with
its problem (a person reads it there), so one bad message holds back neither the page nor the others.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tiktok_pipelines.channels.base.notifications import MissedNotification, NotificationApi
from tiktok_pipelines.core.events import InboundEvent
from tiktok_pipelines.stores.events import EventDeadLetter
from tiktok_pipelines.stores.queue import EventQueue

MAX_PAGES = 20  # a pass takes at most this many pages (Shopee's are 100 each); the rest wait for the next


@dataclass
class MissedReport:
    """What one pass took: pages, notifications listed, events new on the queue (the others were there
    or handled already), unreadable ones dead-lettered, and whether more wait for the next pass."""

    pages: int = 0
    listed: int = 0
    queued: int = 0
    dead_lettered: int = 0
    more: bool = False


def _letter(channel: NotificationApi, missed: MissedNotification) -> InboundEvent:
    digest = hashlib.sha256(missed.raw.encode("utf-8")).hexdigest()[:32]
    return InboundEvent(
        source=channel.notification_source,
        event_id=f"missed:{digest}",
        event_type="missed",
        routing_key=missed.routing_key,
        received_at=datetime.now(UTC),
        body=missed.raw,
    )


def take_missed(
    channel: NotificationApi,
    queue: EventQueue,
    dead: EventDeadLetter,
    client_of: Callable[[str], str | None],
    logger: Any,
    max_pages: int = MAX_PAGES,
) -> MissedReport:
    """Queues the notifications `channel` lists as missed, page after page, confirming each page once its
    events are on the queue. `client_of` names the client of a routing key (for a dead letter)."""
    report = MissedReport()
    for _ in range(max_pages):
        page = channel.missed_notifications()
        if page is None or not page.notifications:
            return report
        events = [m.event for m in page.notifications if m.event is not None]
        report.queued += queue.put_many(events) if events else 0
        for missed in page.notifications:
            if missed.event is None:
                letter = dead.add(
                    _letter(channel, missed), client_of(missed.routing_key), 1, str(missed.problem)
                )
                report.dead_lettered += 1
                logger.error(
                    "a missed %s could not be read (%s); kept as webhook dead letter #%d",
                    channel.notification_label,
                    missed.problem,
                    letter,
                )
        channel.confirm_missed(page)
        report.pages += 1
        report.listed += len(page.notifications)
        if not page.more:
            return report
    report.more = True
    return report
