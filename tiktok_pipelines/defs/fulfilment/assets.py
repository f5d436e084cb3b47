"""Fulfilment of TikTok orders: the NF-e VTEX holds goes to TikTok Shop, an accepted invoice lets the
package ship, and the tracking goes back to the order map, the lake and VTEX.

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
from tiktok_pipelines.defs.catalog.lane import ChannelResource
from tiktok_pipelines.defs.channels import channel_asset, tiktok_shop_asset
from tiktok_pipelines.defs.checks import client_check
from tiktok_pipelines.defs.fulfilment.checks import dead_letter_check, deadline_check
from tiktok_pipelines.defs.keys import channel_key, tiktok_shop_key
from tiktok_pipelines.defs.orders.assets import mercado_livre_orders, vtex_orders
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.defs.resources.mercado_livre import MercadoLivre
from tiktok_pipelines.defs.resources.shopee import Shopee
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.defs.resources.storage import ObjectStore, ParquetLake
from tiktok_pipelines.defs.resources.tiktok_shop import TikTokShop
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


@tiktok_shop_asset(
    Lane.FULFILMENT,
    "invoices",
    deps=[vtex_orders],
    kinds={"vtex", "tiktok"},
    check_specs=[
        client_check(
            "invoices_within_deadline",
            tiktok_shop_key("invoices"),
            "No NF-e has waited more than 24 hours for TikTok to accept it since the lane first "
            "took it up (the seed: an NF-e must reach TikTok within 24 hours).",
        ),
        client_check(
            "invoice_dead_letter_empty",
            tiktok_shop_key("invoices"),
            "No NF-e of the client sits in the dead letter (refused by the checks or by TikTok, an order "
            "and package that do not match, uploads given up): `tiktok-pipelines fulfilment status`.",
        ),
    ],
)
def invoices(
    context: dg.AssetExecutionContext,
    config: InvoicesConfig,
    state: StateStore,
    vtex: Vtex,
    tiktok_shop: TikTokShop,
    objects: ObjectStore,
    lake: ParquetLake,
) -> dg.MaterializeResult:
    """NF-e invoices of the client's TikTok orders, from VTEX to TikTok Shop: for each order VTEX invoiced
    (its invoice callback or order hook, or a scan), the XML embedded in the OMS order (or at its invoice
    URL) is checked (size, UTF-8, well-formed, NFe and protNFe, access key and check digit, totals, buyer
    and amount of the order) and uploaded once per package + order ids and XML; a bad XML is never sent.
    TikTok's verdicts (webhook 36) are recorded: SUCCESS lets `shipments` ship, INVALID waits for a
    corrected NF-e from VTEX. Failures stay in the dead-letter table, shown here with their reason."""
    return _invoices(context, config, state, vtex, tiktok_shop, objects, lake)


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


@tiktok_shop_asset(
    Lane.FULFILMENT,
    "shipments",
    deps=[invoices],
    kinds={"tiktok", "vtex", "parquet"},
    check_specs=[
        client_check(
            "shipment_dead_letter_empty",
            tiktok_shop_key("shipments"),
            "No package of the client waits in the dead letter (a missing shipping option, a ship call "
            "given up): `tiktok-pipelines fulfilment status`.",
        )
    ],
)
def shipments(
    context: dg.AssetExecutionContext,
    config: ShipmentsConfig,
    state: StateStore,
    tiktok_shop: TikTokShop,
    vtex: Vtex,
    lake: ParquetLake,
) -> dg.MaterializeResult:
    """Packages shipped on TikTok Shop once their NF-e was accepted (webhook 36 SUCCESS): handover method
    (PICKUP / DROP_OFF) from the client option `tiktok_handover_method`, or the seller's own carrier
    (`tiktok_shipping_provider_id` and the VTEX invoice's tracking number) for seller-shipped orders; each
    package once, an interrupted attempt read back before shipping again. The tracking number then goes to
    the order map, to a new version of the `orders` lake rows, and to the VTEX invoice; package moves
    (webhook 4, or a scan) refresh the package status and the carrier's latest tracking event."""
    return _shipments(context, config, state, tiktok_shop, vtex, lake)


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


@channel_asset(
    Lane.FULFILMENT,
    ChannelName.MERCADO_LIVRE,
    "shipments",
    deps=[mercado_livre_orders, vtex_orders],
    kinds={"mercadolivre", "vtex", "parquet"},
)
def mercado_livre_shipments(
    context: dg.AssetExecutionContext,
    config: ShipmentsConfig,
    state: StateStore,
    mercado_livre: MercadoLivre,
    vtex: Vtex,
    lake: ParquetLake,
) -> dg.MaterializeResult:
    """The Mercado Envios 2 shipments of the client's Mercado Livre orders placed in VTEX, followed until
    delivered or cancelled (status, tracking number, carrier, latest event; Mercado Livre's carrier takes
    the parcel). Once shipped, the tracking number goes to the order map, to a new version of the
    `orders` lake rows, and to the sale invoice the ERP issued in VTEX for each of the package's orders
    (a cart's orders each have theirs); an order not invoiced in VTEX yet waits for the next run."""
    client_id = context.partition_key
    client = state.registry.get(client_id)
    with mercado_livre.session(client_id, logger=context.log) as session, vtex.client_for(client) as api:
        run = carrier_run(client, state.db, api, session, context.log)
        report = follow_carrier_packages(run, lake, config.max_packages)
    followed = report.packages_by_status
    return dg.MaterializeResult(
        metadata={"dagster/row_count": sum(followed.values()), **_shipments_metadata(report)}
    )


@channel_asset(
    Lane.FULFILMENT,
    ChannelName.MERCADO_LIVRE,
    "shipping_labels",
    deps=[mercado_livre_orders],
    kinds={"mercadolivre"},
)
def mercado_livre_shipping_labels(
    context: dg.AssetExecutionContext, state: StateStore, mercado_livre: MercadoLivre, objects: ObjectStore
) -> dg.MaterializeResult:
    """The Mercado Envios 2 label (PDF) of every package of the client's Mercado Livre orders that waits
    to ship, fetched once and kept in the object store (`labels/mercado_livre/<client>/<shipment>.pdf`)
    for the warehouse; a cart's orders share one shipment and so one label. Mercado Livre's carrier
    collects the parcel: its status and tracking are read from the shipment."""
    client_id = context.partition_key
    store = OrderStore(state.db, ChannelName.MERCADO_LIVRE.value)
    with mercado_livre.session(client_id, logger=context.log) as session:
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


# ---------------------------------------------------------------- Shopee
SHOPEE_INVOICES = channel_key(ChannelName.SHOPEE, "invoices")
SHOPEE_SHIPMENTS = channel_key(ChannelName.SHOPEE, "shipments")


@channel_asset(
    Lane.FULFILMENT,
    ChannelName.SHOPEE,
    "invoices",
    deps=[vtex_orders],
    kinds={"vtex", "shopee"},
    check_specs=[
        client_check(
            "invoices_within_deadline",
            SHOPEE_INVOICES,
            "No NF-e of a Shopee order waited over 24 hours since taken up.",
        ),
        client_check(
            "invoice_dead_letter_empty",
            SHOPEE_INVOICES,
            "No NF-e of a Shopee order in the dead letter (`tiktok-pipelines fulfilment status`).",
        ),
    ],
)
def shopee_invoices(
    context: dg.AssetExecutionContext,
    config: InvoicesConfig,
    state: StateStore,
    vtex: Vtex,
    shopee: Shopee,
    objects: ObjectStore,
    lake: ParquetLake,
) -> dg.MaterializeResult:
    """NF-e invoices of the client's Shopee orders, from VTEX to Shopee (orders in INVOICE_PENDING): the
    same checks as for TikTok, then the XML uploaded once per order; Shopee answers the upload at once,
    which is its verdict (taken: the order may ship; refused: the dead letter, with Shopee's reason)."""
    return _invoices(context, config, state, vtex, shopee, objects, lake)


@channel_asset(
    Lane.FULFILMENT,
    ChannelName.SHOPEE,
    "shipments",
    deps=[shopee_invoices],
    kinds={"shopee", "vtex", "parquet"},
    check_specs=[
        client_check(
            "shipment_dead_letter_empty",
            SHOPEE_SHIPMENTS,
            "No Shopee order of the client waits in the dead letter for its shipping.",
        )
    ],
)
def shopee_shipments(
    context: dg.AssetExecutionContext,
    config: ShipmentsConfig,
    state: StateStore,
    shopee: Shopee,
    vtex: Vtex,
    lake: ParquetLake,
) -> dg.MaterializeResult:
    """Shopee orders shipped once their NF-e was taken: shipping arranged as Shopee asks for the order's
    logistics channel (a pickup slot, or the seller's tracking number), each once; the tracking number to
    the order map, the lake and the VTEX invoice."""
    return _shipments(context, config, state, shopee, vtex, lake)
