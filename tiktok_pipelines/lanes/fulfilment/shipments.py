"""Shipments: a package whose NF-e the channel accepted is shipped, once; its tracking then goes to the
order map, to a new lake version of its orders, and to the VTEX invoice.

A package ships handed to the channel's logistics (the client option `tiktok_handover_method`) or, for an
order the merchant's own carrier ships, with the carrier (`tiktok_shipping_provider_id`) and the tracking
number of the VTEX invoice. A ship call that may have been cut off is read back before shipping again.
Package moves (a notification, or a scan) refresh the package's status and the carrier's latest event.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tiktok_pipelines.channels.base import ChannelAuthError, ChannelError, ChannelSession
from tiktok_pipelines.channels.base.fulfilment import PackageAlreadyShippedError
from tiktok_pipelines.core.fulfilment import (
    SHIP_FAILED,
    SHIPPING_CONFIG,
    latest_tracking_event,
    retry_delay_seconds,
)
from tiktok_pipelines.core.models.fulfilment import Package, PackageState, ShipmentMethod
from tiktok_pipelines.core.models.orders import Order
from tiktok_pipelines.core.synclog import SyncLog
from tiktok_pipelines.lanes.fulfilment.common import LANE, FulfilmentRun
from tiktok_pipelines.lanes.orders import Lake, order_records, write_order_versions
from tiktok_pipelines.stores.db import StateDB
from tiktok_pipelines.stores.events import EventLog
from tiktok_pipelines.stores.fulfilment import DEAD, FAILED, Shipment
from tiktok_pipelines.stores.registry import Client
from tiktok_pipelines.vtex.client import VtexAuthError, VtexClient, VtexError

SHIPMENT_ACTIONS = ("package_update",)
HANDOVER_METHODS = ("PICKUP", "DROP_OFF")
# Packages that will not move any more: their tracking is not refreshed.
SETTLED_PACKAGES = (PackageState.COMPLETED, PackageState.CANCELLED)
NOT_SHIPPED = (PackageState.AWAITING_SHIPMENT, PackageState.UNKNOWN)


@dataclass(frozen=True)
class ShipmentOptions:
    scan: bool = False  # also refresh the tracking of every shipped package not delivered yet
    max_packages: int = 300  # most packages one run ships or refreshes


class ShipmentRun(FulfilmentRun):
    """One shipments run for a client: packages shipped, tracking refreshed and passed on."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.shipped: list[dict[str, Any]] = []

    def fail(self, shipment: Shipment, reason: str, detail: str) -> None:
        attempts = shipment.attempts
        # A client option missing costs no API call: every run looks again, until someone sets it.
        configuration = reason == SHIPPING_CONFIG
        give_up = not configuration and attempts >= self.max_attempts
        self.fulfil.save_shipment(
            self.client_id,
            shipment.package_id,
            status=DEAD if give_up else FAILED,
            last_error=detail[:2000],
            next_attempt_at=None
            if configuration
            else datetime.now(UTC) + timedelta(seconds=retry_delay_seconds(attempts)),
        )
        if give_up or reason == SHIPPING_CONFIG:
            self.fulfil.dead_letter(
                self.client_id,
                "shipment",
                reason,
                detail,
                order_id=shipment.order_ids[0] if shipment.order_ids else None,
                package_id=shipment.package_id,
                vtex_order_id=shipment.vtex_order_id,
            )
        self.counts[f"ship_{'dead' if give_up else 'failed'}"] += 1
        self.failures.append({"package_id": shipment.package_id, "reason": reason, "detail": detail})

    def each(self, shipments: list[Shipment], step: Callable[[Shipment], None], reason: str) -> None:
        """`step` on each shipment; a channel error is reported and the others go on (not a refused
        authorization)."""
        for shipment in shipments:
            try:
                step(shipment)
            except ChannelAuthError:
                raise
            except ChannelError as exc:
                self.failures.append(
                    {"package_id": shipment.package_id, "reason": reason, "detail": str(exc)}
                )

    def ship_method(self, shipment: Shipment) -> ShipmentMethod | str:
        """How the package ships (client options), or why it cannot."""
        record = self.orders.get(self.client_id, shipment.order_ids[0]) if shipment.order_ids else None
        order = self.stored_order(record)
        if order is not None and order.seller_ships:
            provider = self.client.option("tiktok_shipping_provider_id")
            upload = next(iter(self.fulfil.uploads_of_package(self.client_id, shipment.package_id)), None)
            tracking = upload.vtex_tracking_number if upload else None
            if not provider or not tracking:
                return (
                    "the seller ships this order: it needs the client option tiktok_shipping_provider_id and "
                    "a tracking number on the VTEX invoice"
                )
            return ShipmentMethod(tracking_number=tracking, carrier_id=str(provider))
        handover = str(self.client.option("tiktok_handover_method", "DROP_OFF")).upper()
        if handover not in HANDOVER_METHODS:
            return f"client option tiktok_handover_method is {handover!r}, not PICKUP or DROP_OFF"
        return ShipmentMethod(handover=handover)

    def ship(self, shipment: Shipment) -> None:
        if shipment.status == "shipping":
            # An earlier run died during its ship call: the channel may have taken it.
            package = self.read_package(shipment)
            if package.state not in NOT_SHIPPED:
                self.counts["shipped_before"] += 1
                return
        method = self.ship_method(shipment)
        if isinstance(method, str):
            self.fail(shipment, SHIPPING_CONFIG, method)
            return
        shipment = self.fulfil.save_shipment(
            self.client_id,
            shipment.package_id,
            status="shipping",
            attempts=shipment.attempts + 1,
            handover_method=method.label,
        )
        try:
            with self.sync.timed("ship_package", self.channel_api, shipment.package_id):
                self.session.ship_package(shipment.package_id, method)
        except PackageAlreadyShippedError:
            pass  # shipped already (an earlier attempt): read it
        except ChannelAuthError:
            raise
        except ChannelError as exc:
            self.fail(shipment, SHIP_FAILED, str(exc))
            return
        package = self.read_package(shipment)
        if package.state is PackageState.AWAITING_SHIPMENT:
            self.fail(
                shipment,
                SHIP_FAILED,
                f"{self.channel} still shows the package {package.status} after shipping it",
            )
            return
        self.counts["shipped"] += 1
        self.fulfil.resolve(self.client_id, "shipment", package_id=shipment.package_id)
        self.shipped.append(
            {
                "package_id": shipment.package_id,
                "orders": shipment.order_key,
                "handover": method.label,
                "tracking": package.tracking_number,
                "provider": package.carrier,
            }
        )

    def read_package(self, shipment: Shipment) -> Package:
        """Reads the package (status, tracking) into its shipment row."""
        with self.sync.timed("get_package", self.channel_api, shipment.package_id):
            package = self.session.package(shipment.package_id)
        values: dict[str, Any] = dict(package_status=package.status)
        if package.state is PackageState.CANCELLED:
            values["status"] = "cancelled"
        elif package.state is not PackageState.AWAITING_SHIPMENT:
            values.update(
                status="shipped",
                tracking_number=package.tracking_number,
                shipping_provider=package.carrier,
                shipping_provider_id=package.carrier_id,
                last_error=None,
                next_attempt_at=None,
            )
            if shipment.shipped_at is None:
                values["shipped_at"] = datetime.now(UTC)
        self.fulfil.save_shipment(self.client_id, shipment.package_id, **values)
        return package

    def refresh(self, shipment: Shipment) -> None:
        """The package's status and the carrier's latest tracking event."""
        self.read_package(shipment)
        if not shipment.order_ids:
            return
        with self.sync.timed("get_tracking", self.channel_api, shipment.order_ids[0]):
            latest = latest_tracking_event(self.session.tracking(shipment.order_ids[0]))
        if latest is not None:
            self.fulfil.save_shipment(
                self.client_id,
                shipment.package_id,
                tracking_event=latest.description[:500],
                tracking_event_at=latest.at,
            )
        self.counts["tracking_refreshed"] += 1

    def fresh_orders(self, order_ids: list[str]) -> dict[str, Order]:
        """The channel's current details of these orders (those it could not give are left out)."""
        fresh: dict[str, Order] = {}
        per_call = self.session.capabilities.orders_per_detail_call
        for start in range(0, len(order_ids), per_call):
            chunk = order_ids[start : start + per_call]
            try:
                with self.sync.timed("get_orders", self.channel_api, ",".join(chunk)[:200]):
                    fresh.update({o.order_id: o for o in self.session.order_details(chunk)})
            except ChannelAuthError:
                raise
            except ChannelError as exc:
                self.logger.warning("order details for %d orders failed: %s", len(chunk), exc)
        return fresh

    def propagate(self, lake: Lake) -> None:
        """A new tracking number goes to the order map, a new lake version of the orders, and VTEX."""
        pending = [
            s
            for s in self.fulfil.shipments(self.client_id, ("shipped",))
            if s.tracking_number
            and (s.order_map_tracking != s.tracking_number or s.vtex_tracking != s.tracking_number)
        ]
        to_map = [s for s in pending if s.order_map_tracking != s.tracking_number]
        fresh = self.fresh_orders([o for s in to_map for o in s.order_ids])
        lake_orders: dict[str, Order] = {}
        for shipment in to_map:
            for order_id in shipment.order_ids:
                self.orders.update(
                    self.client_id,
                    order_id,
                    tracking_number=shipment.tracking_number,
                    shipping_provider=shipment.shipping_provider,
                )
                order = fresh.get(order_id)
                if order is not None:
                    self.orders.save_detail(self.client_id, order)
                else:
                    order = self.stored_order(self.orders.get(self.client_id, order_id))
                if order is not None:
                    # The channel's order detail can lag behind the package; the lake row carries the package's.
                    lake_orders[order_id] = dataclasses.replace(
                        order, tracking_number=shipment.tracking_number
                    )
            self.fulfil.save_shipment(
                self.client_id, shipment.package_id, order_map_tracking=shipment.tracking_number
            )
            self.counts["tracking_to_order_map"] += 1
        write_order_versions(
            lake,
            self.client_id,
            self.orders.channel,
            lake_orders,
            order_records(self.orders, self.client_id, lake_orders),
        )
        for shipment in pending:
            if shipment.vtex_tracking == shipment.tracking_number:
                continue
            if not shipment.vtex_order_id or not shipment.invoice_number:
                continue
            try:
                with self.sync.timed("update_invoice_tracking", "vtex", shipment.vtex_order_id):
                    self.api.update_invoice_tracking(
                        shipment.vtex_order_id,
                        shipment.invoice_number,
                        tracking_number=shipment.tracking_number,
                        courier=shipment.shipping_provider,
                        dispatched_at=shipment.shipped_at,
                    )
            except VtexError as exc:
                if isinstance(exc, VtexAuthError):
                    raise
                self.failures.append(
                    {"package_id": shipment.package_id, "reason": "vtex_tracking", "detail": str(exc)}
                )
                continue
            self.fulfil.save_shipment(
                self.client_id, shipment.package_id, vtex_tracking=shipment.tracking_number
            )
            self.counts["tracking_to_vtex"] += 1


@dataclass
class ShipmentsReport:
    run: ShipmentRun
    events: int
    packages_by_status: dict[str, int]
    dead_letters_open: int
    api_calls: dict[str, int]


def ship_packages(
    client: Client,
    db: StateDB,
    session: ChannelSession,
    api: VtexClient,
    lake: Lake,
    options: ShipmentOptions,
    logger: Any,
) -> ShipmentsReport:
    """Every package whose invoice the channel accepted is shipped (each once; failures retried with
    backoff, then dead-lettered); the packages the run's events named (scanning: every one not settled)
    are read again with their latest tracking event; new tracking goes to the order map, the lake and
    VTEX. The events are then handled, and the API call log written."""
    client_id = client.client_id
    log = EventLog(db)
    sync = SyncLog(client_id, LANE, session.capabilities.name)
    events = [e for e in log.pending(client_id, LANE) if e.action in SHIPMENT_ACTIONS]
    now = datetime.now(UTC)
    run = ShipmentRun(client, db, api, session, sync, logger)
    fulfil = run.fulfil
    for upload in fulfil.unshipped_successes(client_id):
        fulfil.save_shipment(
            client_id,
            upload.package_id,
            order_key=upload.order_key,
            vtex_order_id=upload.vtex_order_id,
            invoice_number=upload.invoice_number,
            status="to_ship",
        )
    to_ship = [
        s
        for s in fulfil.shipments(client_id, ("to_ship", "shipping", FAILED))
        if s.next_attempt_at is None or s.next_attempt_at <= now
    ][: options.max_packages]
    run.each(to_ship, run.ship, "ship")
    named = {k for e in events for k in e.key_list}
    refresh = [
        s
        for s in fulfil.shipments(client_id, ("shipped",))
        if s.package_id in named
        or (options.scan and session.package_state(s.package_status) not in SETTLED_PACKAGES)
    ][: options.max_packages]
    shipped_now = {row["package_id"] for row in run.shipped}
    run.each([s for s in refresh if s.package_id not in shipped_now], run.refresh, "refresh")
    run.propagate(lake)
    api_calls = run.api_calls()
    log.mark([e.id for e in events], "handled")
    lake.append_part("sync_log", client_id, sync.table())
    return ShipmentsReport(
        run=run,
        events=len(events),
        packages_by_status=dict(Counter(s.status for s in fulfil.shipments(client_id))),
        dead_letters_open=len(fulfil.open_dead_letters(client_id, "shipment")),
        api_calls=api_calls,
    )
