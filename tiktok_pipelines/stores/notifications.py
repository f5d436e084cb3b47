"""The notification outbox: what a client's people must hear about, and its delivery to each destination.

A lane records a notice with `record_notices(conn, ...)` on the connection that writes the change the
notice is about, so both commit together or neither does. `(client_id, dedup_key)` is unique: recording
the same happening again changes nothing, and a notice for a client not in the registry is skipped (it
never makes the change fail). Recording also makes one delivery row per enabled destination
of the client whose kinds include the notice's; the sender (`lanes/notifications/`) claims due deliveries
with a lease, as the order map's claims (`stores/orders.py`) do, so two senders never send the same one
at once, and one that died mid-delivery leaves it to the next once the lease ran out.

A delivery is `pending` (with `next_attempt_at`), `delivered`, `failed` (given up after the maximum age:
counted by the check `failed_notifications_empty`) or `skipped` (its destination was disabled).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tiktok_pipelines.core.notifications import Notice, NotificationKind
from tiktok_pipelines.stores.db import StateDB, UTCDateTime, metadata, utcnow
from tiktok_pipelines.stores.notification_destinations import client_column, destinations_table, wants

notifications_table = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    client_column(),
    sa.Column("channel", sa.String(30)),  # None for what concerns no channel (a failed run, the day's total)
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("dedup_key", sa.String(300), nullable=False),
    sa.Column("facts", sa.Text, nullable=False),  # JSON: ids, amounts, counts, reasons; no personal data
    sa.Column("link", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("client_id", "dedup_key", name="uq_notifications_client_dedup"),
    sa.Index("ix_notifications_client_created", "client_id", "created_at"),
)

deliveries_table = sa.Table(
    "notification_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "notification_id",
        sa.Integer,
        sa.ForeignKey("notifications.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column(
        "destination_id",
        sa.Integer,
        sa.ForeignKey("notification_destinations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("state", sa.String(20), nullable=False),  # pending | delivered | failed | skipped
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("delivered_at", UTCDateTime),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("claim_expires_at", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("notification_id", "destination_id", name="uq_deliveries_notification_destination"),
    sa.Index("ix_deliveries_due", "state", "next_attempt_at"),
)

STATES = ("pending", "delivered", "failed", "skipped")


def record_notices(conn: Connection, notices: Iterable[Notice], now: datetime | None = None) -> list[int]:
    """Records notices in the caller's transaction, once per `(client_id, dedup_key)`, each with a
    pending delivery to every enabled destination of its client that wants its kind; returns the ids of
    the notifications new here (a repeat is skipped)."""
    now = now or utcnow()
    created = []
    for notice in notices:
        if not _registered(conn, notice.client_id):
            continue  # no one to tell (a client removed, an event of no client): the change goes on
        where = sa.and_(
            notifications_table.c.client_id == notice.client_id,
            notifications_table.c.dedup_key == notice.dedup_key[:300],
        )
        if conn.execute(sa.select(notifications_table.c.id).where(where)).first() is not None:
            continue
        # Another transaction may record the same notice at the same moment (two lanes telling of one
        # happening): the loser's insert is undone alone, never the change it goes with.
        try:
            with conn.begin_nested():
                notification_id = conn.execute(
                    notifications_table.insert().values(
                        client_id=notice.client_id,
                        channel=notice.channel,
                        kind=notice.kind.value,
                        dedup_key=notice.dedup_key[:300],
                        facts=json.dumps(
                            notice.facts, default=str, separators=(",", ":"), ensure_ascii=False
                        ),
                        link=notice.link,
                        created_at=now,
                    )
                ).inserted_primary_key[0]
        except sa.exc.IntegrityError:
            continue
        targets = conn.execute(
            sa.select(destinations_table.c.id, destinations_table.c.kinds).where(
                destinations_table.c.client_id == notice.client_id, destinations_table.c.enabled.is_(True)
            )
        ).all()
        rows = [
            dict(
                notification_id=notification_id,
                destination_id=target.id,
                state="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            for target in targets
            if wants(target.kinds, notice.kind)
        ]
        if rows:
            conn.execute(deliveries_table.insert(), rows)
        created.append(notification_id)
    return created


def _registered(conn: Connection, client_id: str) -> bool:
    clients = metadata.tables["clients"]
    return (
        conn.execute(sa.select(clients.c.client_id).where(clients.c.client_id == client_id)).first()
        is not None
    )


@dataclass(frozen=True)
class Delivery:
    """A pending delivery with what the sender needs of its notification."""

    id: int
    notification_id: int
    destination_id: int
    client_id: str
    channel: str | None
    kind: NotificationKind
    facts: dict[str, Any]
    link: str | None
    attempts: int
    next_attempt_at: datetime
    created_at: datetime

    @property
    def group(self) -> tuple[int, str, str | None]:
        """Deliveries of one group go out as one message (a digest when there are several)."""
        return (self.destination_id, self.kind.value, self.channel)


def _joined():
    n, d = notifications_table, deliveries_table
    return sa.select(
        d.c.id,
        d.c.notification_id,
        d.c.destination_id,
        n.c.client_id,
        n.c.channel,
        n.c.kind,
        n.c.facts,
        n.c.link,
        d.c.attempts,
        d.c.next_attempt_at,
        d.c.created_at,
    ).join(n, n.c.id == d.c.notification_id)


def _delivery(row) -> Delivery:
    values = dict(row._mapping)
    values["kind"] = NotificationKind(values["kind"])
    values["facts"] = json.loads(values["facts"])
    return Delivery(**values)


class NotificationOutbox:
    """The outbox's reads and the sender's writes."""

    def __init__(self, db: StateDB):
        self.db = db

    def record(self, notices: Sequence[Notice], now: datetime | None = None) -> list[int]:
        """Records notices in a transaction of their own (for what changes nothing else: the day's
        total, a failed run)."""
        with self.db.begin() as conn:
            return record_notices(conn, notices, now)

    # -- the sender
    def due(self, now: datetime, limit: int) -> list[Delivery]:
        """Pending deliveries due by `now` and not held by a live claim, oldest first, with every other
        pending delivery of their groups that is due too."""
        d = deliveries_table
        free = sa.or_(d.c.claimed_by.is_(None), d.c.claim_expires_at < now)
        query = (
            _joined()
            .join(destinations_table, destinations_table.c.id == d.c.destination_id)
            .where(d.c.state == "pending", d.c.next_attempt_at <= now, free, destinations_table.c.enabled)
            .order_by(d.c.next_attempt_at, d.c.id)
            .limit(limit)
        )
        with self.db.read() as conn:
            return [_delivery(r) for r in conn.execute(query).all()]

    def claim(self, ids: Sequence[int], owner: str, lease_seconds: float, now: datetime) -> list[int]:
        """Takes the deliveries no live claim holds for `owner`; returns the ids taken. One conditional
        UPDATE, so of two senders exactly one takes each delivery."""
        if not ids:
            return []
        d = deliveries_table
        with self.db.begin() as conn:
            conn.execute(
                d.update()
                .where(
                    d.c.id.in_(list(ids)),
                    d.c.state == "pending",
                    sa.or_(d.c.claimed_by.is_(None), d.c.claim_expires_at < now),
                )
                .values(claimed_by=owner, claim_expires_at=now + timedelta(seconds=lease_seconds))
            )
            return list(
                conn.execute(
                    sa.select(d.c.id).where(
                        d.c.id.in_(list(ids)), d.c.claimed_by == owner, d.c.state == "pending"
                    )
                ).scalars()
            )

    def _settle(self, ids: Sequence[int], owner: str, **values: Any) -> int:
        d = deliveries_table
        if not ids:
            return 0
        with self.db.begin() as conn:
            return conn.execute(
                d.update()
                .where(d.c.id.in_(list(ids)), d.c.claimed_by == owner, d.c.state == "pending")
                .values(claimed_by=None, claim_expires_at=None, **values)
            ).rowcount

    def delivered(self, ids: Sequence[int], owner: str, now: datetime) -> int:
        return self._settle(ids, owner, state="delivered", delivered_at=now, last_error=None)

    def retry_at(self, ids: Sequence[int], owner: str, error: str, when: datetime) -> int:
        """A failed attempt: counted, with its reason, and tried again at `when`."""
        d = deliveries_table
        return self._settle(
            ids, owner, attempts=d.c.attempts + 1, last_error=error[:2000], next_attempt_at=when
        )

    def hold_until(self, ids: Sequence[int], owner: str, when: datetime) -> int:
        """Not sent now (quiet hours): due again at `when`, no attempt counted."""
        return self._settle(ids, owner, next_attempt_at=when)

    def give_up_older_than(self, cutoff: datetime, now: datetime) -> int:
        """Pending deliveries of notifications recorded before `cutoff` (not under a live claim) are
        failed: a person must hear that they were not delivered (the check)."""
        d = deliveries_table
        with self.db.begin() as conn:
            return conn.execute(
                d.update()
                .where(
                    d.c.state == "pending",
                    d.c.created_at < cutoff,
                    sa.or_(d.c.claimed_by.is_(None), d.c.claim_expires_at < now),
                )
                .values(
                    state="failed",
                    claimed_by=None,
                    claim_expires_at=None,
                    last_error=sa.func.coalesce(d.c.last_error, "") + " (gave up: too old)",
                )
            ).rowcount

    def retry_failed(self, client_id: str, now: datetime | None = None) -> int:
        """Failed deliveries of a client are pending again, with a fresh start (`notifications retry`)."""
        d, n = deliveries_table, notifications_table
        ids = (
            sa.select(d.c.id)
            .join(n, n.c.id == d.c.notification_id)
            .where(n.c.client_id == client_id, d.c.state == "failed")
        )
        now = now or utcnow()
        with self.db.begin() as conn:
            return conn.execute(
                d.update()
                .where(d.c.id.in_(ids))
                .values(state="pending", attempts=0, next_attempt_at=now, created_at=now)
            ).rowcount

    # -- reads
    def counts(self, client_id: str) -> dict[str, int]:
        """The client's deliveries per state."""
        d, n = deliveries_table, notifications_table
        query = (
            sa.select(d.c.state, sa.func.count())
            .join(n, n.c.id == d.c.notification_id)
            .where(n.c.client_id == client_id)
            .group_by(d.c.state)
        )
        with self.db.read() as conn:
            found = dict(conn.execute(query).all())
        return {state: int(found.get(state, 0)) for state in STATES}

    def failed(self, client_id: str, limit: int = 100) -> list[dict[str, Any]]:
        return self.listing(client_id, states=("failed",), limit=limit)

    def listing(
        self, client_id: str | None = None, states: Sequence[str] | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Notifications, newest first, each with its deliveries' state (one row per delivery; a
        notification no destination wanted has one row with no destination)."""
        n, d, t = notifications_table, deliveries_table, destinations_table
        query = (
            sa.select(
                n.c.id,
                n.c.client_id,
                n.c.channel,
                n.c.kind,
                n.c.dedup_key,
                n.c.created_at,
                t.c.name.label("destination"),
                d.c.state,
                d.c.attempts,
                d.c.delivered_at,
                d.c.next_attempt_at,
                d.c.last_error,
            )
            .select_from(
                n.outerjoin(d, d.c.notification_id == n.c.id).outerjoin(t, t.c.id == d.c.destination_id)
            )
            .order_by(n.c.id.desc(), t.c.name)
            .limit(limit)
        )
        if client_id:
            query = query.where(n.c.client_id == client_id)
        if states:
            query = query.where(d.c.state.in_(list(states)))
        with self.db.read() as conn:
            return [dict(r._mapping) for r in conn.execute(query).all()]
