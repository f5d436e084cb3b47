"""The event log and the events' dead letter (the queue itself is `stores.queue`).

The receiver puts verified events on the queue and answers; `webhook_queue_sensor` takes batches off
the queue, records each event once in the event log (dedup on source + event id), routes it, and only
then deletes it from the queue. A crash between the two leaves the event on the queue, and recording it
again changes nothing. An event the sensor fails to handle goes back on the queue for a later attempt;
after the last attempt it leaves the queue for the dead letter, with its reason, until a person retries
or discards it (`tiktok-pipelines webhooks dead-letter`). The dead letter serves both queue kinds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tiktok_pipelines.core import notices
from tiktok_pipelines.core.events import InboundEvent
from tiktok_pipelines.stores.db import StateDB, UTCDateTime, metadata, utcnow
from tiktok_pipelines.stores.notifications import record_notices
from tiktok_pipelines.stores.queue import (  # noqa: F401  (the queue's names, where callers found them)
    DbEventQueue,
    QueuedEvent,
    event_columns,
    event_queue,
    insert_ignoring_duplicates,
)

event_log = sa.Table(
    "event_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    *event_columns(),
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

event_dead_letter = sa.Table(
    "event_dead_letter",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    *event_columns(),
    sa.Column("client_id", sa.String(63)),  # None when the event's client could not be found
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("error", sa.Text, nullable=False),  # the reason, one line
    sa.Column("trace", sa.Text),  # where it failed: the traceback
    sa.Column("status", sa.String(20), nullable=False),  # open | retried | discarded
    sa.Column("failed_at", UTCDateTime, nullable=False),
    sa.Column("resolved_at", UTCDateTime),
    sa.UniqueConstraint("source", "event_id", name="uq_event_dead_letter_source_event"),
    sa.Index("ix_event_dead_letter_status_client", "status", "client_id"),
)


@dataclass(frozen=True)
class StoredEvent:
    """An inbound event as a table keeps it, with the client it belongs to (None when none owns it)."""

    id: int
    source: str
    event_id: str
    event_type: str
    routing_key: str
    client_id: str | None
    body: str
    received_at: datetime
    sent_at: datetime | None

    def event(self) -> InboundEvent:
        """The event as it was queued, to queue it again."""
        return InboundEvent(
            self.source,
            self.event_id,
            self.event_type,
            self.routing_key,
            self.received_at,
            self.body,
            self.sent_at,
        )


@dataclass(frozen=True)
class LoggedEvent(StoredEvent):
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
                insert_ignoring_duplicates(self.db, event_log).values(
                    **asdict(event),
                    client_id=client_id,
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


DEAD_LETTER_STATUSES = ("open", "retried", "discarded")


@dataclass(frozen=True)
class DeadLetter(StoredEvent):
    attempts: int
    error: str
    trace: str | None
    status: str
    failed_at: datetime
    resolved_at: datetime | None


class EventDeadLetter:
    """Events `webhook_queue_sensor` failed to handle on every attempt, with the reason: `open` until a
    person retries (`retried`, the event is back on the queue) or discards them (`discarded`, kept for
    the record)."""

    def __init__(self, db: StateDB):
        self.db = db

    def add(
        self, event: InboundEvent, client_id: str | None, attempts: int, error: str, trace: str | None = None
    ) -> int:
        """Opens (or opens again, for an event retried before) the event's letter; returns its id."""
        values = {
            "event_type": event.event_type,
            "routing_key": event.routing_key,
            "client_id": client_id,
            "body": event.body,
            "received_at": event.received_at,
            "sent_at": event.sent_at,
            "attempts": attempts,
            "error": error[:2000],
            "trace": trace[-8000:] if trace else None,
            "status": "open",
            "failed_at": utcnow(),
            "resolved_at": None,
        }
        dialect = {"sqlite": sqlite, "postgresql": postgresql}.get(self.db.engine.dialect.name)
        if dialect is None:
            raise NotImplementedError(f"unsupported state DB dialect {self.db.engine.dialect.name}")
        statement = (
            dialect.insert(event_dead_letter)
            .values(source=event.source, event_id=event.event_id, **values)
            .on_conflict_do_update(index_elements=["source", "event_id"], set_=values)
        )
        with self.db.begin() as conn:
            conn.execute(statement)
            letter_id = conn.execute(
                sa.select(event_dead_letter.c.id).where(
                    event_dead_letter.c.source == event.source,
                    event_dead_letter.c.event_id == event.event_id,
                )
            ).scalar_one()
            if client_id:
                notice = notices.event_dead_letter(
                    client_id, event.source, event.event_type, event.event_id, letter_id, error
                )
                record_notices(conn, [notice])
            return letter_id

    def list(
        self, status: str | None = "open", client_id: str | None = None, limit: int = 1000
    ) -> list[DeadLetter]:
        """Letters, oldest first: open ones by default, every one with `status=None`."""
        query = sa.select(event_dead_letter).order_by(event_dead_letter.c.id).limit(limit)
        if status:
            query = query.where(event_dead_letter.c.status == status)
        if client_id:
            query = query.where(event_dead_letter.c.client_id == client_id)
        with self.db.read() as conn:
            return [DeadLetter(**r._mapping) for r in conn.execute(query)]

    def versions(self) -> dict[str | None, tuple[int, str]]:
        """Per client that ever had letters: how many are open, and a version that changes whenever one
        of its letters changes (opened, failed again, retried, discarded) and never comes back."""
        t = event_dead_letter
        query = sa.select(
            t.c.client_id,
            sa.func.count(),
            sa.func.sum(sa.case((t.c.status == "open", 1), else_=0)),
            sa.func.max(t.c.failed_at),
            sa.func.max(t.c.resolved_at),
        ).group_by(t.c.client_id)
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        return {
            client_id: (int(open_ or 0), f"{count}:{failed_at}:{resolved_at}")
            for client_id, count, open_, failed_at, resolved_at in rows
        }

    def get(self, letter_id: int) -> DeadLetter | None:
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(event_dead_letter).where(event_dead_letter.c.id == letter_id)
            ).first()
        return DeadLetter(**row._mapping) if row else None

    def resolve(self, ids: list[int], status: str) -> int:
        """Closes open letters as `retried` or `discarded`; returns how many were open."""
        if status not in DEAD_LETTER_STATUSES[1:]:
            raise ValueError(f"a letter is resolved as retried or discarded, not {status}")
        if not ids:
            return 0
        with self.db.begin() as conn:
            return conn.execute(
                event_dead_letter.update()
                .where(event_dead_letter.c.id.in_(ids), event_dead_letter.c.status == "open")
                .values(status=status, resolved_at=utcnow())
            ).rowcount
