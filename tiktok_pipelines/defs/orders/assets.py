"""Every channel's orders into VTEX: order details from each declared channel (`<channel>/orders`), then
VTEX orders placed exactly once (`vtex_orders`).

Runs come from `webhook_queue_sensor` (orders named by webhooks) and from `order_polling_schedule`
(every order a channel changed since the last poll, so a lost webhook is caught). Both only flag orders in
the order map; each run then works through every flagged order, so runs can overlap in what they were
asked for without doing anything twice. The work is the orders lane's (`lanes/orders/`).
"""

import dagster as dg
from pydantic import Field

from tiktok_pipelines.core.names import ChannelName, Lane
from tiktok_pipelines.defs.automation import lane_asset
from tiktok_pipelines.defs.channel_registry import CHANNELS, DeclaredChannel
from tiktok_pipelines.defs.channels import ChannelResource
from tiktok_pipelines.defs.checks import client_check
from tiktok_pipelines.defs.orders.checks import FAILED_ORDERS_CHECK, failed_orders_check
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.defs.resources.storage import ParquetLake
from tiktok_pipelines.lanes.orders import (
    ChannelLink,
    ClientSetupError,
    FetchOptions,
    OrderRun,
    VtexOrderSync,
    fetch_orders,
)
from tiktok_pipelines.stores.events import EventLog
from tiktok_pipelines.stores.orders import OrderStore


class OrdersConfig(dg.Config):
    poll: bool = Field(
        default=False, description="Also search the channel for orders changed since the last poll."
    )
    overlap_minutes: int = Field(default=15, description="How far each poll reaches back before its cursor.")
    first_poll_hours: int = Field(default=72, description="How far the first poll of a client reaches back.")
    max_orders: int = Field(default=2000, description="Most orders one run works on (the rest wait).")


def _fetch(
    context: dg.AssetExecutionContext,
    config: OrdersConfig,
    state: StateStore,
    shop: ChannelResource,
    lake: ParquetLake,
) -> dg.MaterializeResult:
    """One channel's order details, through the orders lane, into its order map."""
    client_id = context.partition_key
    options = FetchOptions(config.poll, config.overlap_minutes, config.first_poll_hours, config.max_orders)
    store = OrderStore(state.db, shop.capabilities().name.value)
    with shop.session(client_id, logger=context.log) as session:
        report = fetch_orders(client_id, session, store, EventLog(state.db), lake, options, context.log)
    preview = [
        {"order_id": o.order_id, "status": o.status, "lines": len(o.lines), "total": o.amounts.total}
        for o in report.fetched.values()
    ]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": report.written,
            "webhook_events": report.events,
            "polled_orders": report.polled,
            "new_from_poll": report.new_from_poll,
            "orders_fetched": len(report.fetched),
            "orders_waiting": report.waiting,
            **report.api_calls,
            "preview": md(markdown_table(preview, ["order_id", "status", "lines", "total"])),
        }
    )


def _orders_asset(channel: DeclaredChannel) -> dg.AssetsDefinition:
    """The asset `<channel>/orders`: the channel's order details through the orders lane."""

    @channel.asset(Lane.ORDERS, "orders", kinds={"parquet"}, resources={"state", "lake"})
    def orders(context: dg.AssetExecutionContext, config: OrdersConfig) -> dg.MaterializeResult:
        resources = context.resources
        return _fetch(context, config, resources.state, channel.resource(context), resources.lake)

    return orders


# Every declared channel's orders asset, by channel.
CHANNEL_ORDERS = {channel.name: _orders_asset(channel) for channel in CHANNELS}
tiktok_orders = CHANNEL_ORDERS[ChannelName.TIKTOK_SHOP]
mercado_livre_orders = CHANNEL_ORDERS[ChannelName.MERCADO_LIVRE]
shopee_orders = CHANNEL_ORDERS[ChannelName.SHOPEE]


@lane_asset(
    Lane.ORDERS,
    deps=list(CHANNEL_ORDERS.values()),
    kinds={"vtex"},
    required_resource_keys={"state", "vtex", "lake", *(channel.resource_key for channel in CHANNELS)},
    check_specs=[
        client_check(
            FAILED_ORDERS_CHECK,
            "vtex_orders",
            "No TikTok order of the client waits for a person: orders VTEX cannot take (no valid CPF, an "
            "address without a city, a SKU without a VTEX id) and orders that failed order_max_attempts "
            "times are listed here until `tiktok-pipelines orders reprocess` sends them again.",
        )
    ],
)
def vtex_orders(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """VTEX orders for the client's orders of every channel (TikTok Shop, Mercado Livre, Shopee, each under
    its own VTEX affiliate: client option `vtex_affiliates`), through the VTEX marketplace protocol: a paid order
    (neither UNPAID nor ON_HOLD) is simulated, placed and authorized for dispatch exactly once, with its
    seller SKUs turned into VTEX SKU ids by the client's `vtex_sku_id_source` (the run claims each order
    in the order map, exclusively and for a lease, before touching it; the placement is recorded before
    the call and confirmed after, and VTEX is looked up again after an interrupted attempt); a cancelled
    order is cancelled in VTEX, and an order the seller cancelled in VTEX is cancelled on TikTok.
    Failures stay flagged and are retried by the next run; orders VTEX cannot take (no CPF, no address)
    are left for a person, and the check `failed_orders_empty` fails while any waits."""
    client_id = context.partition_key
    state, vtex, lake = context.resources.state, context.resources.vtex, context.resources.lake
    client = state.registry.get(client_id)
    try:
        run = OrderRun.for_client(context.run_id, client, lake)
    except ClientSetupError as exc:
        raise dg.Failure(description=str(exc)) from None
    metadata: dict = {"dagster/row_count": 0}
    checks = []
    for shop in (channel.resource(context) for channel in CHANNELS):
        name = shop.capabilities().name.value
        store = OrderStore(state.db, name)
        if shop.shop_missing(client_id) is not None and not store.all(client_id):
            continue
        channel = ChannelLink(
            shop.capabilities(),
            shop.order_reader(),
            lambda shop=shop: shop.session(client_id, logger=context.log),
            lambda shop=shop: shop.needs_authorization(client_id),
        )
        with vtex.client_for(client, name) as api:
            report = VtexOrderSync(client, channel, api, store, EventLog(state.db), run, context.log).run(
                lake
            )
        metadata["dagster/row_count"] += len(report.changed)
        metadata.update(_sync_metadata(report, context, prefix="" if name == "tiktok_shop" else f"{name}_"))
        checks.append(failed_orders_check(store, client_id))
    if not checks:
        checks.append(failed_orders_check(OrderStore(state.db), client_id))
    return dg.MaterializeResult(metadata=metadata, check_results=[_combined(checks)])


def _sync_metadata(report, context: dg.AssetExecutionContext, prefix: str) -> dict:
    for alert in report.alerts:
        context.log.warning("order %s: %s", alert["order_id"], alert["alert"])
    metadata = {
        **{f"orders_{k}": v for k, v in sorted(report.outcomes.items())},
        "orders_claimed_by_another_run": report.claimed_elsewhere,
        "api_calls": report.api_calls,
        "failures": md(markdown_table(report.failures, ["order_id", "reason", "retry"], limit=20, width=120)),
        "alerts": md(
            markdown_table(report.alerts, ["order_id", "vtex_order_id", "alert"], limit=20, width=120)
        ),
    }
    metadata.update({f"vtex_{k}": v for k, v in sorted(report.vtex_calls.items())})
    if report.failures:
        context.log.warning(
            "%d orders could not be synced, see the `failures` metadata", len(report.failures)
        )
    return {f"{prefix}{k}": v for k, v in metadata.items()}


def _combined(checks: list[dg.AssetCheckResult]) -> dg.AssetCheckResult:
    """One result of the failed-orders check over every channel: failed when any channel's failed."""
    failing = [c for c in checks if not c.passed]
    return (failing or checks)[0]


ORDERS_ASSETS = [*CHANNEL_ORDERS.values(), vtex_orders]
