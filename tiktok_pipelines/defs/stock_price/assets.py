"""Stock and prices on TikTok, from VTEX: only what changed, one call per product, within the rate limit.

vtex_stock  ──▶ tiktok_inventory
vtex_prices ──▶ tiktok_prices
vtex_stock, vtex_prices ──▶ tiktok_stock_price_state ──▶ tiktok_inventory, tiktok_prices   (full runs:
                            what TikTok really shows, read between the VTEX reads and the pushes)

Every asset takes the same run config `mode`:
- realtime (`stock_price_realtime_job`, requested by `webhook_queue_sensor` for VTEX SKU notifications):
  the notified SKUs only, read and pushed at once;
- incremental (`stock_price_job`, every 5 minutes): notified SKUs plus a rotating slice of the others
  (never-read first, then those read longest ago); every SKU whose target differs from what TikTok
  confirmed is pushed, failures retried;
- full (`stock_price_full_job`, nightly): every SKU read from VTEX, TikTok's actual state read back, drift
  repaired, the dead letter tried once more.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import pyarrow as pa
from pydantic import Field

from tiktok_pipelines.core.sku_ids import sku_id_map
from tiktok_pipelines.core.stock_price import (
    StockPriceOptions,
    StockPriceOptionsError,
    warehouse_plan,
)
from tiktok_pipelines.core.synclog import SyncLog
from tiktok_pipelines.core.tables import PRICE_HISTORY, STOCK_HISTORY, VTEX_PRICES, VTEX_STOCK
from tiktok_pipelines.defs.checks import client_check, client_check_result
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.defs.resources.storage import ParquetLake
from tiktok_pipelines.defs.resources.tiktok_shop import TikTokShop
from tiktok_pipelines.defs.resources.vtex import Vtex
from tiktok_pipelines.lanes.stock_price.sync import (
    MODES,
    InventoryPusher,
    PricePusher,
    PushReport,
    SystemicError,
    claim_events,
    listed_skus,
    price_snapshot,
    read_prices,
    read_stock,
    read_tiktok_state,
    stock_snapshot,
)
from tiktok_pipelines.lanes.tokens import TikTokNotAuthorizedError
from tiktok_pipelines.partitions import clients_partitions
from tiktok_pipelines.stores.events import EventLog
from tiktok_pipelines.stores.listings import ListingMap
from tiktok_pipelines.stores.registry import Client
from tiktok_pipelines.stores.stock_price import RegistryChanges, SkuSyncStore, SyncRow

GROUP = "stock_price"
LANE = "stock_price"
MIN_SKUS_FOR_STOCKOUT_GUARD = 20


class StockPriceConfig(dg.Config):
    mode: str = Field(
        default="incremental",
        description="realtime: only SKUs VTEX notified. incremental: notified SKUs and a rotating slice of "
        "the others (never-read first) read again; every pending SKU pushed. full: every SKU read from VTEX "
        "and TikTok, drift repaired, the dead letter retried.",
    )
    refresh_limit: int | None = Field(
        default=None,
        description="incremental: SKUs read from VTEX besides the notified ones, never-read first, then "
        "those read longest ago (default: the client option stock_price_refresh_per_run).",
    )
    seller_skus: list[str] = Field(
        default_factory=list,
        description="Only these seller SKUs: read again and pushed even if TikTok confirmed them (a repair "
        "by hand).",
    )
    allow_mass_stockout: bool = Field(
        default=False,
        description="Let this run push zero stock to more in-stock SKUs than the client's "
        "max_stockout_share (after checking VTEX really is empty).",
    )


# ---------------------------------------------------------------- shared steps


def _client(context: dg.AssetExecutionContext, config: StockPriceConfig, state: StateStore):
    if config.mode not in MODES:
        raise dg.Failure(description=f"mode must be one of {', '.join(MODES)}, not {config.mode!r}")
    client = state.registry.get(context.partition_key)
    try:
        options = StockPriceOptions.from_client_options(client.options)
    except StockPriceOptionsError as exc:
        raise dg.Failure(
            description=f"{exc}. Fix them with `tiktok-pipelines clients set {client.client_id} --option ...`"
        ) from None
    return client, options


def _register(state: StateStore, lake: ParquetLake, client: Client, store: SkuSyncStore) -> RegistryChanges:
    listing = ListingMap(state.db).skus(client.client_id)
    try:
        ids = sku_id_map(lake, client.client_id, client.options)
    except ValueError as exc:  # a vtex_sku_id_source the code cannot use
        raise dg.Failure(description=f"client {client.client_id}: {exc}") from None
    return store.register(client.client_id, listed_skus(listing, ids))


def _rows_to_read(
    store: SkuSyncStore, client: Client, kind: str, config: StockPriceConfig, options: StockPriceOptions
) -> list[SyncRow]:
    if config.seller_skus:
        return store.rows(client.client_id, kind, config.seller_skus)
    limit = config.refresh_limit if config.refresh_limit is not None else options.stock_price_refresh_per_run
    return store.to_read(client.client_id, kind, config.mode, limit)


def _read(
    context: dg.AssetExecutionContext,
    config: StockPriceConfig,
    state: StateStore,
    lake: ParquetLake,
    vtex: Vtex,
    kind: str,
):
    """The common part of vtex_stock and vtex_prices: registry, notifications, VTEX reads."""
    client, options = _client(context, config, state)
    store = SkuSyncStore(state.db)
    registry = None
    if config.mode != "realtime" or store.count(client.client_id) == 0:
        registry = _register(state, lake, client, store)
    claim = claim_events(
        EventLog(state.db), store, client.client_id, refresh=lambda: _register(state, lake, client, store)
    )
    rows = _rows_to_read(store, client, kind, config, options)
    sync = SyncLog(client.client_id, LANE)
    reader = read_stock if kind == "stock" else read_prices
    try:
        with vtex.client_for(client) as api:
            report = reader(api, store, client, options, rows, sync)
            vtex_stats = dict(api.stats)
    except StockPriceOptionsError as exc:
        raise dg.Failure(description=str(exc)) from None
    if report.failed:
        context.log.warning(
            "%d SKUs could not be read from VTEX (kept for the next run): %s",
            len(report.failed),
            "; ".join(f"{k}: {v}" for k, v in list(report.failed.items())[:5]),
        )
    metadata = {
        "mode": config.mode,
        "dagster/row_count": report.read,
        "skus_asked": report.asked,
        "skus_read": report.read,
        "read_failed": len(report.failed),
        "not_found_in_vtex": len(report.not_found),
        "no_vtex_sku_id": len(report.no_vtex_id),
        "to_push": report.to_push,
        "notifications": claim.events,
        "notified_skus_marked": claim.marked,
        "notified_not_listed": len(claim.not_listed),
        **({f"registry_{k}": v for k, v in vars(registry).items()} if registry else {}),
        **{f"vtex_{k}": v for k, v in sorted(vtex_stats.items())},
        "changes": md(markdown_table(report.changes, ["seller_sku", "shown", "target"], limit=15, width=90)),
    }
    return client, options, store, report, sync, metadata


@contextmanager
def _shop(tiktok: TikTokShop, client_id: str, context: dg.AssetExecutionContext) -> Iterator:
    try:
        with tiktok.shop(client_id, logger=context.log) as shop:
            yield shop
    except TikTokNotAuthorizedError as exc:
        raise dg.Failure(description=str(exc)) from None


def _push(
    context: dg.AssetExecutionContext,
    config: StockPriceConfig,
    state: StateStore,
    tiktok: TikTokShop,
    lake: ParquetLake,
    kind: str,
) -> tuple[Client, StockPriceOptions, SkuSyncStore, PushReport, dict]:
    """The common part of tiktok_inventory and tiktok_prices: what to push, the push, the logs."""
    client, options = _client(context, config, state)
    store = SkuSyncStore(state.db)
    rows = store.to_push(
        client.client_id,
        kind,
        max_attempts=None if config.mode == "full" else options.stock_price_max_attempts,
        observed_run=context.run_id if config.mode == "realtime" and not config.seller_skus else None,
        forced=config.seller_skus,
    )
    sync = SyncLog(client.client_id, LANE)
    pusher_class = InventoryPusher if kind == "stock" else PricePusher
    systemic = None
    with _shop(tiktok, client.client_id, context) as shop:
        pusher = pusher_class(shop, store, client.client_id, options, config.mode, sync)
        try:
            report = pusher.push(rows)
        except SystemicError as exc:
            report, systemic = pusher.report, str(exc)
        calls = shop.stats.as_metadata()
    schema, table = (STOCK_HISTORY, "stock_history") if kind == "stock" else (PRICE_HISTORY, "price_history")
    lake.append_part(table, client.client_id, pa.Table.from_pylist(report.history, schema=schema))
    lake.append_part("sync_log", client.client_id, sync.table())
    if systemic:
        raise dg.Failure(
            description=f"TikTok refused the shop's requests, nothing counted against SKUs: {systemic}"
        )
    dead = store.dead_letter(client.client_id, options.stock_price_max_attempts, kind)
    failures = [
        {"seller_sku": sku, "code": code, "error": message, "counts": "yes"}
        for sku, (code, message) in report.refused.items()
    ] + [
        {"seller_sku": sku, "code": code, "error": message, "counts": "no (transient)"}
        for sku, (code, message) in report.transient.items()
    ]
    if failures:
        context.log.warning("%d SKU(s) not updated on TikTok, see `failures`", len(failures))
    metadata = {
        "mode": config.mode,
        "dagster/row_count": report.confirmed,
        "products_pushed": report.products,
        "write_calls": report.calls,
        "skus_sent": report.skus_sent,
        "skus_confirmed": report.confirmed,
        "skus_failed": report.failed,
        "dead_letter": len(dead),
        **calls,
        "failures": md(
            markdown_table(failures, ["seller_sku", "code", "error", "counts"], limit=20, width=100)
        ),
        "dead_letter_skus": md(
            markdown_table(
                (
                    {"seller_sku": r.seller_sku, "attempts": r.attempts, "error": r.error_message}
                    for r in dead
                ),
                ["seller_sku", "attempts", "error"],
                limit=20,
                width=100,
            )
        ),
    }
    return client, options, store, report, metadata


def _dead_letter_spec(kind: str, asset: str) -> dg.AssetCheckSpec:
    return client_check(
        f"{kind}_dead_letter_empty",
        asset,
        f"No SKU whose {kind} TikTok refused stock_price_max_attempts times in a row.",
    )


def _dead_letter_check(kind: str, client_id: str, metadata: dict) -> dg.AssetCheckResult:
    return client_check_result(
        f"{kind}_dead_letter_empty",
        client_id,
        passed=metadata["dead_letter"] == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"dead_letter": metadata["dead_letter"]},
        description=f"{metadata['dead_letter']} SKU(s) refused too often: `tiktok-pipelines stock-price "
        "dead-letter <client>`",
    )


# ---------------------------------------------------------------- assets


@dg.asset(
    partitions_def=clients_partitions,
    group_name=GROUP,
    kinds={"vtex", "parquet"},
    code_version="1",
    check_specs=[
        client_check(
            "no_mass_stockout",
            "vtex_stock",
            "A run does not take more in-stock SKUs to zero than the client's max_stockout_share "
            "(default 50 %, from 20 SKUs up): a wrong warehouse id or an empty VTEX answer would otherwise "
            "empty the shop. When it fails nothing of the run is stored or pushed.",
            blocking=True,
        )
    ],
)
def vtex_stock(
    context: dg.AssetExecutionContext,
    config: StockPriceConfig,
    state: StateStore,
    vtex: Vtex,
    lake: ParquetLake,
) -> dg.MaterializeResult:
    """Available stock in VTEX (total − reserved, unlimited warehouses as `unlimited_stock_as`) of the
    client's listed SKUs, per VTEX warehouse, read with the account's bounded concurrency and turned into
    the quantity TikTok should show per TikTok warehouse (warehouse map, buffer, out-of-stock threshold,
    floor 0, maximum). Which SKUs depends on the mode; VTEX notifications pending for the client are
    claimed first. Reconcile runs replace the lake snapshot `vtex_stock`."""
    client, options, store, report, sync, metadata = _read(context, config, state, lake, vtex, "stock")
    share = report.stockout_share
    guarded = report.in_stock_before >= MIN_SKUS_FOR_STOCKOUT_GUARD and share > options.max_stockout_share
    blocked = guarded and not config.allow_mass_stockout
    if not blocked:
        report.save(store, client.client_id, context.run_id)
    else:
        context.log.error(
            "%d of %d in-stock SKUs would go to zero (%.0f%%, above %.0f%%): nothing stored or pushed. Check "
            "the VTEX warehouses, then run with allow_mass_stockout: true if it is real.",
            report.stockouts,
            report.in_stock_before,
            share * 100,
            options.max_stockout_share * 100,
        )
    if config.mode != "realtime" and not blocked:
        plan = warehouse_plan(options, client.vtex_warehouse_ids, client.tiktok_warehouse_ids)
        rows = stock_snapshot(store.rows(client.client_id, "stock"), plan, client.client_id)
        lake.write_table("vtex_stock", client.client_id, pa.Table.from_pylist(rows, schema=VTEX_STOCK))
        metadata["snapshot_rows"] = len(rows)
    lake.append_part("sync_log", client.client_id, sync.table())
    return dg.MaterializeResult(
        metadata=metadata,
        check_results=[
            client_check_result(
                "no_mass_stockout",
                client.client_id,
                passed=not blocked,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={
                    "in_stock_skus_read": report.in_stock_before,
                    "going_to_zero": report.stockouts,
                    "share": float(share),
                    "max_share": options.max_stockout_share,
                    "allowed_by_config": bool(guarded and config.allow_mass_stockout),
                },
            )
        ],
    )


@dg.asset(partitions_def=clients_partitions, group_name=GROUP, kinds={"vtex", "parquet"}, code_version="1")
def vtex_prices(
    context: dg.AssetExecutionContext,
    config: StockPriceConfig,
    state: StateStore,
    vtex: Vtex,
    lake: ParquetLake,
) -> dg.MaterializeResult:
    """Prices in VTEX of the client's listed SKUs: the computed price and list price on the client's
    trade policy (fixed prices and price tables applied), read with bounded concurrency within VTEX's
    pricing rate limit, turned into the price TikTok should show (markup, rounding to the client's
    ending; list price never below the price). Reconcile runs replace the lake snapshot `vtex_prices`."""
    client, _, store, report, sync, metadata = _read(context, config, state, lake, vtex, "price")
    report.save(store, client.client_id, context.run_id)
    if config.mode != "realtime":
        rows = price_snapshot(store.rows(client.client_id, "price"), client.client_id)
        lake.write_table("vtex_prices", client.client_id, pa.Table.from_pylist(rows, schema=VTEX_PRICES))
        metadata["snapshot_rows"] = len(rows)
    if report.not_found:
        context.log.warning(
            "%d SKU(s) have no price on trade policy %s: TikTok keeps showing its price for them",
            len(report.not_found),
            client.vtex_trade_policy,
        )
    lake.append_part("sync_log", client.client_id, sync.table())
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    partitions_def=clients_partitions,
    group_name=GROUP,
    deps=[vtex_stock, vtex_prices],
    kinds={"tiktok"},
    code_version="1",
)
def tiktok_stock_price_state(
    context: dg.AssetExecutionContext, state: StateStore, tiktok: TikTokShop, lake: ParquetLake
) -> dg.MaterializeResult:
    """What TikTok actually shows for the client's listed SKUs (stock per warehouse and price, from a
    product search of the whole shop), taken as the confirmed state: where it differs from what the sync
    believed TikTok had, the SKU is pushed again. Warehouses TikTok has for a SKU beyond the client's are
    added to its stock target at 0. Part of the nightly full reconcile, between the VTEX reads and the
    pushes."""
    client_id = context.partition_key
    client = state.registry.get(client_id)
    store = SkuSyncStore(state.db)
    _register(state, lake, client, store)
    sync = SyncLog(client_id, LANE)
    with _shop(tiktok, client_id, context) as shop:
        report = read_tiktok_state(shop, store, client_id, sync)
        calls = shop.stats.as_metadata()
    lake.append_part("sync_log", client_id, sync.table())
    if report.stock_drift or report.price_drift:
        context.log.warning(
            "TikTok differs from what the sync believed: %d stock, %d price; they are pushed again",
            len(report.stock_drift),
            len(report.price_drift),
        )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": report.skus_seen,
            "products": report.products,
            "skus_seen": report.skus_seen,
            "stock_drift": len(report.stock_drift),
            "price_drift": len(report.price_drift),
            "missing_on_tiktok": len(report.missing_on_tiktok),
            "warehouses_added": report.new_warehouses,
            **calls,
            "drift": md(
                markdown_table(
                    [{"kind": "stock", **d} for d in report.stock_drift]
                    + [{"kind": "price", **d} for d in report.price_drift],
                    ["kind", "seller_sku", "believed", "tiktok"],
                    limit=20,
                    width=80,
                )
            ),
        }
    )


@dg.asset(
    partitions_def=clients_partitions,
    group_name=GROUP,
    deps=[vtex_stock, tiktok_stock_price_state],
    kinds={"tiktok", "parquet"},
    code_version="1",
    check_specs=[_dead_letter_spec("stock", "tiktok_inventory")],
)
def tiktok_inventory(
    context: dg.AssetExecutionContext,
    config: StockPriceConfig,
    state: StateStore,
    tiktok: TikTokShop,
    lake: ParquetLake,
) -> dg.MaterializeResult:
    """Stock on TikTok: every SKU whose target differs from the quantities TikTok last confirmed, one
    inventory update per product carrying all its changed SKUs with every warehouse of each SKU, paced
    within the shop's rate limit. Accepted SKUs become confirmed; refused ones are recorded and retried
    next run (a warehouse TikTok says is missing is added and sent again at once), and go to the dead
    letter after the client's stock_price_max_attempts refusals. Every push goes to `stock_history`."""
    client, _, _, report, metadata = _push(context, config, state, tiktok, lake, "stock")
    metadata["warehouses_repaired"] = report.repaired_warehouses
    return dg.MaterializeResult(
        metadata=metadata, check_results=[_dead_letter_check("stock", client.client_id, metadata)]
    )


@dg.asset(
    partitions_def=clients_partitions,
    group_name=GROUP,
    deps=[vtex_prices, tiktok_stock_price_state],
    kinds={"tiktok", "parquet"},
    code_version="1",
    check_specs=[
        _dead_letter_spec("price", "tiktok_prices"),
        client_check(
            "no_held_price_drops",
            "tiktok_prices",
            "No price drop larger than the client's max_price_drop_share waits for a person "
            "(`tiktok-pipelines stock-price confirm-price <client>`).",
        ),
    ],
)
def tiktok_prices(
    context: dg.AssetExecutionContext,
    config: StockPriceConfig,
    state: StateStore,
    tiktok: TikTokShop,
    lake: ParquetLake,
) -> dg.MaterializeResult:
    """Prices on TikTok: every SKU whose price target differs from what TikTok last confirmed, one price
    update per product with all its changed SKUs. A drop larger than the client's max_price_drop_share
    from the price TikTok shows is held until confirmed (`tiktok-pipelines stock-price confirm-price`). A
    product refused as a whole (a locked price, 12019045) is retried SKU by SKU so one SKU does not hold
    back the others; refusals are retried next run, then dead-lettered. Every push goes to
    `price_history`."""
    client, _, store, _, metadata = _push(context, config, state, tiktok, lake, "price")
    held = store.held(client.client_id)
    metadata["held_price_drops"] = len(held)
    metadata["held"] = md(
        markdown_table(
            ({"seller_sku": r.seller_sku, "reason": r.held} for r in held),
            ["seller_sku", "reason"],
            limit=20,
            width=100,
        )
    )
    if held:
        context.log.warning(
            "%d price drop(s) wait for `tiktok-pipelines stock-price confirm-price %s`",
            len(held),
            client.client_id,
        )
    return dg.MaterializeResult(
        metadata=metadata,
        check_results=[
            _dead_letter_check("price", client.client_id, metadata),
            client_check_result(
                "no_held_price_drops",
                client.client_id,
                passed=not held,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"held": len(held)},
            ),
        ],
    )


STOCK_PRICE_ASSETS = [vtex_stock, vtex_prices, tiktok_stock_price_state, tiktok_inventory, tiktok_prices]
