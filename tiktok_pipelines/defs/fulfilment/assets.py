"""Fulfilment of every channel's orders, as its capabilities say: where the channel takes the NF-e, the
NF-e VTEX holds goes to the channel, an accepted invoice lets the package ship, and the tracking goes back
to the order map, the lake and VTEX; where the channel's own carrier takes the parcel, its shipments are
followed and their tracking goes to VTEX, with the labels the seller prints.

Runs come from `webhook_queue_sensor` (VTEX's invoice callback or its order hook saying `invoiced`;
TikTok's webhook 36 with the invoice's verdict; webhook 4 when a package moves) and from
`fulfilment_schedule` (a scan for invoiced orders no event announced, and tracking of shipped packages).
The work is the fulfilment lane's (`lanes/fulfilment/`): every step is decided from the state DB, so
overlapping runs, repeated webhooks and crashed runs do each thing once.
"""

from collections import Counter

import dagster as dg
from pydantic import Field

from tiktok_pipelines.core.names import ChannelName, Lane
from tiktok_pipelines.defs.channel_registry import CHANNELS, DeclaredChannel
from tiktok_pipelines.defs.channels import ChannelResource
from tiktok_pipelines.defs.checks import client_check
from tiktok_pipelines.defs.fulfilment.checks import dead_letter_check, deadline_check
from tiktok_pipelines.defs.orders.assets import CHANNEL_ORDERS, vtex_orders
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.defs.resources.storage import ObjectStore, ParquetLake
from tiktok_pipelines.defs.resources.vtex import Vtex
from tiktok_pipelines.lanes.fulfilment import (
    InvoiceOptions,
    InvoicesReport,
    ShipmentOptions,
    send_invoices,
    ship_packages,
)
from tiktok_pipelines.lanes.fulfilment.carrier import carrier_run, follow_carrier_packages
from tiktok_pipelines.lanes.fulfilment.labels import store_labels
from tiktok_pipelines.lanes.fulfilment.shipments import ShipmentsReport
from tiktok_pipelines.lanes.orders import ClientSetupError
from tiktok_pipelines.stores.fulfilment import (
    INVALID,
    PROCESSING,
    REJECTED,
    SUCCESS,
    UPLOADED,
    UPLOADING,
    FulfilmentStore,
)
from tiktok_pipelines.stores.orders import OrderStore


class InvoicesConfig(dg.Config):
    scan: bool = Field(
        default=False,
        description="Also look for invoiced orders no event announced (VTEX's invoiced orders and the order "
        "map), and re-read orders whose NF-e waits for a correction. The schedule's runs scan.",
    )
    lookback_days: int = Field(default=30, description="How far back a scan looks for invoiced VTEX orders.")
    max_orders: int = Field(default=300, description="Most orders one run reads (the rest wait).")
    status_timeout_minutes: int = Field(
        default=120, description="An upload with no verdict (webhook 36) after this long is sent again."
    )


def _invoices(
    context: dg.AssetExecutionContext,
    config: InvoicesConfig,
    state: StateStore,
    vtex: Vtex,
    shop: ChannelResource,
    objects: ObjectStore,
    lake: ParquetLake,
) -> dg.MaterializeResult:
    client_id = context.partition_key
    client = state.registry.get(client_id)
    channel = shop.capabilities().name
    options = InvoiceOptions(
        config.scan, config.lookback_days, config.max_orders, config.status_timeout_minutes
    )
    with vtex.client_for(client, channel) as api, shop.session(client_id, logger=context.log) as session:
        try:
            report = send_invoices(client, state.db, session, api, objects, lake, options, context.log)
        except ClientSetupError as exc:
            raise dg.Failure(description=str(exc)) from None
    fulfil = FulfilmentStore(state.db, channel)
    return dg.MaterializeResult(
        metadata=_invoice_metadata(report, fulfil, client_id),
        check_results=[deadline_check(fulfil, client_id), dead_letter_check(fulfil, client_id, "invoice")],
    )


def _invoice_metadata(report: InvoicesReport, fulfil: FulfilmentStore, client_id: str) -> dict:
    run = report.run
    letters = fulfil.open_dead_letters(client_id, "invoice")
    uploads = fulfil.uploads(client_id)
    by_status = Counter(u.status for u in uploads)
    rows = [
        {
            "reason": d.reason,
            "check": d.failed_check,
            "order_id": d.order_id,
            "package_id": d.package_id,
            "detail": d.detail,
            "since": d.first_at.strftime("%Y-%m-%d %H:%M"),
            "times": d.occurrences,
        }
        for d in reversed(letters)
    ]
    return {
        "dagster/row_count": run.counts["uploaded"],
        "events": report.events,
        "orders_read": report.orders_read,
        **{k: v for k, v in sorted(run.counts.items())},
        "awaiting_verdict": by_status[UPLOADED] + by_status[PROCESSING] + by_status[UPLOADING],
        "accepted_total": by_status[SUCCESS],
        "awaiting_correction": by_status[INVALID]
        + sum(1 for u in uploads if u.status == REJECTED and u.xml_sha256 in u.rejected),
        "dead_letters_open": len(letters),
        "dead_letters_by_reason": dict(Counter(d.reason for d in letters)),
        "dead_letters": md(
            markdown_table(
                rows, ["reason", "check", "order_id", "package_id", "detail", "since", "times"], 20, 100
            )
        ),
        "uploaded": md(
            markdown_table(run.sent, ["order_id", "package_id", "invoice", "access_key", "attempt"])
        ),
        "failures": md(markdown_table(run.failures, ["order_id", "package_id", "reason", "detail"], 20, 120)),
        **report.api_calls,
    }


class ShipmentsConfig(dg.Config):
    scan: bool = Field(
        default=False,
        description="Also refresh the tracking of every shipped package not delivered yet (the schedule's runs).",
    )
    max_packages: int = Field(default=300, description="Most packages one run ships or refreshes.")


def _shipments(
    context: dg.AssetExecutionContext,
    config: ShipmentsConfig,
    state: StateStore,
    shop: ChannelResource,
    vtex: Vtex,
    lake: ParquetLake,
) -> dg.MaterializeResult:
    client_id = context.partition_key
    client = state.registry.get(client_id)
    channel = shop.capabilities().name
    options = ShipmentOptions(config.scan, config.max_packages)
    with shop.session(client_id, logger=context.log) as session, vtex.client_for(client, channel) as api:
        report = ship_packages(client, state.db, session, api, lake, options, context.log)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": report.run.counts["shipped"],
            **_shipments_metadata(report),
            "shipped": md(
                markdown_table(
                    report.run.shipped, ["package_id", "orders", "handover", "tracking", "provider"]
                )
            ),
        },
        check_results=[dead_letter_check(FulfilmentStore(state.db, channel), client_id, "shipment")],
    )


def _shipments_metadata(report: ShipmentsReport) -> dict:
    run = report.run
    return {
        "events": report.events,
        **{k: v for k, v in sorted(run.counts.items())},
        "packages_by_status": report.packages_by_status,
        "dead_letters_open": report.dead_letters_open,
        "failures": md(markdown_table(run.failures, ["package_id", "reason", "detail"], 20, 120)),
        **report.api_calls,
    }


def _labels(
    context: dg.AssetExecutionContext, state: StateStore, shop: ChannelResource, objects: ObjectStore
) -> dg.MaterializeResult:
    client_id = context.partition_key
    store = OrderStore(state.db, shop.capabilities().name.value)
    with shop.session(client_id, logger=context.log) as session:
        report = store_labels(client_id, session, store, objects)
        calls = session.call_counts()
    for package_id, reason in report.failed.items():
        context.log.warning("label of shipment %s: %s", package_id, reason)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(report.stored),
            "labels_stored": len(report.stored),
            "labels_kept_before": report.already,
            "not_waiting_to_ship": report.not_waiting,
            "failed": len(report.failed),
            "stored": md(markdown_table([{"key": k} for k in report.stored[:20]], ["key"])),
            **calls,
        }
    )


# ---------------------------------------------------------------- every channel's fulfilment
def _invoice_checks(channel: DeclaredChannel) -> list[dg.AssetCheckSpec]:
    display = channel.capabilities.display_name
    return [
        client_check(
            "invoices_within_deadline",
            channel.key("invoices"),
            f"No NF-e of a {display} order has waited more than 24 hours for {display} to take it since the "
            "lane first took it up (an NF-e must reach the channel within 24 hours).",
        ),
        client_check(
            "invoice_dead_letter_empty",
            channel.key("invoices"),
            f"No NF-e of the client's {display} orders sits in the dead letter (refused by the checks or by "
            f"{display}, an order and package that do not match, uploads given up): "
            "`tiktok-pipelines fulfilment status`.",
        ),
    ]


def _uploading(channel: DeclaredChannel) -> list[dg.AssetsDefinition]:
    """`<channel>/invoices` and `<channel>/shipments` of a channel that takes the NF-e: its orders'
    invoices uploaded, then their packages shipped once the channel accepted the invoice."""

    @channel.asset(
        Lane.FULFILMENT,
        "invoices",
        deps=[vtex_orders],
        kinds={"vtex"},
        check_specs=_invoice_checks(channel),
        resources={"state", "vtex", "objects", "lake"},
    )
    def invoices(context: dg.AssetExecutionContext, config: InvoicesConfig) -> dg.MaterializeResult:
        r = context.resources
        return _invoices(context, config, r.state, r.vtex, channel.resource(context), r.objects, r.lake)

    @channel.asset(
        Lane.FULFILMENT,
        "shipments",
        deps=[invoices],
        kinds={"vtex", "parquet"},
        check_specs=[
            client_check(
                "shipment_dead_letter_empty",
                channel.key("shipments"),
                f"No package of the client's {channel.capabilities.display_name} orders waits in the dead "
                "letter (a missing shipping option, a ship call given up): `tiktok-pipelines fulfilment status`.",
            )
        ],
        resources={"state", "vtex", "lake"},
    )
    def shipments(context: dg.AssetExecutionContext, config: ShipmentsConfig) -> dg.MaterializeResult:
        r = context.resources
        return _shipments(context, config, r.state, channel.resource(context), r.vtex, r.lake)

    return [invoices, shipments]


def _carried(channel: DeclaredChannel) -> list[dg.AssetsDefinition]:
    """`<channel>/shipments` of a channel whose own carrier takes the parcel and which takes no NF-e:
    its shipments followed, their tracking to VTEX."""

    @channel.asset(
        Lane.FULFILMENT,
        "shipments",
        deps=[CHANNEL_ORDERS[channel.name], vtex_orders],
        kinds={"vtex", "parquet"},
        resources={"state", "vtex", "lake"},
    )
    def shipments(context: dg.AssetExecutionContext, config: ShipmentsConfig) -> dg.MaterializeResult:
        resources, client_id = context.resources, context.partition_key
        client = resources.state.registry.get(client_id)
        with (
            channel.resource(context).session(client_id, logger=context.log) as session,
            resources.vtex.client_for(client) as api,
        ):
            run = carrier_run(client, resources.state.db, api, session, context.log)
            report = follow_carrier_packages(run, resources.lake, config.max_packages)
        followed = report.packages_by_status
        return dg.MaterializeResult(
            metadata={"dagster/row_count": sum(followed.values()), **_shipments_metadata(report)}
        )

    return [shipments]


def _shipping_labels(channel: DeclaredChannel) -> dg.AssetsDefinition:
    """`<channel>/shipping_labels` of a channel whose labels the seller prints."""

    @channel.asset(
        Lane.FULFILMENT,
        "shipping_labels",
        deps=[CHANNEL_ORDERS[channel.name]],
        resources={"state", "objects"},
    )
    def shipping_labels(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        r = context.resources
        return _labels(context, r.state, channel.resource(context), r.objects)

    return shipping_labels


def _channel_fulfilment(channel: DeclaredChannel) -> tuple[dg.AssetsDefinition, ...]:
    """A declared channel's fulfilment, as its capabilities say: invoices and shipments where it takes
    the NF-e, else its carrier's shipments followed; its labels where the seller prints them."""
    assets = _uploading(channel) if channel.capabilities.invoice_upload else _carried(channel)
    if channel.capabilities.shipping_labels:
        assets.append(_shipping_labels(channel))
    return tuple(assets)


# Every declared channel's fulfilment assets, by channel.
CHANNEL_FULFILMENT = {channel.name: _channel_fulfilment(channel) for channel in CHANNELS}
invoices, shipments = CHANNEL_FULFILMENT[ChannelName.TIKTOK_SHOP]
mercado_livre_shipments, mercado_livre_shipping_labels = CHANNEL_FULFILMENT[ChannelName.MERCADO_LIVRE]
shopee_invoices, shopee_shipments = CHANNEL_FULFILMENT[ChannelName.SHOPEE]

FULFILMENT_ASSETS = [asset for assets in CHANNEL_FULFILMENT.values() for asset in assets]
