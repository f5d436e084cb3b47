"""Stock and prices on every channel, from one VTEX read: only what changed, one call per product,
within each channel's rate limit.

vtex_stock  ──▶ <channel>/inventory        (every channel of `defs/channel_registry`)
vtex_prices ──▶ <channel>/prices
vtex_stock, vtex_prices ──▶ <channel>/stock_price_state ──▶ <channel>/inventory, <channel>/prices
                            (full runs: what the channel really shows, read between the VTEX reads and the
                            pushes)

`vtex_stock` / `vtex_prices` read each SKU once for every channel that lists it and store each channel's
target. Every asset takes the same run config `mode`:
- realtime (`stock_price_realtime_job`, requested by `webhook_queue_sensor` for VTEX SKU notifications):
  the notified SKUs only, read and pushed at once;
- incremental (`stock_price_job`, every 5 minutes): notified SKUs plus a rotating slice of the others
  (never-read first, then those read longest ago); every SKU whose target differs from what its channel
  confirmed is pushed, failures retried;
- full (`stock_price_full_job`, nightly): every SKU read from VTEX, each channel's actual state read back,
  drift repaired, the dead letter tried once more.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import dagster as dg
from pydantic import Field

from tiktok_pipelines.channels.base import Capabilities
from tiktok_pipelines.core.names import ChannelName, Lane
from tiktok_pipelines.defs.automation import lane_asset
from tiktok_pipelines.defs.channel_registry import CHANNELS, DeclaredChannel
from tiktok_pipelines.defs.channels import ChannelResource
from tiktok_pipelines.defs.checks import client_check, client_check_result
from tiktok_pipelines.defs.keys import channel_key
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.defs.resources.storage import ParquetLake
from tiktok_pipelines.defs.resources.vtex import Vtex
from tiktok_pipelines.defs.stock_price.reporting import push_metadata, read_metadata, state_metadata
from tiktok_pipelines.lanes.stock_price.pushes import SystemicError
from tiktok_pipelines.lanes.stock_price.service import (
    ReadOutcome,
    SessionOpener,
    StockPriceLane,
    StockPriceRun,
    StockPriceRunError,
)
from tiktok_pipelines.lanes.tokens import NotAuthorizedError


class StockPriceConfig(dg.Config):
    mode: str = Field(
        default="incremental",
        description="realtime: only SKUs VTEX notified. incremental: notified SKUs and a rotating slice of "
        "the others (never-read first) read again; every pending SKU pushed. full: every SKU read from VTEX "
        "and from each channel, drift repaired, the dead letter retried.",
    )
    refresh_limit: int | None = Field(
        default=None,
        description="incremental: SKUs read from VTEX besides the notified ones, never-read first, then "
        "those read longest ago (default: the client option stock_price_refresh_per_run).",
    )
    seller_skus: list[str] = Field(
        default_factory=list,
        description="Only these seller SKUs: read again and pushed even if their channel confirmed them (a "
        "repair by hand).",
    )
    allow_mass_stockout: bool = Field(
        default=False,
        description="Let this run push zero stock to more in-stock SKUs than the client's "
        "max_stockout_share (after checking VTEX really is empty).",
    )


# ---------------------------------------------------------------- shared steps


# What the lane knows of every channel it targets (stock by warehouse or one quantity, one price per
# product or not, the most units it shows), and the channels whose SKUs ride on TikTok Shop's VTEX reads
# (VTEX is read once per SKU for them all).
CAPABILITIES = {channel.name.value: channel.capabilities for channel in CHANNELS}
ALSO_READ_FOR = tuple(name for name in CAPABILITIES if name != ChannelName.TIKTOK_SHOP.value)
DISPLAY_NAMES = {channel.name.value: channel.capabilities.display_name for channel in CHANNELS}


def _display_name(channel: str) -> str:
    """How the run's messages name a channel."""
    return DISPLAY_NAMES.get(str(channel), str(channel))


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
        yield StockPriceLane(context.partition_key, state.db, lake, channel, also, CAPABILITIES)
    except (StockPriceRunError, NotAuthorizedError) as exc:
        raise dg.Failure(description=str(exc)) from None
    except SystemicError as exc:
        raise dg.Failure(
            description=f"{_display_name(channel)} refused the shop's requests, nothing counted against "
            f"SKUs: {exc}"
        ) from None


def _run(context: dg.AssetExecutionContext, config: StockPriceConfig) -> StockPriceRun:
    """The run's choices are its run config's fields."""
    return StockPriceRun(run_id=context.run_id, **config.model_dump())


def _shop(shop: ChannelResource, context: dg.AssetExecutionContext) -> SessionOpener:
    """Opens the client's session on the channel when the lane needs it."""
    return lambda client_id: shop.session(client_id, logger=context.log)


def _dead_letter_spec(kind: str, asset: dg.AssetKey, channel: str) -> dg.AssetCheckSpec:
    return client_check(
        f"{kind}_dead_letter_empty",
        asset,
        f"No SKU whose {kind} {channel} refused stock_price_max_attempts times in a row.",
    )


def _dead_letter_check(
    kind: str, client_id: str, metadata: dict, channel: Capabilities
) -> dg.AssetCheckResult:
    return client_check_result(
        f"{kind}_dead_letter_empty",
        client_id,
        passed=metadata["dead_letter"] == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"dead_letter": metadata["dead_letter"]},
        description=f"{metadata['dead_letter']} SKU(s) refused by {channel.display_name} too often: "
        f"`tiktok-pipelines stock-price dead-letter {client_id} --channel {channel.name.value}`",
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
            with _lane(context, state, lake, also=ALSO_READ_FOR) as lane:
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
    SKUs the client lists on any channel, per VTEX warehouse, each SKU read once for every channel listing
    it with the account's bounded concurrency, and turned into the quantity each channel should show
    (per TikTok warehouse, one quantity on a channel without warehouses; warehouse map, buffer,
    out-of-stock threshold, floor 0, maximum). Which SKUs depends on the mode; VTEX notifications
    pending for the client are claimed first. Reconcile runs replace the lake snapshot `vtex_stock`."""
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
    """Prices in VTEX of the SKUs the client lists on any channel, each read once for every channel
    listing it: the computed price and list price on the client's trade policy (fixed prices and price
    tables applied), read with bounded concurrency within VTEX's pricing rate limit, turned into the
    price each channel should show (markup, rounding to the client's ending; list price never below the
    price; one price per item where the channel shows one). Reconcile runs replace the lake snapshot
    `vtex_prices`."""
    return []


def _state_asset(channel: DeclaredChannel) -> dg.AssetsDefinition:
    """The asset `<channel>/stock_price_state` reading back what the channel shows (full runs)."""

    @channel.asset(
        Lane.STOCK_PRICE, "stock_price_state", deps=[vtex_stock, vtex_prices], resources={"state", "lake"}
    )
    def read_state(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        shop = channel.resource(context)
        capabilities = shop.capabilities()
        resources = context.resources
        with _lane(context, resources.state, resources.lake, capabilities.name.value) as lane:
            outcome = lane.read_channel_state(_shop(shop, context))
        return dg.MaterializeResult(metadata=state_metadata(outcome, capabilities, context.log))

    return read_state


def _push_checks(channel: ChannelName, kind: str) -> list[dg.AssetCheckSpec]:
    """The checks of a push asset: its dead letter and, for prices, the drops held for a person."""
    key, display = channel_key(channel, "inventory" if kind == "stock" else "prices"), _display_name(channel)
    checks = [_dead_letter_spec(kind, key, display)]
    if kind == "price":
        checks.append(
            client_check(
                "no_held_price_drops",
                key,
                f"No price drop on {display} larger than the client's max_price_drop_share waits for a "
                f"person (`tiktok-pipelines stock-price confirm-price <client> --channel {channel.value}`).",
            )
        )
    return checks


def _push_asset(channel: DeclaredChannel, kind: str, state: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """The asset `<channel>/inventory` (kind "stock") or `<channel>/prices` (kind "price") pushing the
    SKUs of `kind` to the channel, after its `state` in full runs, with the dead letter's check and, for
    prices, the check of the drops held for a person."""

    @channel.asset(
        Lane.STOCK_PRICE,
        "inventory" if kind == "stock" else "prices",
        deps=[vtex_stock if kind == "stock" else vtex_prices, state],
        kinds={"parquet"},
        check_specs=_push_checks(channel.name, kind),
        resources={"state", "lake"},
    )
    def push(context: dg.AssetExecutionContext, config: StockPriceConfig) -> dg.MaterializeResult:
        return _push(context, config, channel.resource(context), kind)

    return push


def _push(
    context: dg.AssetExecutionContext, config: StockPriceConfig, shop: ChannelResource, kind: str
) -> dg.MaterializeResult:
    capabilities = shop.capabilities()
    state, lake = context.resources.state, context.resources.lake
    with _lane(context, state, lake, capabilities.name.value) as lane:
        outcome = lane.push(kind, _run(context, config), _shop(shop, context))
    metadata = push_metadata(outcome, capabilities, context.log)
    client_id = outcome.client.client_id
    results = [_dead_letter_check(kind, client_id, metadata, capabilities)]
    if kind == "price":
        results.append(
            client_check_result(
                "no_held_price_drops",
                client_id,
                passed=not outcome.held,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"held": len(outcome.held)},
                description=f"{len(outcome.held)} price drop(s) wait for `tiktok-pipelines stock-price "
                f"confirm-price {client_id} --channel {capabilities.name.value}`"
                if outcome.held
                else None,
            )
        )
    return dg.MaterializeResult(metadata=metadata, check_results=results)


def _channel_assets(channel: DeclaredChannel) -> tuple[dg.AssetsDefinition, ...]:
    """A declared channel's stock and price assets: what it shows, its inventory and its prices."""
    state = _state_asset(channel)
    return state, _push_asset(channel, "stock", state), _push_asset(channel, "price", state)


# Every declared channel's stock_price_state, inventory and prices, by channel.
CHANNEL_STOCK_PRICE = {channel.name: _channel_assets(channel) for channel in CHANNELS}
tiktok_stock_price_state = CHANNEL_STOCK_PRICE[ChannelName.TIKTOK_SHOP][0]  # the state the benchmarks read

STOCK_PRICE_ASSETS = [
    vtex_stock,
    vtex_prices,
    *(a for assets in CHANNEL_STOCK_PRICE.values() for a in assets),
]
