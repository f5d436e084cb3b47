"""The stock and price lane as one service: what each of its assets does, in one call.

- `read(kind, run, vtex)`: the listed SKUs registered, VTEX notifications claimed, the SKUs of the run
  read from VTEX into targets and stored (stock behind the mass stock-out guard), the lake's snapshot
  replaced by reconcile runs;
- `read_channel_state(channel)`: what the channel shows taken as confirmed (full runs), so drift is
  pushed again;
- `push(kind, run, channel)`: every SKU whose target differs from what the channel confirmed, one call
  per product, the results kept in the state DB and the lake.

It works for one client over the state DB, the lake, VTEX and a channel's `OfferApi`; VTEX clients and
channel sessions are opened by the callables it is given, when it needs them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

import pyarrow as pa

from tiktok_pipelines.channels.base import Capabilities, ChannelSession
from tiktok_pipelines.core.sku_ids import sku_id_map
from tiktok_pipelines.core.stock_price import LANE, StockPriceOptions, StockPriceOptionsError
from tiktok_pipelines.core.synclog import SyncLog
from tiktok_pipelines.core.tables import PRICE_HISTORY, STOCK_HISTORY, VTEX_PRICES, VTEX_STOCK
from tiktok_pipelines.lanes.stock_price.channel_state import ChannelStateReport, read_channel_state
from tiktok_pipelines.lanes.stock_price.pushes import InventoryPusher, PricePusher, PushReport, SystemicError
from tiktok_pipelines.lanes.stock_price.skus import ClaimReport, claim_events, listed_skus, rows_to_read
from tiktok_pipelines.lanes.stock_price.vtex_reads import (
    ReadReport,
    VtexRead,
    price_snapshot,
    stock_snapshot,
)
from tiktok_pipelines.stores.db import DEFAULT_CHANNEL, StateDB
from tiktok_pipelines.stores.events import EventLog
from tiktok_pipelines.stores.listings import ListingMap
from tiktok_pipelines.stores.registry import Client, ClientRegistry
from tiktok_pipelines.stores.stock_price import RegistryChanges, SkuSyncStore, SyncRow
from tiktok_pipelines.vtex.client import VtexClient

MODES = ("realtime", "incremental", "full")
MIN_SKUS_FOR_STOCKOUT_GUARD = 20

VtexOpener = Callable[[Client], VtexClient]
SessionOpener = Callable[[str], AbstractContextManager[ChannelSession]]  # by client id


class Lake(Protocol):
    """The Parquet lake, as the lane uses it (`defs.resources.storage.ParquetLake`)."""

    def read_table(self, table: str, client_id: str, columns: list[str] | None = None) -> pa.Table | None: ...

    def write_table(self, table: str, client_id: str, data: pa.Table) -> None: ...

    def append_part(self, table: str, client_id: str, data: pa.Table) -> str | None: ...


class StockPriceRunError(Exception):
    """The run cannot go on (an unknown mode, invalid client options, a VTEX SKU id source the code
    cannot use): nothing was pushed, and the message says what to fix."""


@dataclass(frozen=True)
class StockPriceRun:
    """How one run works: its mode and the choices of its run config."""

    run_id: str
    mode: str = "incremental"
    refresh_limit: int | None = None  # incremental: SKUs read besides the notified ones
    seller_skus: list[str] = field(default_factory=list)  # only these, pushed even if confirmed
    allow_mass_stockout: bool = False


@dataclass(frozen=True)
class StockoutGuard:
    """The mass stock-out guard of a stock read: in-stock SKUs the read would take to zero."""

    in_stock_before: int
    going_to_zero: int
    share: float
    max_share: float
    guarded: bool  # above the share, with enough SKUs to judge
    allowed: bool  # guarded, and the run was told it is real

    @property
    def blocked(self) -> bool:
        return self.guarded and not self.allowed


def stockout_guard(report: ReadReport, options: StockPriceOptions, run: StockPriceRun) -> StockoutGuard:
    """Whether a read takes too many in-stock SKUs to zero to be stored: more than the client's
    `max_stockout_share` of those the channel shows in stock, from `MIN_SKUS_FOR_STOCKOUT_GUARD` up (a
    wrong warehouse id or an empty VTEX answer would otherwise empty the shop). A price read takes none."""
    share = report.stockout_share
    guarded = report.in_stock_before >= MIN_SKUS_FOR_STOCKOUT_GUARD and share > options.max_stockout_share
    return StockoutGuard(
        report.in_stock_before,
        report.stockouts,
        share,
        options.max_stockout_share,
        guarded,
        guarded and run.allow_mass_stockout,
    )


@dataclass
class ReadOutcome:
    """What `read` did: the VTEX read, the notifications claimed, the registry's changes (reconcile
    runs), VTEX's call counts, the mass stock-out guard and the snapshot rows written."""

    client: Client
    mode: str
    report: ReadReport
    claim: ClaimReport
    registry: RegistryChanges | None
    vtex_calls: dict[str, int]
    guard: StockoutGuard
    snapshot_rows: int | None = None


@dataclass
class PushOutcome:
    """What `push` did: the push, the channel's call counts, the dead letter of the kind after it and,
    for prices, the drops held for a person."""

    client: Client
    mode: str
    report: PushReport
    calls: dict[str, int]
    dead_letter: list[SyncRow]
    held: list[SyncRow]


@dataclass
class ChannelStateOutcome:
    client: Client
    report: ChannelStateReport
    calls: dict[str, int]


class StockPriceLane:
    """The stock and price lane for one client (`client_id`) on one channel (`ChannelName` value), over
    the state DB and the lake. Its VTEX reads also serve the channels `also` names: VTEX is read once
    for a SKU whichever channels list it, and each channel gets its own targets from that read."""

    def __init__(
        self,
        client_id: str,
        db: StateDB,
        lake: Lake,
        channel: str = DEFAULT_CHANNEL,
        also: Sequence[str] = (),
        capabilities: Mapping[str, Capabilities] | None = None,
    ):
        self.client_id = client_id
        self.db = db
        self.lake = lake
        self.channel = str(channel)
        self.store = SkuSyncStore(db, self.channel)
        self.stores = {self.channel: self.store} | {str(c): SkuSyncStore(db, str(c)) for c in also}
        # What the lane knows of its channels beyond a price per SKU in warehouses (`VtexRead`).
        self.capabilities = {str(k): v for k, v in (capabilities or {}).items()}

    # ------------------------------------------------------------ what every step needs
    def _client(self, run: StockPriceRun) -> tuple[Client, StockPriceOptions]:
        if run.mode not in MODES:
            raise StockPriceRunError(f"mode must be one of {', '.join(MODES)}, not {run.mode!r}")
        client = ClientRegistry(self.db).get(self.client_id)
        try:
            options = StockPriceOptions.from_client_options(client.options)
        except StockPriceOptionsError as exc:
            raise StockPriceRunError(
                f"{exc}. Fix them with `tiktok-pipelines clients set {client.client_id} --option ...`"
            ) from None
        return client, options

    def register(self, client: Client, channel: str | None = None) -> RegistryChanges:
        """Makes the SKUs the lane works on (on `channel`, the lane's own by default) those the
        channel's listing map holds, with their VTEX SKU ids."""
        channel = channel or self.channel
        listing = ListingMap(self.db, channel).skus(client.client_id)
        try:
            ids = sku_id_map(self.lake, client.client_id, client.options)
        except ValueError as exc:  # a vtex_sku_id_source the code cannot use
            raise StockPriceRunError(f"client {client.client_id}: {exc}") from None
        return self.stores[channel].register(client.client_id, listed_skus(listing, ids))

    def _register_all(self, client: Client) -> RegistryChanges:
        changes = self.register(client)
        for channel in self.stores:
            if channel != self.channel:
                self.register(client, channel)
        return changes

    def _log(self, client: Client, sync: SyncLog) -> None:
        self.lake.append_part("sync_log", client.client_id, sync.table())

    # ------------------------------------------------------------ VTEX reads
    def read(self, kind: str, run: StockPriceRun, vtex: VtexOpener) -> ReadOutcome:
        """Reads the run's SKUs of `kind` ("stock" or "price") from VTEX into targets and stores them
        (a stock read the mass stock-out guard blocks stores nothing)."""
        client, options = self._client(run)
        registry = None  # what registering the listed SKUs changed, summed over the channels
        for channel, store in self.stores.items():
            if run.mode != "realtime" or store.count(client.client_id) == 0:
                changes = self.register(client, channel)
                registry = changes if registry is None else registry + changes
        stores = list(self.stores.values())
        claim = claim_events(
            EventLog(self.db), stores, client.client_id, refresh=lambda: self._register_all(client)
        )
        limit = run.refresh_limit if run.refresh_limit is not None else options.stock_price_refresh_per_run
        rows = rows_to_read(stores, client.client_id, kind, run.mode, limit, run.seller_skus)
        sync = SyncLog(client.client_id, LANE, self.channel)
        try:
            with vtex(client) as api:
                read = VtexRead(api, client, options, sync, self.capabilities, self.stores)
                report = read.stock(rows) if kind == "stock" else read.prices(rows)
                vtex_calls = dict(api.stats)
            guard = stockout_guard(report, options, run)
            outcome = ReadOutcome(client, run.mode, report, claim, registry, vtex_calls, guard)
            if not guard.blocked:
                report.save(self.stores, client.client_id, run.run_id)
                if run.mode != "realtime":
                    outcome.snapshot_rows = self._write_snapshot(kind, client, read)
        except StockPriceOptionsError as exc:
            raise StockPriceRunError(str(exc)) from None
        self._log(client, sync)
        return outcome

    def _write_snapshot(self, kind: str, client: Client, read: VtexRead) -> int:
        """Replaces the lake's `vtex_stock` or `vtex_prices` with the last read of every SKU of every
        channel the read served (a row per channel: each has its own target)."""
        rows = [row for store in self.stores.values() for row in store.rows(client.client_id, kind)]
        if kind == "stock":
            plans = {channel: read.plan(channel) for channel in dict.fromkeys(r.channel for r in rows)}
            name, table = (
                "vtex_stock",
                pa.Table.from_pylist(stock_snapshot(rows, plans, client.client_id), schema=VTEX_STOCK),
            )
        else:
            name, table = (
                "vtex_prices",
                pa.Table.from_pylist(price_snapshot(rows, client.client_id), schema=VTEX_PRICES),
            )
        self.lake.write_table(name, client.client_id, table)
        return table.num_rows

    # ------------------------------------------------------------ the channel
    def read_channel_state(self, channel: SessionOpener) -> ChannelStateOutcome:
        """Takes what the channel shows for every registered SKU as confirmed (see `read_channel_state`)."""
        client = ClientRegistry(self.db).get(self.client_id)
        self.register(client)
        sync = SyncLog(client.client_id, LANE, self.channel)
        with channel(client.client_id) as session:
            report = read_channel_state(session, self.store, client.client_id, sync)
            calls = session.call_counts()
        self._log(client, sync)
        return ChannelStateOutcome(client, report, calls)

    def push(self, kind: str, run: StockPriceRun, channel: SessionOpener) -> PushOutcome:
        """Pushes the SKUs of `kind` whose target the channel has not confirmed (the dead letter only in
        full runs; in realtime runs only what the run read). History and calls go to the lake, also
        when the channel refused the shop's requests (`SystemicError`, raised after)."""
        client, options = self._client(run)
        rows = self.store.to_push(
            client.client_id,
            kind,
            max_attempts=None if run.mode == "full" else options.stock_price_max_attempts,
            observed_run=run.run_id if run.mode == "realtime" and not run.seller_skus else None,
            forced=run.seller_skus,
        )
        sync = SyncLog(client.client_id, LANE, self.channel)
        pusher_class = InventoryPusher if kind == "stock" else PricePusher
        systemic = None
        rules = options.for_channel(self.channel)  # the price-drop guard as the channel's rules set it
        with channel(client.client_id) as session:
            pusher = pusher_class(session, self.store, client.client_id, rules, run.mode, sync)
            try:
                report = pusher.push(rows)
            except SystemicError as exc:
                report, systemic = pusher.report, exc
            calls = session.call_counts()
        schema, table = (
            (STOCK_HISTORY, "stock_history") if kind == "stock" else (PRICE_HISTORY, "price_history")
        )
        self.lake.append_part(table, client.client_id, pa.Table.from_pylist(report.history, schema=schema))
        self._log(client, sync)
        if systemic is not None:
            raise systemic
        dead = self.store.dead_letter(client.client_id, options.stock_price_max_attempts, kind)
        held = self.store.held(client.client_id) if kind == "price" else []
        return PushOutcome(client, run.mode, report, calls, dead, held)
