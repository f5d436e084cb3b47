"""TikTok orders into VTEX: order details from TikTok, then VTEX orders placed exactly once.

Runs come from `webhook_queue_sensor` (orders named by webhooks) and from `order_polling_schedule`
(every order TikTok changed since the last poll, so a lost webhook is caught). Both only flag orders in
the order map; each run then works through every flagged order, so runs can overlap in what they were
asked for without doing anything twice. The work is the orders lane's (`lanes/orders/`).
"""

from collections import Counter

import dagster as dg
from pydantic import Field

from tiktok_pipelines.core.names import ChannelName, Lane
from tiktok_pipelines.defs.automation import lane_asset
from tiktok_pipelines.defs.channels import on_the_channel_shop
from tiktok_pipelines.defs.checks import client_check
from tiktok_pipelines.defs.keys import channel_key, tiktok_shop_key
from tiktok_pipelines.defs.orders.checks import FAILED_ORDERS_CHECK, combined_check, failed_orders_check
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.defs.resources.shopee import Shopee
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.defs.resources.storage import ParquetLake
from tiktok_pipelines.defs.resources.tiktok_shop import TikTokShop
from tiktok_pipelines.defs.resources.vtex import Vtex
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
        default=False, description="Also search TikTok for orders changed since the last poll."
    )
    overlap_minutes: int = Field(default=15, description="How far each poll reaches back before its cursor.")
    first_poll_hours: int = Field(default=72, description="How far the first poll of a client reaches back.")
    max_orders: int = Field(default=2000, description="Most orders one run works on (the rest wait).")


def channel_orders(
    context: dg.AssetExecutionContext, config: OrdersConfig, state: StateStore, channel, lake: ParquetLake
) -> dg.MaterializeResult:
    """A channel's orders asset: the orders lane's fetch through the channel resource's session, into the
    channel's order map."""
    client_id = context.partition_key
    options = FetchOptions(config.poll, config.overlap_minutes, config.first_poll_hours, config.max_orders)
    store = OrderStore(state.db, channel.capabilities().name)
    with channel.session(client_id, logger=context.log) as session:
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


@lane_asset(
    Lane.ORDERS,
    key=tiktok_shop_key("orders"),
    kinds={"tiktok", "parquet"},
)
@on_the_channel_shop("tiktok_shop")
def tiktok_orders(
    context: dg.AssetExecutionContext,
    config: OrdersConfig,
    state: StateStore,
    tiktok_shop: TikTokShop,
    lake: ParquetLake,
) -> dg.MaterializeResult:
    """Order details from TikTok for every order a webhook named (status, address, cancellation, return)
    and, in polling runs, every order TikTok changed since the last poll (with an overlapping window).
    Details are kept encrypted in the order map; the `orders` and `order_lines` lake tables get a new
    version of each order (no personal data)."""
    return channel_orders(context, config, state, tiktok_shop, lake)


@lane_asset(
    Lane.ORDERS,
    key=channel_key(ChannelName.SHOPEE, "orders"),
    kinds={"shopee", "parquet"},
)
@on_the_channel_shop("shopee")
def shopee_orders(
    context: dg.AssetExecutionContext,
    config: OrdersConfig,
    state: StateStore,
    shopee: Shopee,
    lake: ParquetLake,
) -> dg.MaterializeResult:
    """Order details from Shopee for every order a push named and, in polling runs, every order Shopee
    changed since the last poll (`get_order_list` by update time, in 15-day windows): the safety net for
    pushes missed while Shopee had them disabled. Kept encrypted in Shopee's order map; new versions in
    the lake's `orders` and `order_lines` with `channel` = `shopee`."""
    return channel_orders(context, config, state, shopee, lake)


@lane_asset(
    Lane.ORDERS,
    deps=[tiktok_orders, shopee_orders],
    kinds={"vtex"},
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
def vtex_orders(
    context: dg.AssetExecutionContext,
    state: StateStore,
    vtex: Vtex,
    tiktok_shop: TikTokShop,
    shopee: Shopee,
    lake: ParquetLake,
) -> dg.MaterializeResult:
    """VTEX orders for the client's TikTok and Shopee orders (each channel's under its own VTEX affiliate,
    client option `channel_affiliates`), through the VTEX marketplace protocol: a paid order
    (neither UNPAID nor ON_HOLD) is simulated, placed and authorized for dispatch exactly once, with its
    seller SKUs turned into VTEX SKU ids by the client's `vtex_sku_id_source` (the run claims each order
    in the order map, exclusively and for a lease, before touching it; the placement is recorded before
    the call and confirmed after, and VTEX is looked up again after an interrupted attempt); a cancelled
    order is cancelled in VTEX, and an order the seller cancelled in VTEX is cancelled on TikTok.
    Failures stay flagged and are retried by the next run; orders VTEX cannot take (no CPF, no address)
    are left for a person, and the check `failed_orders_empty` fails while any waits."""
    client_id = context.partition_key
    client = state.registry.get(client_id)
    try:
        run = OrderRun.for_client(context.run_id, client, lake)
    except ClientSetupError as exc:
        raise dg.Failure(description=str(exc)) from None
    reports, checks = [], []
    for channel in (tiktok_shop, shopee):
        store = OrderStore(state.db, channel.capabilities().name)
        link = ChannelLink(
            channel.capabilities(),
            channel.order_reader(),
            lambda channel=channel: channel.session(client_id, logger=context.log),
        )
        if channel is tiktok_shop or channel.shop_missing(client_id) is None:
            with vtex.client_for(client, channel.capabilities().name) as api:
                sync = VtexOrderSync(client, link, api, store, EventLog(state.db), run, context.log)
                reports.append(sync.run(lake))
        checks.append(failed_orders_check(store, client_id))
    alerts = [a for r in reports for a in r.alerts]
    failures = [f for r in reports for f in r.failures]
    for alert in alerts:
        context.log.warning("order %s: %s", alert["order_id"], alert["alert"])
    outcomes = Counter()
    vtex_calls = Counter()
    for r in reports:
        outcomes.update(r.outcomes)
        vtex_calls.update(r.vtex_calls)
    metadata = {
        "dagster/row_count": sum(len(r.changed) for r in reports),
        **{f"orders_{k}": v for k, v in sorted(outcomes.items())},
        "orders_claimed_by_another_run": sum(r.claimed_elsewhere for r in reports),
        "api_calls": sum(r.api_calls for r in reports),
        "failures": md(markdown_table(failures, ["order_id", "reason", "retry"], limit=20, width=120)),
        "alerts": md(markdown_table(alerts, ["order_id", "vtex_order_id", "alert"], limit=20, width=120)),
    }
    metadata.update({f"vtex_{k}": v for k, v in sorted(vtex_calls.items())})
    if failures:
        context.log.warning("%d orders could not be synced, see the `failures` metadata", len(failures))
    return dg.MaterializeResult(metadata=metadata, check_results=[combined_check(checks)])
