"""The event queue (state DB kind) and the event log.

The receiver puts verified events on the queue and answers; `webhook_queue_sensor` takes batches off
the queue, records each event once in the event log (dedup on source + event id), routes it, and only
then deletes it from the queue. A crash between the two leaves the event on the queue, and recording it
again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tiktok_pipelines.domain.events import InboundEvent
from tiktok_pipelines.state.db import StateDB, UTCDateTime, metadata, utcnow

event_queue = sa.Table(
    "event_queue",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("event_id", sa.String(200), nullable=False),
    sa.Column("event_type", sa.String(40), nullable=False),
    sa.Column("routing_key", sa.String(100), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime),  # the sender's own timestamp, when it gives one
    sa.Column("visible_after", UTCDateTime, nullable=False),
    sa.Column("deliveries", sa.Integer, nullable=False, default=0),
    sa.UniqueConstraint("source", "event_id", name="uq_event_queue_source_event"),
    sa.Index("ix_event_queue_visible", "visible_after", "id"),
)

event_log = sa.Table(
    "event_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("event_id", sa.String(200), nullable=False),
    sa.Column("event_type", sa.String(40), nullable=False),
    sa.Column("routing_key", sa.String(100), nullable=False),
    sa.Column("client_id", sa.String(63)),  # None when no client owns the shop / account
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime),  # the webhook's own timestamp
    sa.Column("skew_seconds", sa.Float),  # received_at - sent_at: how late it came (negative: early)
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.Column("target", sa.String(40)),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("keys", sa.Text, nullable=False, default=""),
    sa.Column("status", sa.String(20), nullable=False),  # pending | handled | ignored | failed
    sa.Column("run_key", sa.String(200)),
    sa.Column("handled_at", UTCDateTime),
    sa.Column("error", sa.Text),
    sa.UniqueConstraint("source", "event_id", name="uq_event_log_source_event"),
    sa.Index("ix_event_log_client_status", "client_id", "status"),
    sa.Index("ix_event_log_received", "received_at"),
)


def _insert_ignoring_duplicates(db: StateDB, table: sa.Table):
    """An INSERT that skips rows whose unique key exists (both SQLite and Postgres)."""
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"unsupported state DB dialect {dialect}")


@dataclass(frozen=True)
class QueuedEvent:
    """An event taken off a queue; `handle` deletes it once it is recorded."""

    event: InboundEvent
    handle: str


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
        rows = [
            {
                "source": e.source,
                "event_id": e.event_id,
                "event_type": e.event_type,
                "routing_key": e.routing_key,
                "body": e.body,
                "received_at": e.received_at,
                "sent_at": e.sent_at,
                "visible_after": e.received_at,
                "deliveries": 0,
            }
            for e in events
        ]
        with self.db.begin() as conn:
            result = conn.execute(_insert_ignoring_duplicates(self.db, event_queue), rows)
        return max(0, result.rowcount)

    def take(self, max_events: int) -> list[QueuedEvent]:
        """Leases up to `max_events` of the oldest visible events (they reappear if not deleted)."""
        now = utcnow()
        with self.db.begin() as conn:
            rows = conn.execute(
                sa.select(event_queue)
                .where(event_queue.c.visible_after <= now)
                .order_by(event_queue.c.id)
                .limit(max_events)
            ).all()
            if rows:
                conn.execute(
                    event_queue.update()
                    .where(event_queue.c.id.in_([r.id for r in rows]))
                    .values(visible_after=now + self.lease, deliveries=event_queue.c.deliveries + 1)
                )
        return [
            QueuedEvent(
                InboundEvent(
                    r.source, r.event_id, r.event_type, r.routing_key, r.received_at, r.body, r.sent_at
                ),
                str(r.id),
            )
            for r in rows
        ]

    def delete(self, handles: list[str]) -> None:
        if not handles:
            return
        with self.db.begin() as conn:
            conn.execute(event_queue.delete().where(event_queue.c.id.in_([int(h) for h in handles])))

    def depth(self) -> int:
        with self.db.read() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(event_queue)).scalar_one()


@dataclass(frozen=True)
class LoggedEvent:
    id: int
    source: str
    event_id: str
    event_type: str
    routing_key: str
    client_id: str | None
    body: str
    received_at: datetime
    sent_at: datetime | None
    skew_seconds: float | None
    recorded_at: datetime
    target: str | None
    action: str
    keys: str
    status: str
    run_key: str | None
    handled_at: datetime | None
    error: str | None

    @property
    def key_list(self) -> list[str]:
        return [k for k in self.keys.split(",") if k]


class EventLog:
    """Every event received, once, with what was done about it."""

    def __init__(self, db: StateDB):
        self.db = db

    def record(
        self,
        event: InboundEvent,
        client_id: str | None,
        target: str | None,
        action: str,
        keys: tuple[str, ...],
        status: str,
        run_key: str | None = None,
    ) -> bool:
        """Records an event; returns False when it was recorded before (a redelivery)."""
        with self.db.begin() as conn:
            result = conn.execute(
                _insert_ignoring_duplicates(self.db, event_log).values(
                    source=event.source,
                    event_id=event.event_id,
                    event_type=event.event_type,
                    routing_key=event.routing_key,
                    client_id=client_id,
                    body=event.body,
                    received_at=event.received_at,
                    sent_at=event.sent_at,
                    skew_seconds=event.skew_seconds,
                    recorded_at=utcnow(),
                    target=target,
                    action=action,
                    keys=",".join(k for k in keys if k),
                    status=status,
                    run_key=run_key,
                    handled_at=utcnow() if status in ("handled", "ignored") else None,
                )
            )
        return result.rowcount == 1

    def pending(self, client_id: str, target: str, limit: int = 10_000) -> list[LoggedEvent]:
        """Events of a client waiting for a run of `target`, oldest first."""
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(event_log)
                .where(
                    event_log.c.client_id == client_id,
                    event_log.c.target == target,
                    event_log.c.status == "pending",
                )
                .order_by(event_log.c.id)
                .limit(limit)
            ).all()
        return [LoggedEvent(**r._mapping) for r in rows]

    def mark(self, ids: list[int], status: str, error: str | None = None) -> None:
        if not ids:
            return
        with self.db.begin() as conn:
            conn.execute(
                event_log.update()
                .where(event_log.c.id.in_(ids))
                .values(status=status, error=error[:2000] if error else None, handled_at=utcnow())
            )

    def get(self, source: str, event_id: str) -> LoggedEvent | None:
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(event_log).where(event_log.c.source == source, event_log.c.event_id == event_id)
            ).first()
        return LoggedEvent(**row._mapping) if row else None

    def count(self, **criteria: str) -> int:
        query = sa.select(sa.func.count()).select_from(event_log)
        for column, value in criteria.items():
            query = query.where(event_log.c[column] == value)
        with self.db.read() as conn:
            return conn.execute(query).scalar_one()
