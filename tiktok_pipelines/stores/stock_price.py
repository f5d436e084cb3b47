"""The stock and price sync's state: per channel, listed SKU and kind (stock, price), what VTEX said, what
the channel should show (the target) and what the channel last confirmed showing.

A SKU is pushed when its target differs from its confirmed value; a push the channel accepts makes the target
the confirmed value; a refused one counts an attempt, and after the client's `stock_price_max_attempts`
in a row the SKU is in the dead letter (skipped until its target changes, a person retries it, or the
nightly full reconcile tries once more). A VTEX notification marks the SKU `dirty` until it is read again.

Values are canonical JSON (see `core.models.offers.encode_target`): stock `{"<channel warehouse>": qty}`,
price `{"price", "list_price", "currency"}` as decimal strings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from tiktok_pipelines.core import notices
from tiktok_pipelines.stores.db import ChannelStore, UTCDateTime, channel_key, metadata, utcnow
from tiktok_pipelines.stores.notifications import record_notices

sku_sync = sa.Table(
    "sku_sync",
    metadata,
    *channel_key(),
    sa.Column("kind", sa.String(10), primary_key=True),  # stock | price
    sa.Column("seller_sku", sa.String(100), primary_key=True),
    sa.Column("vtex_sku_id", sa.String(40)),
    sa.Column("channel_product_id", sa.String(40), nullable=False),
    sa.Column("channel_sku_id", sa.String(40), nullable=False),
    sa.Column("dirty", sa.Boolean, nullable=False, default=False),  # a notification asked for a re-read
    sa.Column("observed", sa.Text),  # what VTEX said (JSON)
    sa.Column("observed_at", UTCDateTime),  # when that read started
    sa.Column("observed_run", sa.String(64)),
    sa.Column("target", sa.Text),  # what the channel should show (canonical JSON); NULL: nothing to push
    sa.Column("confirmed", sa.Text),  # what the channel last confirmed showing
    sa.Column("confirmed_at", UTCDateTime),
    sa.Column("confirmed_source", sa.String(10)),  # push (the channel accepted it) | tiktok (read from it)
    sa.Column("held", sa.Text),  # why the target waits for a person (price-drop guard)
    sa.Column("approved", sa.Text),  # the price a person approved despite the guard
    sa.Column("approved_by", sa.String(100)),
    sa.Column("approved_at", UTCDateTime),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),  # failed pushes in a row
    sa.Column("error_code", sa.String(40)),
    sa.Column("error_message", sa.Text),
    sa.Column("pushed_at", UTCDateTime),
    sa.Column("extra_warehouses", sa.Text),  # JSON list: channel warehouses of the SKU beyond the client's
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_sku_sync_vtex", "client_id", "channel", "vtex_sku_id"),
    sa.Index("ix_sku_sync_observed", "client_id", "channel", "kind", "observed_at"),
)

_CHUNK = 500


@dataclass(frozen=True)
class SyncRow:
    client_id: str
    channel: str
    kind: str
    seller_sku: str
    vtex_sku_id: str | None
    channel_product_id: str
    channel_sku_id: str
    dirty: bool
    observed: str | None
    observed_at: datetime | None
    observed_run: str | None
    target: str | None
    confirmed: str | None
    confirmed_at: datetime | None
    confirmed_source: str | None
    held: str | None
    approved: str | None
    approved_by: str | None
    approved_at: datetime | None
    attempts: int
    error_code: str | None
    error_message: str | None
    pushed_at: datetime | None
    extra_warehouses: str | None
    updated_at: datetime

    @property
    def in_sync(self) -> bool:
        return self.target is None or self.target == self.confirmed

    def dead(self, max_attempts: int) -> bool:
        return not self.in_sync and self.attempts >= max_attempts

    @property
    def warehouses(self) -> list[str]:
        return json.loads(self.extra_warehouses) if self.extra_warehouses else []


@dataclass(frozen=True)
class ListedIds:
    """Where a listed SKU lives: its VTEX SKU id and its channel product and SKU ids."""

    vtex_sku_id: str | None
    channel_product_id: str
    channel_sku_id: str


@dataclass(frozen=True)
class Observation:
    """One SKU's fresh read from VTEX, with the target it gives."""

    seller_sku: str
    observed: str
    target: str | None


@dataclass
class RegistryChanges:
    added: int = 0
    moved: int = 0  # the SKU now lives under another channel product or SKU id
    removed: int = 0

    def __add__(self, other: RegistryChanges) -> RegistryChanges:
        return RegistryChanges(
            self.added + other.added, self.moved + other.moved, self.removed + other.removed
        )


@dataclass(frozen=True)
class KindSummary:
    kind: str
    skus: int
    in_sync: int
    pending: int
    failing: int
    dead: int
    held: int
    dirty: int
    never_read: int
    last_read: datetime | None
    last_confirmed: datetime | None


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SkuSyncStore(ChannelStore):
    """Reads and writes `sku_sync`, for one channel (`ChannelName` value)."""

    def _where(self, client_id: str, kind: str):
        return (self._of(sku_sync, client_id), sku_sync.c.kind == kind)

    # -- reads
    def rows(
        self, client_id: str, kind: str, seller_skus: Iterable[str] | None = None, *where
    ) -> list[SyncRow]:
        query = sa.select(sku_sync).where(*self._where(client_id, kind), *where)
        with self.db.read() as conn:
            if seller_skus is None:
                found = conn.execute(query.order_by(sku_sync.c.seller_sku)).all()
            else:
                found = []
                for chunk in _chunks(list(seller_skus)):
                    found += conn.execute(query.where(sku_sync.c.seller_sku.in_(chunk))).all()
        return [SyncRow(**r._mapping) for r in found]

    def count(self, client_id: str) -> int:
        with self.db.read() as conn:
            return conn.execute(
                sa.select(sa.func.count()).select_from(sku_sync).where(self._of(sku_sync, client_id))
            ).scalar_one()

    def ids(self, client_id: str) -> dict[str, ListedIds]:
        """The registered SKUs (stock rows; price rows hold the same ids)."""
        with self.db.read() as conn:
            found = conn.execute(
                sa.select(
                    sku_sync.c.seller_sku,
                    sku_sync.c.vtex_sku_id,
                    sku_sync.c.channel_product_id,
                    sku_sync.c.channel_sku_id,
                ).where(*self._where(client_id, "stock"))
            ).all()
        return {r.seller_sku: ListedIds(r.vtex_sku_id, r.channel_product_id, r.channel_sku_id) for r in found}

    def seller_skus_of(self, client_id: str, vtex_sku_ids: Iterable[str]) -> dict[str, list[str]]:
        """VTEX SKU id → the seller SKUs registered for it."""
        out: dict[str, list[str]] = {}
        with self.db.read() as conn:
            for chunk in _chunks(sorted(set(vtex_sku_ids))):
                for r in conn.execute(
                    sa.select(sku_sync.c.vtex_sku_id, sku_sync.c.seller_sku).where(
                        *self._where(client_id, "stock"), sku_sync.c.vtex_sku_id.in_(chunk)
                    )
                ):
                    out.setdefault(r.vtex_sku_id, []).append(r.seller_sku)
        return out

    def to_read(self, client_id: str, kind: str, mode: str, refresh_limit: int = 0) -> list[SyncRow]:
        """The SKUs a run reads from VTEX: the notified ones (realtime); those and a slice of
        `refresh_limit` more, never-read ones first, then those read longest ago (incremental); all
        (full)."""
        if mode == "full":
            return self.rows(client_id, kind)
        notified = self.rows(client_id, kind, None, sku_sync.c.dirty)
        if mode == "realtime" or refresh_limit <= 0:
            return notified
        query = (
            sa.select(sku_sync)
            .where(*self._where(client_id, kind), sa.not_(sku_sync.c.dirty))
            .order_by(sku_sync.c.observed_at.asc().nulls_first(), sku_sync.c.seller_sku)
            .limit(refresh_limit)
        )
        with self.db.read() as conn:
            return notified + [SyncRow(**r._mapping) for r in conn.execute(query)]

    def to_push(
        self,
        client_id: str,
        kind: str,
        *,
        max_attempts: int | None = None,
        observed_run: str | None = None,
        forced: Iterable[str] = (),
    ) -> list[SyncRow]:
        """SKUs whose target differs from what the channel confirmed, without those in the dead letter (when
        `max_attempts` is given) and, for `observed_run`, only those that run read; `forced` SKUs are
        pushed whatever the channel confirmed."""
        differs = sa.or_(sku_sync.c.confirmed.is_(None), sku_sync.c.target != sku_sync.c.confirmed)
        where = [sku_sync.c.target.is_not(None), differs]
        if max_attempts is not None:
            where.append(sku_sync.c.attempts < max_attempts)
        if observed_run is not None:
            where.append(sku_sync.c.observed_run == observed_run)
        rows = self.rows(client_id, kind, None, *where)
        forced = set(forced) - {r.seller_sku for r in rows}
        if forced:
            rows += [r for r in self.rows(client_id, kind, forced) if r.target is not None]
        return rows

    def dead_letter(self, client_id: str, max_attempts: int, kind: str | None = None) -> list[SyncRow]:
        rows = []
        for k in (kind,) if kind else ("stock", "price"):
            rows += self.rows(
                client_id,
                k,
                None,
                sku_sync.c.attempts >= max_attempts,
                sku_sync.c.target.is_not(None),
                sa.or_(sku_sync.c.confirmed.is_(None), sku_sync.c.target != sku_sync.c.confirmed),
            )
        return rows

    def held(self, client_id: str) -> list[SyncRow]:
        return self.rows(client_id, "price", None, sku_sync.c.held.is_not(None))

    def summary(self, client_id: str, max_attempts: int) -> list[KindSummary]:
        out = []
        for kind in ("stock", "price"):
            rows = self.rows(client_id, kind)
            pending = [r for r in rows if not r.in_sync]
            out.append(
                KindSummary(
                    kind=kind,
                    skus=len(rows),
                    in_sync=len(rows) - len(pending),
                    pending=len(pending),
                    failing=sum(1 for r in pending if r.attempts),
                    dead=sum(1 for r in pending if r.dead(max_attempts)),
                    held=sum(1 for r in rows if r.held),
                    dirty=sum(1 for r in rows if r.dirty),
                    never_read=sum(1 for r in rows if r.observed_at is None),
                    last_read=max((r.observed_at for r in rows if r.observed_at), default=None),
                    last_confirmed=max((r.confirmed_at for r in rows if r.confirmed_at), default=None),
                )
            )
        return out

    # -- writes
    def register(self, client_id: str, listed: Mapping[str, ListedIds]) -> RegistryChanges:
        """Makes the registered SKUs those listed: new ones added (for both kinds), moved ones re-pointed
        (what the channel confirmed for the old SKU id no longer counts), unlisted ones removed."""
        current = self.ids(client_id)
        changes = RegistryChanges()
        now = utcnow()
        new = [s for s in listed if s not in current]
        moved = [
            s
            for s, ids in listed.items()
            if s in current
            and (
                (current[s].channel_product_id, current[s].channel_sku_id)
                != (ids.channel_product_id, ids.channel_sku_id)
            )
        ]
        renumbered = [
            s for s, ids in listed.items() if s in current and current[s].vtex_sku_id != ids.vtex_sku_id
        ]
        gone = [s for s in current if s not in listed]
        with self.db.begin() as conn:
            if new:
                conn.execute(
                    sku_sync.insert(),
                    [
                        {
                            "client_id": client_id,
                            "channel": self.channel,
                            "kind": kind,
                            "seller_sku": s,
                            "vtex_sku_id": listed[s].vtex_sku_id,
                            "channel_product_id": listed[s].channel_product_id,
                            "channel_sku_id": listed[s].channel_sku_id,
                            "dirty": False,
                            "attempts": 0,
                            "updated_at": now,
                        }
                        for s in new
                        for kind in ("stock", "price")
                    ],
                )
            for s in moved:
                conn.execute(
                    sku_sync.update()
                    .where(self._of(sku_sync, client_id), sku_sync.c.seller_sku == s)
                    .values(
                        channel_product_id=listed[s].channel_product_id,
                        channel_sku_id=listed[s].channel_sku_id,
                        confirmed=None,
                        confirmed_at=None,
                        confirmed_source=None,
                        extra_warehouses=None,
                        attempts=0,
                        error_code=None,
                        error_message=None,
                        updated_at=now,
                    )
                )
            for s in renumbered:
                conn.execute(
                    sku_sync.update()
                    .where(self._of(sku_sync, client_id), sku_sync.c.seller_sku == s)
                    .values(
                        vtex_sku_id=listed[s].vtex_sku_id, observed=None, observed_at=None, updated_at=now
                    )
                )
            for chunk in _chunks(gone):
                conn.execute(
                    sku_sync.delete().where(self._of(sku_sync, client_id), sku_sync.c.seller_sku.in_(chunk))
                )
        changes.added, changes.moved, changes.removed = len(new), len(moved), len(gone)
        return changes

    def mark_dirty(self, client_id: str, seller_skus: Mapping[str, Iterable[str]]) -> int:
        """Marks SKUs for a re-read: seller SKU → the kinds VTEX said changed."""
        by_kind: dict[str, list[str]] = {}
        for sku, kinds in seller_skus.items():
            for kind in kinds:
                by_kind.setdefault(kind, []).append(sku)
        marked = 0
        with self.db.begin() as conn:
            for kind, skus in by_kind.items():
                for chunk in _chunks(skus):
                    marked += conn.execute(
                        sku_sync.update()
                        .where(*self._where(client_id, kind), sku_sync.c.seller_sku.in_(chunk))
                        .values(dirty=True, updated_at=utcnow())
                    ).rowcount
        return marked

    def save_observations(
        self, client_id: str, kind: str, observations: Sequence[Observation], read_at: datetime, run_id: str
    ) -> int:
        """Stores fresh reads and their targets, unless a later read of the same SKU is already stored
        (runs may overlap: an older read never overwrites a newer one). A new target clears the failure
        count, so a SKU in the dead letter is tried again once VTEX says something new."""
        now = utcnow()
        statement = (
            sku_sync.update()
            .where(
                self._of(sku_sync, client_id),
                sku_sync.c.kind == kind,
                sku_sync.c.seller_sku == sa.bindparam("b_sku"),
                sa.or_(sku_sync.c.observed_at.is_(None), sku_sync.c.observed_at <= read_at),
            )
            .values(
                observed=sa.bindparam("b_observed"),
                target=sa.bindparam("b_target"),
                observed_at=read_at,
                observed_run=run_id,
                dirty=False,
                attempts=sa.case(
                    (sku_sync.c.target == sa.bindparam("b_target"), sku_sync.c.attempts), else_=0
                ),
                updated_at=now,
            )
        )
        saved = 0
        for chunk in _chunks(list(observations), 2000):
            with self.db.begin() as conn:
                result = conn.execute(
                    statement,
                    [{"b_sku": o.seller_sku, "b_observed": o.observed, "b_target": o.target} for o in chunk],
                )
                saved += max(0, result.rowcount)
        return saved

    def retarget(self, client_id: str, kind: str, targets: Mapping[str, str], run_id: str) -> None:
        """New targets for SKUs this run did not read (seller SKU → canonical JSON): a price their
        product shares changed with another SKU's read. They go with the run's pushes (`observed_run`);
        what VTEX last said of them, and whether it notified them, stays."""
        statement = (
            sku_sync.update()
            .where(*self._where(client_id, kind), sku_sync.c.seller_sku == sa.bindparam("b_sku"))
            .values(target=sa.bindparam("b_target"), observed_run=run_id, attempts=0, updated_at=utcnow())
        )
        with self.db.begin() as conn:
            conn.execute(statement, [{"b_sku": k, "b_target": v} for k, v in targets.items()])

    def confirm(self, client_id: str, kind: str, sent: Mapping[str, str], source: str = "push") -> None:
        """The channel shows these values now (seller SKU → canonical JSON): accepted pushes, or read back."""
        now = utcnow()
        values = dict(
            confirmed=sa.bindparam("b_value"),
            confirmed_at=now,
            confirmed_source=source,
            updated_at=now,
        )
        if source == "push":
            values.update(
                attempts=0, error_code=None, error_message=None, held=None, approved=None, pushed_at=now
            )
        statement = (
            sku_sync.update()
            .where(*self._where(client_id, kind), sku_sync.c.seller_sku == sa.bindparam("b_sku"))
            .values(**values)
        )
        items = list(sent.items())
        for chunk in _chunks(items, 2000):
            with self.db.begin() as conn:
                conn.execute(statement, [{"b_sku": s, "b_value": v} for s, v in chunk])

    def record_failures(
        self,
        client_id: str,
        kind: str,
        failures: Mapping[str, tuple[str, str]],
        *,
        count: bool = True,
        dead_after: int | None = None,
    ) -> None:
        """Failed pushes: seller SKU → (error code, message). `count` adds to the SKU's failures in a row
        (refusals of its data); failures that are not the SKU's fault are recorded without counting. A
        SKU whose counted failures reach `dead_after` (it enters the dead letter) is told to the client's
        people (`stock_price_failed`), in the same transaction."""
        now = utcnow()
        statement = (
            sku_sync.update()
            .where(*self._where(client_id, kind), sku_sync.c.seller_sku == sa.bindparam("b_sku"))
            .values(
                attempts=sku_sync.c.attempts + (1 if count else 0),
                error_code=sa.bindparam("b_code"),
                error_message=sa.bindparam("b_message"),
                pushed_at=now,
                updated_at=now,
            )
        )
        items = list(failures.items())
        for chunk in _chunks(items, 2000):
            with self.db.begin() as conn:
                conn.execute(
                    statement,
                    [
                        {"b_sku": s, "b_code": str(c)[:40], "b_message": (m or "")[:2000]}
                        for s, (c, m) in chunk
                    ],
                )
                if count and dead_after is not None:
                    entered = conn.execute(
                        sa.select(sku_sync.c.seller_sku, sku_sync.c.error_message).where(
                            *self._where(client_id, kind),
                            sku_sync.c.seller_sku.in_([sku for sku, _ in chunk]),
                            sku_sync.c.attempts == dead_after,
                        )
                    ).all()
                    told = [
                        notices.stock_price_failed(
                            client_id, self.channel, kind, r.seller_sku, r.error_message or "", now
                        )
                        for r in entered
                    ]
                    record_notices(conn, told, now)

    def set_held(self, client_id: str, reasons: Mapping[str, str | None]) -> None:
        """Price targets waiting for a person (seller SKU → reason), or released (None)."""
        now = utcnow()
        with self.db.begin() as conn:
            for sku, reason in reasons.items():
                conn.execute(
                    sku_sync.update()
                    .where(*self._where(client_id, "price"), sku_sync.c.seller_sku == sku)
                    .values(held=reason, updated_at=now)
                )

    def approve(self, client_id: str, seller_skus: Iterable[str] | None, by: str) -> list[SyncRow]:
        """A person approves the held price targets (all, or those named): each may go out, and so may
        any later target at or above it. Returns the rows approved."""
        held = [r for r in self.held(client_id) if seller_skus is None or r.seller_sku in set(seller_skus)]
        now = utcnow()
        with self.db.begin() as conn:
            for row in held:
                conn.execute(
                    sku_sync.update()
                    .where(*self._where(client_id, "price"), sku_sync.c.seller_sku == row.seller_sku)
                    .values(
                        approved=row.target, approved_by=by[:100], approved_at=now, held=None, updated_at=now
                    )
                )
        return held

    def add_warehouses(self, client_id: str, warehouses: Mapping[str, Sequence[str]]) -> None:
        """The channel says these SKUs have warehouses beyond the client's (seller SKU → warehouse ids): they
        are listed, at 0, in every later stock target of the SKU."""
        now = utcnow()
        current = {r.seller_sku: r for r in self.rows(client_id, "stock", list(warehouses))}
        with self.db.begin() as conn:
            for sku, extra in warehouses.items():
                row = current.get(sku)
                if row is None:
                    continue
                known = sorted(set(row.warehouses) | set(extra))
                target = json.loads(row.target) if row.target else None
                if target is not None:
                    for wh in extra:
                        target.setdefault(wh, 0)
                conn.execute(
                    sku_sync.update()
                    .where(*self._where(client_id, "stock"), sku_sync.c.seller_sku == sku)
                    .values(
                        extra_warehouses=json.dumps(known),
                        target=json.dumps(target, sort_keys=True, separators=(",", ":"))
                        if target is not None
                        else None,
                        updated_at=now,
                    )
                )

    def retry(self, client_id: str, kind: str | None, seller_skus: Iterable[str] | None) -> int:
        """Clears failure counts (all failing SKUs, or those named), taking them out of the dead letter."""
        where = [self._of(sku_sync, client_id), sku_sync.c.attempts > 0]
        if kind:
            where.append(sku_sync.c.kind == kind)
        with self.db.begin() as conn:
            if seller_skus is None:
                return conn.execute(
                    sku_sync.update().where(*where).values(attempts=0, updated_at=utcnow())
                ).rowcount
            changed = 0
            for chunk in _chunks(list(seller_skus)):
                changed += conn.execute(
                    sku_sync.update()
                    .where(*where, sku_sync.c.seller_sku.in_(chunk))
                    .values(attempts=0, updated_at=utcnow())
                ).rowcount
            return changed
