"""The order map: every channel order of a client, what VTEX order it became, and what is left to do.

One row per (client_id, channel, order_id): the primary key is what makes placement exactly-once. A run works
on an order only while it holds the order's **claim** (`claimed_by`, until `claim_expires_at`), taken
with one conditional UPDATE that a single writer wins on SQLite and on Postgres alike: two runs of the
same client never place, cancel or reject the same order together, and the claim of a run that died is
taken over once its lease ran out. A placement is marked in the row before VTEX is called (state
`placing`) and confirmed after (`placed`); a run that finds a row still `placing` knows an earlier
attempt may have reached VTEX and looks the order up there before placing again. The channel's order
detail holds personal data (name, address, CPF), so it is kept encrypted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tiktok_pipelines.core.models.orders import Order, Return
from tiktok_pipelines.core.notifications import Notice
from tiktok_pipelines.stores.db import ChannelStore, UTCDateTime, channel_key, metadata, utcnow
from tiktok_pipelines.stores.notifications import record_notices

orders_table = sa.Table(
    "orders",
    metadata,
    *channel_key(),
    sa.Column("order_id", sa.String(40), primary_key=True),
    sa.Column("channel_status", sa.String(40)),
    sa.Column("channel_update_time", sa.BigInteger),  # Unix seconds, from the channel
    sa.Column("detail_enc", sa.Text),
    sa.Column("detail_fetched_at", UTCDateTime),
    # pending | placing | placed | authorized | cancelled | not_placed | failed
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("vtex_order_id", sa.String(80)),
    sa.Column("vtex_status", sa.String(40)),
    sa.Column("placed_at", UTCDateTime),
    sa.Column("authorized_at", UTCDateTime),
    sa.Column("cancelled_at", UTCDateTime),
    sa.Column("cancel_status", sa.String(60)),
    sa.Column("return_status", sa.String(60)),
    sa.Column("address_updated_at", UTCDateTime),
    # The package's tracking once it shipped (written by the fulfilment lane).
    sa.Column("tracking_number", sa.String(80)),
    sa.Column("shipping_provider", sa.String(200)),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text),
    sa.Column("needs_sync", sa.Boolean, nullable=False, default=True),
    sa.Column("sync_reasons", sa.String(200), nullable=False, default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # The run working on the order (its run id) and until when its claim holds.
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("claim_expires_at", UTCDateTime),
    # Counts the times the order was flagged: a run clears the flag only if nothing flagged it again
    # while the run worked on it.
    sa.Column("sync_generation", sa.Integer),
    sa.Index("ix_orders_sync", "client_id", "channel", "needs_sync"),
    sa.Index("ix_orders_vtex", "client_id", "vtex_order_id"),
)

order_returns = sa.Table(
    "order_returns",
    metadata,
    *channel_key(),
    sa.Column("return_id", sa.String(40), primary_key=True),
    sa.Column("order_id", sa.String(40), nullable=False),
    sa.Column("return_type", sa.String(40)),
    sa.Column("return_status", sa.String(60)),
    sa.Column("refund_total", sa.String(40)),
    sa.Column("currency", sa.String(3)),
    sa.Column("seller_skus", sa.Text),  # JSON list of the returned lines' seller_sku
    sa.Column("vtex_return_invoice", sa.String(80)),  # the Input invoice sent to VTEX, once
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

sync_cursors = sa.Table(
    "sync_cursors",
    metadata,
    *channel_key(),
    sa.Column("name", sa.String(60), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

PLACED_STATES = ("placed", "authorized")


def _with_reason(reasons: str, reason: str) -> str:
    """A row's `sync_reasons` with one more (sorted, once each)."""
    return ",".join(sorted({*reasons.split(","), reason} - {""}))


def _next_generation():
    return sa.func.coalesce(orders_table.c.sync_generation, 0) + 1


FAILED_STATE = "failed"


@dataclass(frozen=True)
class OrderRecord:
    client_id: str
    channel: str
    order_id: str
    channel_status: str | None
    channel_update_time: int | None
    detail_enc: str | None
    detail_fetched_at: datetime | None
    state: str
    vtex_order_id: str | None
    vtex_status: str | None
    placed_at: datetime | None
    authorized_at: datetime | None
    cancelled_at: datetime | None
    cancel_status: str | None
    return_status: str | None
    address_updated_at: datetime | None
    tracking_number: str | None
    shipping_provider: str | None
    attempts: int
    last_error: str | None
    needs_sync: bool
    sync_reasons: str
    created_at: datetime
    updated_at: datetime
    claimed_by: str | None = None
    claim_expires_at: datetime | None = None
    sync_generation: int | None = None

    @property
    def placed(self) -> bool:
        return self.state in PLACED_STATES

    @property
    def reasons(self) -> set[str]:
        return {r for r in self.sync_reasons.split(",") if r}

    @property
    def given_up(self) -> bool:
        """Failed and no longer retried (VTEX cannot take it, or it failed `order_max_attempts` times): it
        waits for a person (`tiktok-pipelines orders reprocess`)."""
        return not self.needs_sync and self.last_error is not None


class ClaimLost(RuntimeError):
    """The run's claim on an order ran out and another run took the order over."""


class OrderStore(ChannelStore):
    """The order map of one channel (`ChannelName` value)."""

    def _where(self, client_id: str, order_id: str):
        return sa.and_(self._of(orders_table, client_id), orders_table.c.order_id == order_id)

    def _insert_new(self, client_id: str, order_id: str, reason: str, now: datetime, **values: Any):
        """The row of an order first seen: pending, flagged for the next run for `reason`."""
        return orders_table.insert().values(
            client_id=client_id,
            channel=self.channel,
            order_id=order_id,
            state="pending",
            attempts=0,
            needs_sync=True,
            sync_reasons=reason,
            sync_generation=1,
            created_at=now,
            **values,
        )

    # -- reads
    def get(self, client_id: str, order_id: str) -> OrderRecord | None:
        with self.db.read() as conn:
            row = conn.execute(sa.select(orders_table).where(self._where(client_id, order_id))).first()
        return OrderRecord(**row._mapping) if row else None

    def by_vtex_order_id(self, client_id: str, vtex_order_id: str) -> OrderRecord | None:
        row = self._first(orders_table, client_id, orders_table.c.vtex_order_id == vtex_order_id)
        return OrderRecord(**row._mapping) if row else None

    def needing_sync(self, client_id: str, limit: int = 1000) -> list[OrderRecord]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(orders_table)
                .where(
                    self._of(orders_table, client_id),
                    orders_table.c.needs_sync.is_(True),
                )
                .order_by(orders_table.c.updated_at)
                .limit(limit)
            ).all()
        return [OrderRecord(**r._mapping) for r in rows]

    def all(self, client_id: str) -> list[OrderRecord]:
        with self.db.read() as conn:
            rows = conn.execute(sa.select(orders_table).where(self._of(orders_table, client_id))).all()
        return [OrderRecord(**r._mapping) for r in rows]

    def given_up(self, client_id: str) -> list[OrderRecord]:
        """Orders no run will try again by itself (see `OrderRecord.given_up`), oldest change first."""
        c = orders_table.c
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(orders_table)
                .where(self._of(orders_table, client_id), c.needs_sync.is_(False), c.last_error.is_not(None))
                .order_by(c.updated_at)
            ).all()
        return [OrderRecord(**r._mapping) for r in rows]

    def detail(self, record: OrderRecord) -> dict[str, Any] | None:
        if not record.detail_enc:
            return None
        return json.loads(self.db.secrets.decrypt(record.detail_enc))

    # -- writes
    def mark_for_sync(self, client_id: str, order_ids: list[str], reason: str) -> int:
        """Flags orders (known or not yet) for the next orders run; returns how many were new."""
        now = utcnow()
        created = 0
        with self.db.begin() as conn:
            for order_id in dict.fromkeys(o for o in order_ids if o):
                row = conn.execute(
                    sa.select(orders_table.c.sync_reasons).where(self._where(client_id, order_id))
                ).first()
                if row is None:
                    conn.execute(self._insert_new(client_id, order_id, reason, now, updated_at=now))
                    created += 1
                else:
                    conn.execute(
                        orders_table.update()
                        .where(self._where(client_id, order_id))
                        .values(
                            needs_sync=True,
                            sync_reasons=_with_reason(row.sync_reasons, reason),
                            sync_generation=_next_generation(),
                            updated_at=now,
                        )
                    )
        return created

    def reprocess(self, client_id: str, order_ids: list[str]) -> list[str]:
        """Flags orders a run gave up on for the next orders run, with a fresh detail from the channel and a new
        set of attempts; returns those flagged. (An attempt that may have reached VTEX is still looked up
        there first: its state says so.)"""
        c = orders_table.c
        now = utcnow()
        done = []
        with self.db.begin() as conn:
            for order_id in dict.fromkeys(order_ids):
                row = conn.execute(
                    sa.select(c.sync_reasons).where(
                        self._where(client_id, order_id), c.needs_sync.is_(False), c.last_error.is_not(None)
                    )
                ).first()
                if row is None:
                    continue
                conn.execute(
                    orders_table.update()
                    .where(self._where(client_id, order_id))
                    .values(
                        needs_sync=True,
                        sync_reasons=_with_reason(row.sync_reasons, "reprocess"),
                        attempts=0,
                        sync_generation=_next_generation(),
                        updated_at=now,
                    )
                )
                done.append(order_id)
        return done

    def save_detail(self, client_id: str, order: Order) -> OrderRecord:
        """Stores the channel's latest detail of an order, as the channel sent it (ignoring one older than
        what is stored)."""
        now = utcnow()
        order_id = order.order_id
        update_time = order.version
        with self.db.begin() as conn:
            row = conn.execute(
                sa.select(orders_table.c.channel_update_time).where(self._where(client_id, order_id))
            ).first()
            values = dict(
                channel_status=order.status,
                channel_update_time=update_time,
                detail_enc=self.db.secrets.encrypt(json.dumps(order.raw, separators=(",", ":"))),
                detail_fetched_at=now,
                updated_at=now,
            )
            if row is None:
                conn.execute(self._insert_new(client_id, order_id, "poll", now, **values))
            elif (row.channel_update_time or 0) <= update_time:
                conn.execute(orders_table.update().where(self._where(client_id, order_id)).values(**values))
        record = self.get(client_id, order_id)
        assert record is not None
        return record

    def update(self, client_id: str, order_id: str, notices: Sequence[Notice] = (), **values: Any) -> None:
        """Writes `values`, and records `notices` (`stores/notifications.py`) in the same transaction."""
        values["updated_at"] = utcnow()
        with self.db.begin() as conn:
            conn.execute(orders_table.update().where(self._where(client_id, order_id)).values(**values))
            record_notices(conn, notices)

    def claim(self, client_id: str, order_id: str, owner: str, lease_seconds: float) -> OrderRecord | None:
        """Takes the order for `owner` (a run id) for `lease_seconds`, if it still needs syncing and no
        other run holds it (or the holder's lease ran out: the run died); returns the row as it now is,
        or None when the order is not this run's to work on.

        One conditional UPDATE: on SQLite writers are serialized; on Postgres the second writer waits for
        the first's row lock and re-checks the condition on the row the first committed, so exactly one
        run takes it."""
        now = utcnow()
        c = orders_table.c
        with self.db.begin() as conn:
            taken = conn.execute(
                orders_table.update()
                .where(
                    self._where(client_id, order_id),
                    c.needs_sync.is_(True),
                    sa.or_(c.claimed_by.is_(None), c.claimed_by == owner, c.claim_expires_at < now),
                )
                .values(claimed_by=owner, claim_expires_at=now + timedelta(seconds=lease_seconds))
            ).rowcount
            if taken != 1:
                return None
            row = conn.execute(sa.select(orders_table).where(self._where(client_id, order_id))).first()
        return OrderRecord(**row._mapping)

    def release(self, client_id: str, order_id: str, owner: str) -> None:
        """Gives the claim back (only `owner`'s own: a claim another run took over stays its)."""
        with self.db.begin() as conn:
            conn.execute(
                orders_table.update()
                .where(self._where(client_id, order_id), orders_table.c.claimed_by == owner)
                .values(claimed_by=None, claim_expires_at=None)
            )

    def claim_placement(
        self, client_id: str, order_id: str, owner: str, lease_seconds: float
    ) -> OrderRecord | None:
        """Marks the order `placing` unless it is placed already, and renews `owner`'s claim; returns the
        row as it was before. Raises ClaimLost when the claim is no longer `owner`'s: VTEX must then not
        be called by this run."""
        now = utcnow()
        c = orders_table.c
        with self.db.begin() as conn:
            held = conn.execute(
                orders_table.update()
                .where(self._where(client_id, order_id), c.claimed_by == owner, c.claim_expires_at >= now)
                .values(claim_expires_at=now + timedelta(seconds=lease_seconds))
            ).rowcount
            if held != 1:
                raise ClaimLost(f"order {order_id}: the claim of run {owner} ran out and another run took it")
            row = conn.execute(sa.select(orders_table).where(self._where(client_id, order_id))).first()
            if row.state in PLACED_STATES:
                return OrderRecord(**row._mapping)
            conn.execute(
                orders_table.update()
                .where(self._where(client_id, order_id))
                .values(state="placing", attempts=c.attempts + 1, updated_at=now)
            )
        return OrderRecord(**row._mapping)

    def record_failure(self, client_id: str, order_id: str, error: str, state: str = FAILED_STATE) -> None:
        self.update(client_id, order_id, state=state, last_error=error[:2000])

    def done_syncing(
        self,
        client_id: str,
        order_id: str,
        generation: int | None = None,
        notices: Sequence[Notice] = (),
        **values: Any,
    ) -> bool:
        """Clears the order's flag (with `values`, e.g. the error it is given up with) unless it was
        flagged again since the run read it at `generation` (a webhook during the run): then only `values`
        are written and the order stays flagged for the next run. Returns whether the flag was cleared."""
        values.setdefault("last_error", None)
        now = utcnow()
        with self.db.begin() as conn:
            same = sa.func.coalesce(orders_table.c.sync_generation, 0) == (generation or 0)
            cleared = conn.execute(
                orders_table.update()
                .where(self._where(client_id, order_id), same if generation is not None else sa.true())
                .values(needs_sync=False, sync_reasons="", updated_at=now, **values)
            ).rowcount
            if not cleared:
                conn.execute(
                    orders_table.update()
                    .where(self._where(client_id, order_id))
                    .values(updated_at=now, **values)
                )
            record_notices(conn, notices)
        return bool(cleared)

    def set_vtex_status(self, client_id: str, vtex_order_id: str, status: str) -> bool:
        order = orders_table.c.vtex_order_id == vtex_order_id
        return self._update(orders_table, client_id, order, vtex_status=status, updated_at=utcnow()) > 0

    # -- returns
    def save_return(self, client_id: str, ret: Return) -> None:
        now = utcnow()
        values = dict(
            order_id=ret.order_id,
            return_type=ret.return_type,
            return_status=ret.status,
            refund_total="" if ret.refund_total is None else str(ret.refund_total),
            currency=ret.currency,
            seller_skus=json.dumps(list(ret.seller_skus)),
            updated_at=now,
        )
        self._save(order_returns, client_id, values, return_id=ret.return_id)

    def returns(self, client_id: str, order_id: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(order_returns).where(self._of(order_returns, client_id))
        if order_id:
            query = query.where(order_returns.c.order_id == order_id)
        with self.db.read() as conn:
            return [dict(r._mapping) for r in conn.execute(query).all()]

    def set_return_invoice(self, client_id: str, return_id: str, invoice_number: str) -> None:
        ret = order_returns.c.return_id == return_id
        self._update(order_returns, client_id, ret, vtex_return_invoice=invoice_number, updated_at=utcnow())

    # -- cursors
    def cursor(self, client_id: str, name: str) -> str | None:
        with self.db.read() as conn:
            return conn.execute(
                sa.select(sync_cursors.c.value).where(
                    self._of(sync_cursors, client_id), sync_cursors.c.name == name
                )
            ).scalar()

    def set_cursor(self, client_id: str, name: str, value: str) -> None:
        self._save(sync_cursors, client_id, {"value": value, "updated_at": utcnow()}, name=name)
