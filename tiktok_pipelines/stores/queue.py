"""The event queue: verified webhooks and notifications waiting for `webhook_queue_sensor`.

One interface (`EventQueue`), two kinds picked by configuration (`TIKTOK_PIPELINES_QUEUE`): a state DB
table (`db`, the default, `DbEventQueue` here) or an SQS queue (`sqs`, `stores.sqs_queue`). The
receiver writes to it and the sensor reads it; neither kind needs Dagster, so the receiver starts
without loading it (the Dagster resource `defs.resources.queue.EventQueue` only wraps `open_event_queue`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tiktok_pipelines.core.events import InboundEvent
from tiktok_pipelines.settings import ConfigError, Settings
from tiktok_pipelines.stores.db import StateDB, UTCDateTime, metadata, open_state_db, take_oldest, utcnow


def event_columns() -> tuple[sa.Column, ...]:
    """The columns that name an inbound event (`source` and `event_id` are unique together)."""
    return (
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(40), nullable=False),
        sa.Column("routing_key", sa.String(100), nullable=False),
    )


event_queue = sa.Table(
    "event_queue",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    *event_columns(),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime),  # the sender's own timestamp, when it gives one
    sa.Column("visible_after", UTCDateTime, nullable=False),
    sa.Column("deliveries", sa.Integer, nullable=False, default=0),
    sa.UniqueConstraint("source", "event_id", name="uq_event_queue_source_event"),
    sa.Index("ix_event_queue_visible", "visible_after", "id"),
)


def insert_ignoring_duplicates(db: StateDB, table: sa.Table):
    """An INSERT that skips rows whose unique key exists (both SQLite and Postgres)."""
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"unsupported state DB dialect {dialect}")


@dataclass(frozen=True)
class QueuedEvent:
    """An event taken off a queue; `handle` deletes it once it is recorded. `deliveries` counts the
    times it was taken, this one included."""

    event: InboundEvent
    handle: str
    deliveries: int = 1


class DbEventQueue:
    """The event queue as a state DB table: durable once `put` returns, duplicates ignored."""

    def __init__(self, db: StateDB, lease_seconds: int = 300):
        self.db = db
        self.lease = timedelta(seconds=lease_seconds)

    def put(self, event: InboundEvent) -> bool:
        """Enqueues; returns False when the same event is already queued."""
        return self.put_many([event]) == 1

    def put_many(self, events: list[InboundEvent]) -> int:
        """Enqueues several events in one transaction (one commit); returns how many were new."""
        if not events:
            return 0
        rows = [{**asdict(e), "visible_after": e.received_at, "deliveries": 0} for e in events]
        with self.db.begin() as conn:
            result = conn.execute(insert_ignoring_duplicates(self.db, event_queue), rows)
        return max(0, result.rowcount)

    def requeue(self, events: list[InboundEvent]) -> int:
        """Puts events back for another round (from the dead letter); returns how many were queued."""
        return self.put_many(events)

    def take(self, max_events: int) -> list[QueuedEvent]:
        """Leases up to `max_events` of the oldest visible events (they reappear if not deleted)."""
        now = utcnow()
        with self.db.begin() as conn:
            rows = take_oldest(
                conn,
                event_queue,
                event_queue.c.visible_after <= now,
                max_events,
                visible_after=now + self.lease,
                deliveries=event_queue.c.deliveries + 1,
            )
        return [
            QueuedEvent(
                InboundEvent(
                    r.source, r.event_id, r.event_type, r.routing_key, r.received_at, r.body, r.sent_at
                ),
                str(r.id),
                r.deliveries + 1,
            )
            for r in rows
        ]

    def retry_later(self, handle: str, delay_seconds: float) -> None:
        """Leaves a taken event on the queue, invisible for `delay_seconds` (instead of its lease)."""
        with self.db.begin() as conn:
            conn.execute(
                event_queue.update()
                .where(event_queue.c.id == int(handle))
                .values(visible_after=utcnow() + timedelta(seconds=delay_seconds))
            )

    def delete(self, handles: list[str]) -> None:
        if not handles:
            return
        with self.db.begin() as conn:
            conn.execute(event_queue.delete().where(event_queue.c.id.in_([int(h) for h in handles])))

    def depth(self) -> int:
        with self.db.read() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(event_queue)).scalar_one()


class EventQueue(Protocol):
    """What the receiver and the sensor do with a queue, whatever its kind."""

    def put(self, event: InboundEvent) -> bool:
        """Enqueues one event, durably once it returns; False when it is already queued."""
        ...

    def put_many(self, events: list[InboundEvent]) -> int:
        """Enqueues several events at once; returns how many were queued."""
        ...

    def requeue(self, events: list[InboundEvent]) -> int:
        """Puts events back for another round (from the dead letter)."""
        ...

    def take(self, max_events: int) -> list[QueuedEvent]:
        """Leases up to `max_events` events; one not deleted reappears when its lease ends."""
        ...

    def retry_later(self, handle: str, delay_seconds: float) -> None:
        """Leaves a taken event on the queue, invisible for `delay_seconds`."""
        ...

    def delete(self, handles: list[str]) -> None:
        """Removes taken events (once they are recorded)."""
        ...

    def depth(self) -> int:
        """How many events are on the queue."""
        ...


def open_event_queue(
    kind: str,
    db: StateDB | None,
    sqs_queue_url: str | None = None,
    sqs_endpoint_url: str | None = None,
    region: str | None = None,
) -> EventQueue:
    """The queue of the given kind: `db` (a table of `db`) or `sqs` (the queue at `sqs_queue_url`)."""
    if kind == "db":
        if db is None:
            raise ConfigError("the db event queue needs the state DB")
        return DbEventQueue(db)
    if kind == "sqs":
        if not sqs_queue_url:
            raise ConfigError("TIKTOK_PIPELINES_QUEUE is sqs but TIKTOK_PIPELINES_SQS_QUEUE_URL is not set")
        from tiktok_pipelines.stores.sqs_queue import SqsEventQueue  # boto3 only when SQS is used

        return SqsEventQueue(sqs_queue_url, endpoint_url=sqs_endpoint_url, region=region)
    raise ConfigError(f"TIKTOK_PIPELINES_QUEUE must be db or sqs, got {kind!r}")


def event_queue_from_settings(settings: Settings, db: StateDB | None = None) -> EventQueue:
    """The queue the configuration names (the state DB's own, or `db` when given, for the db kind)."""
    kind = settings.require("TIKTOK_PIPELINES_QUEUE")
    if kind == "db" and db is None:
        db = open_state_db(settings)
    return open_event_queue(
        kind,
        db,
        settings.get("TIKTOK_PIPELINES_SQS_QUEUE_URL"),
        settings.get("TIKTOK_PIPELINES_SQS_ENDPOINT_URL"),
        settings.get("TIKTOK_PIPELINES_S3_REGION"),
    )
