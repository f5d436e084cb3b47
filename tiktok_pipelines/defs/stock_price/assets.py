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

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import dagster as dg
from pydantic import Field

from tiktok_pipelines.channels.mercado_livre.channel import capabilities as mercado_livre_capabilities
from tiktok_pipelines.core.names import ChannelName, Lane
from tiktok_pipelines.defs.automation import lane_asset
from tiktok_pipelines.defs.channels import channel_asset, tiktok_shop_asset
from tiktok_pipelines.defs.checks import client_check, client_check_result
from tiktok_pipelines.defs.keys import channel_key, tiktok_shop_key
from tiktok_pipelines.defs.resources.mercado_livre import MercadoLivre
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.defs.resources.storage import ParquetLake
from tiktok_pipelines.defs.resources.tiktok_shop import TikTokShop
from tiktok_pipelines.defs.resources.vtex import Vtex
from tiktok_pipelines.defs.stock_price.reporting import push_metadata, read_metadata, state_metadata
from tiktok_pipelines.lanes.stock_price.pushes import SystemicError
from tiktok_pipelines.lanes.stock_price.service import (
    PushOutcome,
    ReadOutcome,
    SessionOpener,
    StockPriceLane,
    StockPriceRun,
    StockPriceRunError,
)
from tiktok_pipelines.lanes.tokens import TikTokNotAuthorizedError


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


# The channels whose SKUs ride on TikTok Shop's VTEX reads (VTEX is read once per SKU for them all), with
# what the reads must know of them (stock by warehouse or one quantity, one price per product or not).
ALSO_READ_FOR = {ChannelName.MERCADO_LIVRE.value: mercado_livre_capabilities()}


@contextmanager
def _lane(
    context: dg.AssetExecutionContext,
    state: StateStore,
    lake: ParquetLake,
    channel: str = ChannelName.TIKTOK_SHOP.value,
    also: Sequence[str] = (),
) -> Iterator[StockPriceLane]:
    """The lane service for the run's client on `channel` (its VTEX reads also for `also`); what stops
    it fails the run with the reason."""
    try:
        yield StockPriceLane(context.partition_key, state.db, lake, channel, also, ALSO_READ_FOR)
    except (StockPriceRunError, TikTokNotAuthorizedError) as exc:
        raise dg.Failure(description=str(exc)) from None
    except SystemicError as exc:
        raise dg.Failure(
            description=f"TikTok refused the shop's requests, nothing counted against SKUs: {exc}"
        ) from None


def _run(context: dg.AssetExecutionContext, config: StockPriceConfig) -> StockPriceRun:
    """The run's choices are its run config's fields."""
    return StockPriceRun(run_id=context.run_id, **config.model_dump())


def _shop(shop: TikTokShop | MercadoLivre, context: dg.AssetExecutionContext) -> SessionOpener:
    """Opens the client's session on the channel when the lane needs it."""
    return lambda client_id: shop.session(client_id, logger=context.log)


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


def _vtex_read(
    kind: str, *, check_specs: Sequence[dg.AssetCheckSpec] = ()
) -> Callable[[Callable], dg.AssetsDefinition]:
    """Makes the decorated function the asset that reads the run's SKUs of `kind` ("stock" or "price")
    from VTEX: the asset takes the function's name and docstring, and the function turns the read's
    outcome into the asset's check results."""

    def build(checks: Callable[[ReadOutcome], list[dg.AssetCheckResult]]) -> dg.AssetsDefinition:
        def read(
            context: dg.AssetExecutionContext,
            config: StockPriceConfig,
            state: StateStore,
            vtex: Vtex,
            lake: ParquetLake,
        ) -> dg.MaterializeResult:
            with _lane(context, state, lake, also=tuple(ALSO_READ_FOR)) as lane:
                outcome = lane.read(kind, _run(context, config), vtex.client_for)
            return dg.MaterializeResult(
                metadata=read_metadata(outcome, context.log), check_results=checks(outcome)
            )

        read.__doc__ = checks.__doc__
        return lane_asset(
            Lane.STOCK_PRICE, name=checks.__name__, kinds={"vtex", "parquet"}, check_specs=list(check_specs)
        )(read)

    return build


@_vtex_read(
    "stock",
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
def vtex_stock(outcome: ReadOutcome) -> list[dg.AssetCheckResult]:
    """Available stock in VTEX (total − reserved, unlimited warehouses as `unlimited_stock_as`) of the
    client's listed SKUs, per VTEX warehouse, read with the account's bounded concurrency and turned into
    the quantity TikTok should show per TikTok warehouse (warehouse map, buffer, out-of-stock threshold,
    floor 0, maximum). Which SKUs depends on the mode; VTEX notifications pending for the client are
    claimed first. Reconcile runs replace the lake snapshot `vtex_stock`."""
    guard = outcome.guard
    return [
        client_check_result(
            "no_mass_stockout",
            outcome.client.client_id,
            passed=not guard.blocked,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "in_stock_skus_read": guard.in_stock_before,
                "going_to_zero": guard.going_to_zero,
                "share": float(guard.share),
                "max_share": guard.max_share,
                "allowed_by_config": bool(guard.allowed),
            },
        )
    ]


@_vtex_read("price")
def vtex_prices(outcome: ReadOutcome) -> list[dg.AssetCheckResult]:
    """Prices in VTEX of the client's listed SKUs: the computed price and list price on the client's
    trade policy (fixed prices and price tables applied), read with bounded concurrency within VTEX's
    pricing rate limit, turned into the price TikTok should show (markup, rounding to the client's
    ending; list price never below the price). Reconcile runs replace the lake snapshot `vtex_prices`."""
    return []


def _read_state(
    context: dg.AssetExecutionContext,
    state: StateStore,
    shop: TikTokShop | MercadoLivre,
    lake: ParquetLake,
) -> dg.MaterializeResult:
    capabilities = shop.capabilities()
    with _lane(context, state, lake, capabilities.name.value) as lane:
        outcome = lane.read_channel_state(_shop(shop, context))
    return dg.MaterializeResult(metadata=state_metadata(outcome, capabilities, context.log))


def _state_asset(channel: ChannelName, kind: str) -> Callable[[Callable], dg.AssetsDefinition]:
    """The asset `<channel>/stock_price_state` reading back what the channel shows (full runs)."""
    return channel_asset(
        Lane.STOCK_PRICE, channel, "stock_price_state", deps=[vtex_stock, vtex_prices], kinds={kind}
    )


@_state_asset(ChannelName.TIKTOK_SHOP, "tiktok")
def tiktok_stock_price_state(
    context: dg.AssetExecutionContext, state: StateStore, tiktok_shop: TikTokShop, lake: ParquetLake
) -> dg.MaterializeResult:
    """What TikTok actually shows for the client's listed SKUs (stock per warehouse and price, from a
    product search of the whole shop), taken as the confirmed state: where it differs from what the sync
    believed TikTok had, the SKU is pushed again. Warehouses TikTok has for a SKU beyond the client's are
    added to its stock target at 0. Part of the nightly full reconcile, between the VTEX reads and the
    pushes."""
    return _read_state(context, state, tiktok_shop, lake)


@_state_asset(ChannelName.MERCADO_LIVRE, "mercadolivre")
def mercado_livre_stock_price_state(
    context: dg.AssetExecutionContext, state: StateStore, mercado_livre: MercadoLivre, lake: ParquetLake
) -> dg.MaterializeResult:
    """What Mercado Livre actually shows for the client's listed items and variations (one quantity
    each and the item's price, from the seller's items), taken as the confirmed state: where it differs
    from what the sync believed, the SKU is pushed again. Part of the nightly full reconcile, between
    the VTEX reads and the pushes."""
    return _read_state(context, state, mercado_livre, lake)


def _tiktok_push(
    kind: str, table: str, *, deps: list, check_specs: Sequence[dg.AssetCheckSpec] = ()
) -> Callable[[Callable], dg.AssetsDefinition]:
    """Makes the decorated function the asset `tiktok_shop/<table>` that pushes the SKUs of `kind` ("stock"
    or "price") to TikTok, with the dead letter's check: the asset takes the function's docstring, and the
    function turns the push's outcome into the asset's other check results."""
    key = tiktok_shop_key(table)

    def build(checks: Callable[[PushOutcome], list[dg.AssetCheckResult]]) -> dg.AssetsDefinition:
        def push(
            context: dg.AssetExecutionContext,
            config: StockPriceConfig,
            state: StateStore,
            tiktok_shop: TikTokShop,
            lake: ParquetLake,
        ) -> dg.MaterializeResult:
            return _push(context, config, state, tiktok_shop, lake, kind, checks)

        push.__doc__ = checks.__doc__
        return tiktok_shop_asset(
            Lane.STOCK_PRICE,
            table,
            deps=deps,
            kinds={"tiktok", "parquet"},
            check_specs=[_dead_letter_spec(kind, key), *check_specs],
        )(push)

    return build


@_tiktok_push("stock", "inventory", deps=[vtex_stock, tiktok_stock_price_state])
def tiktok_inventory(outcome: PushOutcome) -> list[dg.AssetCheckResult]:
    """Stock on TikTok: every SKU whose target differs from the quantities TikTok last confirmed, one
    inventory update per product carrying all its changed SKUs with every warehouse of each SKU, paced
    within the shop's rate limit. Accepted SKUs become confirmed; refused ones are recorded and retried
    next run (a warehouse TikTok says is missing is added and sent again at once), and go to the dead
    letter after the client's stock_price_max_attempts refusals. Every push goes to `stock_history`."""
    return []


@_tiktok_push(
    "price",
    "prices",
    deps=[vtex_prices, tiktok_stock_price_state],
    check_specs=[
        client_check(
            "no_held_price_drops",
            tiktok_shop_key("prices"),
            "No price drop larger than the client's max_price_drop_share waits for a person "
            "(`tiktok-pipelines stock-price confirm-price <client>`).",
        )
    ],
)
def tiktok_prices(outcome: PushOutcome) -> list[dg.AssetCheckResult]:
    """Prices on TikTok: every SKU whose price target differs from what TikTok last confirmed, one price
    update per product with all its changed SKUs. A drop larger than the client's max_price_drop_share
    from the price TikTok shows is held until confirmed (`tiktok-pipelines stock-price confirm-price`). A
    product refused as a whole (a locked price, 12019045) is retried SKU by SKU so one SKU does not hold
    back the others; refusals are retried next run, then dead-lettered. Every push goes to
    `price_history`."""
    return [
        client_check_result(
            "no_held_price_drops",
            outcome.client.client_id,
            passed=not outcome.held,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"held": len(outcome.held)},
        )
    ]


def _push(
    context: dg.AssetExecutionContext,
    config: StockPriceConfig,
    state: StateStore,
    shop: TikTokShop | MercadoLivre,
    lake: ParquetLake,
    kind: str,
    checks: Callable[[PushOutcome], list[dg.AssetCheckResult]],
) -> dg.MaterializeResult:
    with _lane(context, state, lake, shop.capabilities().name.value) as lane:
        outcome = lane.push(kind, _run(context, config), _shop(shop, context))
    metadata = push_metadata(outcome, context.log)
    dead_letter = _dead_letter_check(kind, outcome.client.client_id, metadata)
    return dg.MaterializeResult(metadata=metadata, check_results=[dead_letter, *checks(outcome)])


def _mercado_livre_push(kind: str, table: str, *, deps: list) -> Callable[[Callable], dg.AssetsDefinition]:
    """The asset `mercado_livre/<table>` pushing the SKUs of `kind` to Mercado Livre (as `_tiktok_push`)."""
    key = channel_key(ChannelName.MERCADO_LIVRE, table)

    def build(checks: Callable[[PushOutcome], list[dg.AssetCheckResult]]) -> dg.AssetsDefinition:
        def push(
            context: dg.AssetExecutionContext,
            config: StockPriceConfig,
            state: StateStore,
            mercado_livre: MercadoLivre,
            lake: ParquetLake,
        ) -> dg.MaterializeResult:
            return _push(context, config, state, mercado_livre, lake, kind, checks)

        push.__doc__ = checks.__doc__
        return channel_asset(
            Lane.STOCK_PRICE,
            ChannelName.MERCADO_LIVRE,
            table,
            deps=deps,
            kinds={"mercadolivre", "parquet"},
            check_specs=[_dead_letter_spec(kind, key)],
        )(push)

    return build


@_mercado_livre_push("stock", "inventory", deps=[vtex_stock, mercado_livre_stock_price_state])
def mercado_livre_inventory(outcome: PushOutcome) -> list[dg.AssetCheckResult]:
    """Stock on Mercado Livre from the same VTEX read as TikTok's (one read per SKU for every channel):
    every item or variation whose target differs from what Mercado Livre last confirmed, one item
    update per item carrying its changed variations (each named by its id), the quantity the client's
    rules give (buffer, floor, maximum). Refusals are retried next run, then dead-lettered; every push
    goes to `stock_history`."""
    return []


@_mercado_livre_push("price", "prices", deps=[vtex_prices, mercado_livre_stock_price_state])
def mercado_livre_prices(outcome: PushOutcome) -> list[dg.AssetCheckResult]:
    """Prices on Mercado Livre from the same VTEX read: one price per item (its variations share it),
    sent when the target differs from what Mercado Livre confirmed; variations of one item asked
    different prices are refused with the reason. Every push goes to `price_history`."""
    return []


STOCK_PRICE_ASSETS = [
    vtex_stock,
    vtex_prices,
    tiktok_stock_price_state,
    tiktok_inventory,
    tiktok_prices,
    mercado_livre_stock_price_state,
    mercado_livre_inventory,
    mercado_livre_prices,
]
