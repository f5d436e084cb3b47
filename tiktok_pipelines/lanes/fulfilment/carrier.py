"""Packages the channel's own carrier takes (a channel that prints its labels and takes no NF-e upload:
Mercado Envios 2). Nothing is shipped by the lane: each package of the client's orders placed in VTEX is
followed (status, tracking number, carrier, latest event) until it is delivered or cancelled; once the
carrier has it, its tracking number goes to the order map of each of its orders, to a new lake version of
them (`ShipmentRun.propagate`, which leaves VTEX to this module: the row names no invoice), and to the
sale invoice the merchant's ERP issued in VTEX for each of its
orders (a cart's orders are VTEX orders of their own sharing one package). An order VTEX has not invoiced
yet waits for the next run.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from tiktok_pipelines.channels.base import ChannelSession
from tiktok_pipelines.core.synclog import SyncLog
from tiktok_pipelines.lanes.fulfilment.common import LANE
from tiktok_pipelines.lanes.fulfilment.shipments import SETTLED_PACKAGES, ShipmentRun, ShipmentsReport
from tiktok_pipelines.lanes.orders import Lake
from tiktok_pipelines.stores.db import StateDB
from tiktok_pipelines.stores.fulfilment import Shipment
from tiktok_pipelines.stores.orders import OrderRecord
from tiktok_pipelines.stores.registry import Client
from tiktok_pipelines.vtex.client import VtexAuthError, VtexClient, VtexError

FOLLOWED = "awaiting_carrier"  # a package the carrier has not taken yet
SALE_INVOICE = "Output"


def sale_invoice_number(order: Mapping[str, Any]) -> str | None:
    """The number of the sale invoice VTEX holds for an order, or None before the ERP issued one."""
    for package in (order.get("packageAttachment") or {}).get("packages") or []:
        if package.get("invoiceNumber") and (package.get("type") or SALE_INVOICE) == SALE_INVOICE:
            return str(package["invoiceNumber"])
    return None


class CarrierRun(ShipmentRun):
    """One run following the packages of a client's orders on a channel whose carrier ships them."""

    def follow(self) -> dict[str, list[OrderRecord]]:
        """A shipment row for each package of the client's orders placed in VTEX, naming its orders;
        the orders of each package."""
        packages: dict[str, list[OrderRecord]] = defaultdict(list)
        for record in self.orders.all(self.client_id):
            if not record.vtex_order_id or record.state == "cancelled":
                continue
            order = self.stored_order(record)
            for package_id in order.packages if order is not None else ():
                packages[package_id].append(record)
        for package_id, records in packages.items():
            key = ",".join(sorted(r.order_id for r in records))
            shipment = self.fulfil.shipment(self.client_id, package_id)
            if shipment is None or shipment.order_key != key:
                values: dict[str, Any] = {"order_key": key, "vtex_order_id": records[0].vtex_order_id}
                if shipment is None:
                    values["status"] = FOLLOWED
                self.fulfil.save_shipment(self.client_id, package_id, **values)
        return packages

    def to_vtex(self, shipment: Shipment, records: list[OrderRecord]) -> None:
        """The package's tracking on the sale invoice of each of its VTEX orders, once all are invoiced."""
        invoices = []
        for record in records:
            assert record.vtex_order_id is not None
            with self.sync.timed("get_order", "vtex", record.vtex_order_id):
                number = sale_invoice_number(self.api.find_order(record.vtex_order_id) or {})
            if number is None:
                self.counts["awaiting_vtex_invoice"] += 1
                return
            invoices.append((record.vtex_order_id, number))
        for vtex_order_id, number in invoices:
            with self.sync.timed("update_invoice_tracking", "vtex", vtex_order_id):
                self.api.update_invoice_tracking(
                    vtex_order_id,
                    number,
                    tracking_number=shipment.tracking_number,
                    courier=shipment.shipping_provider,
                    dispatched_at=shipment.shipped_at,
                )
        self.fulfil.save_shipment(self.client_id, shipment.package_id, vtex_tracking=shipment.tracking_number)
        self.counts["tracking_to_vtex"] += 1


def carrier_run(
    client: Client, db: StateDB, api: VtexClient, session: ChannelSession, logger: Any
) -> CarrierRun:
    """A run for the client on the channel of `session`, its API calls logged under the lane."""
    return CarrierRun(
        client, db, api, session, SyncLog(client.client_id, LANE, session.capabilities.name), logger
    )


def follow_carrier_packages(run: CarrierRun, lake: Lake, max_packages: int = 300) -> ShipmentsReport:
    """Every package of the client's orders placed in VTEX that is not delivered or cancelled yet is read
    again (status, tracking, latest event); new tracking goes to the order map, the lake and the VTEX
    invoices of its orders; the API call log is written. Each run reads every package still moving, so
    it takes no events (the lane's package events are the TikTok shipments' to handle)."""
    client_id, session = run.client_id, run.session
    packages = run.follow()
    moving = [
        s
        for s in run.fulfil.shipments(client_id, (FOLLOWED, "shipped"))
        if session.package_state(s.package_status) not in SETTLED_PACKAGES
    ][:max_packages]
    run.each(moving, run.refresh, "refresh")
    run.propagate(lake)
    for shipment in run.fulfil.shipments(client_id, ("shipped",)):
        if not shipment.tracking_number or shipment.vtex_tracking == shipment.tracking_number:
            continue
        try:
            run.to_vtex(shipment, packages.get(shipment.package_id, []))
        except VtexAuthError:
            raise
        except VtexError as exc:
            run.failures.append(
                {"package_id": shipment.package_id, "reason": "vtex_tracking", "detail": str(exc)}
            )
    lake.append_part("sync_log", client_id, run.sync.table())
    shipments = run.fulfil.shipments(client_id)
    return ShipmentsReport(
        run=run,
        events=0,
        packages_by_status=dict(Counter(s.package_status or s.status for s in shipments)),
        dead_letters_open=len(run.fulfil.open_dead_letters(client_id, "shipment")),
        api_calls=run.api_calls(),
    )
