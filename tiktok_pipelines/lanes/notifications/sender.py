"""The sender: delivers the outbox, at least once, without ever failing the caller.

Each round: deliveries older than the maximum age are given up (failed, so the check tells a person);
the due ones are grouped by destination, kind and channel; a group waits until its oldest notice is
`digest_seconds` old, so that a burst (500 SKUs out of stock in one run) goes out as one digest; a
destination in its quiet hours has the group held until they end; the rest is claimed with a lease
(two senders never send the same delivery at once; a sender that died leaves its claims to the next
once the lease ran out), rendered, and sent. A failed send is tried again after a doubling delay with
jitter.

At least once: a message sent whose "delivered" write is then lost (the process died between the two) is
sent again by the next round. The dedup key keeps the same change from being recorded twice; a
destination may, rarely, see one message twice, and never none.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tiktok_pipelines.core.notification_text import Item, render
from tiktok_pipelines.core.notifications import retry_delay
from tiktok_pipelines.lanes.notifications.transport import AppriseTransport, DeliveryError
from tiktok_pipelines.stores.db import StateDB, utcnow
from tiktok_pipelines.stores.notification_destinations import Destination, NotificationDestinations
from tiktok_pipelines.stores.notifications import Delivery, NotificationOutbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SenderOptions:
    language: str = "pt"
    ui_base_url: str | None = "http://127.0.0.1:3000"
    digest_seconds: float = 30.0  # a group waits this long after its first notice
    max_age_hours: float = 48.0  # after this, a delivery not made is failed
    lease_seconds: float = 120.0  # a claim's life; longer than one send can take
    retry_base_seconds: float = 30.0
    retry_cap_seconds: float = 1800.0
    max_lines: int = 50  # lines of a digest; the rest counted
    batch: int = 5000  # deliveries read per round
    budget_seconds: float = 20.0  # no new send starts after this (a sensor tick stays short)


@dataclass
class SenderReport:
    messages: int = 0  # messages sent (a digest is one)
    delivered: int = 0  # deliveries they made
    retried: int = 0  # deliveries whose send failed, to try again
    held: int = 0  # deliveries held by quiet hours
    waiting: int = 0  # deliveries waiting for their digest window
    gave_up: int = 0  # deliveries failed for age
    claimed_elsewhere: int = 0
    errors: list[str] = field(default_factory=list)  # one line per failed send, without secrets

    def as_metadata(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "errors"} | {"errors": self.errors[:20]}


class NotificationSender:
    """One round of delivery over the whole outbox."""

    def __init__(
        self,
        db: StateDB,
        options: SenderOptions | None = None,
        transport: AppriseTransport | None = None,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ):
        self.outbox = NotificationOutbox(db)
        self.destinations = NotificationDestinations(db)
        self.options = options or SenderOptions()
        self.transport = transport or AppriseTransport()
        self.clock = clock
        self.rng = rng or random.Random()

    def run(self, owner: str | None = None) -> SenderReport:
        """Delivers what is due; never raises for a destination or a delivery."""
        owner = owner or f"sender:{uuid.uuid4()}"
        opts, report = self.options, SenderReport()
        started = time.monotonic()
        now = self.clock()
        report.gave_up = self.outbox.give_up_older_than(now - timedelta(hours=opts.max_age_hours), now)
        groups: dict[tuple, list[Delivery]] = {}
        for delivery in self.outbox.due(now, opts.batch):
            groups.setdefault(delivery.group, []).append(delivery)
        window = timedelta(seconds=opts.digest_seconds)
        for deliveries in groups.values():
            if time.monotonic() - started > opts.budget_seconds:
                break
            fresh = all(d.attempts == 0 for d in deliveries)
            if fresh and min(d.created_at for d in deliveries) > now - window:
                report.waiting += len(deliveries)
                continue
            try:
                self._send_group(deliveries, owner, now, report)
            except Exception as exc:  # the state DB or a bug: the next round tries again
                log.exception("notification delivery round failed for a group")
                report.errors.append(f"{type(exc).__name__}: {exc}"[:300])
        return report

    def _send_group(
        self, deliveries: list[Delivery], owner: str, now: datetime, report: SenderReport
    ) -> None:
        opts = self.options
        destination = self.destinations.get(deliveries[0].destination_id)
        if destination is None or not destination.enabled:
            return
        ids = self.outbox.claim([d.id for d in deliveries], owner, opts.lease_seconds, now)
        report.claimed_elsewhere += len(deliveries) - len(ids)
        if not ids:
            return
        taken = [d for d in deliveries if d.id in set(ids)]
        quiet = destination.quiet
        quiet_end = quiet.ends_after(now) if quiet else None
        if quiet_end is not None:
            self.outbox.hold_until(ids, owner, quiet_end)
            report.held += len(ids)
            return
        try:
            self._deliver(destination, taken)
        except DeliveryError as exc:
            self._retry(destination, taken, owner, now, str(exc), report)
            return
        except Exception as exc:  # a key that cannot decrypt the URL, a bug in rendering...
            self._retry(destination, taken, owner, now, f"{type(exc).__name__}: {exc}", report)
            return
        self.outbox.delivered(ids, owner, self.clock())
        report.messages += 1
        report.delivered += len(ids)

    def _deliver(self, destination: Destination, deliveries: list[Delivery]) -> None:
        first = deliveries[0]
        message = render(
            first.kind,
            first.client_id,
            first.channel,
            [Item(d.facts, d.link) for d in sorted(deliveries, key=lambda d: d.id)],
            language=self.options.language,
            ui_base_url=self.options.ui_base_url,
            max_lines=self.options.max_lines,
        )
        self.transport.send(self.destinations.url(destination.id), message.title, message.body)

    def _retry(
        self,
        destination: Destination,
        deliveries: list[Delivery],
        owner: str,
        now: datetime,
        error: str,
        report: SenderReport,
    ) -> None:
        attempts = max(d.attempts for d in deliveries) + 1
        delay = retry_delay(
            attempts, self.options.retry_base_seconds, self.options.retry_cap_seconds, self.rng
        )
        self.outbox.retry_at([d.id for d in deliveries], owner, error, now + timedelta(seconds=delay))
        report.retried += len(deliveries)
        report.errors.append(
            f"{destination.client_id}/{destination.name} ({destination.label}): {error}"[:300]
        )
