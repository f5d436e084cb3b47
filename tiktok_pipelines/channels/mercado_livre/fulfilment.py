"""Fulfilment on Mercado Livre (the `FulfilmentApi` of its session, reference §7): Mercado Envios 2
shipments are the packages, one per purchase (a cart's orders share it).

With Mercado Envios 2 the platform's carrier takes the parcel: the seller prints the label (PDF or ZPL)
and hands the parcel over; "shipped", the tracking number and delivery come from the carrier, read from
the shipment. Shipping a package is therefore getting its label (which marks it printed on Mercado
Livre); the label's bytes are the warehouse's, kept by the caller. Mercado Livre takes no NF-e upload in
this flow (the reference names none): `Capabilities.invoice_upload` is False and an upload is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tiktok_pipelines.channels.base.fulfilment import PackageAlreadyShippedError, UnknownPackageError
from tiktok_pipelines.channels.mercado_livre.client import (
    MercadoLivreClient,
    MercadoLivreError,
    MercadoLivreNotFoundError,
)
from tiktok_pipelines.channels.mercado_livre.orders import iso_time
from tiktok_pipelines.core.fulfilment import UPLOAD_REFUSED
from tiktok_pipelines.core.models import fulfilment as model

READY_TO_SHIP = "ready_to_ship"
PACKAGE_STATES = {
    "pending": model.PackageState.AWAITING_SHIPMENT,
    "handling": model.PackageState.AWAITING_SHIPMENT,
    READY_TO_SHIP: model.PackageState.AWAITING_SHIPMENT,
    "delivered": model.PackageState.COMPLETED,
    "closed": model.PackageState.COMPLETED,
    "cancelled": model.PackageState.CANCELLED,
}
ON_ITS_WAY = frozenset({"shipped", "not_delivered", "stale_shipped"})
LABEL_KINDS = {"pdf": "application/pdf", "zpl2": "text/plain"}


class MercadoLivreUnknownShipmentError(MercadoLivreError, UnknownPackageError):
    pass


class MercadoLivreShipmentNotReadyError(MercadoLivreError, PackageAlreadyShippedError):
    """The shipment is past ready_to_ship: its label is no longer printed."""


def package_state(status: str | None) -> model.PackageState:
    if not status:
        return model.PackageState.UNKNOWN
    if status in ON_ITS_WAY:
        return model.PackageState.SHIPPED
    return PACKAGE_STATES.get(status, model.PackageState.UNKNOWN)


def package_of(shipment: Mapping[str, Any]) -> model.Package:
    orders = shipment.get("shipping_items") or []
    order_ids = tuple(str(o["id"]) for o in orders) or (str(shipment.get("order_id") or ""),)
    return model.Package(
        package_id=str(shipment["id"]),
        state=package_state(shipment.get("status")),
        status=shipment.get("status"),
        order_ids=tuple(o for o in order_ids if o),
        tracking_number=shipment.get("tracking_number"),
        carrier=shipment.get("tracking_method"),
    )


class MercadoLivreFulfilment:
    """Shipments of a seller (`api`)."""

    api: MercadoLivreClient

    def _shipment(self, package_id: str) -> dict[str, Any]:
        try:
            return self.api.request("GET", f"/shipments/{package_id}")
        except MercadoLivreNotFoundError as exc:
            raise MercadoLivreUnknownShipmentError(exc.code, exc.error, exc.message) from exc

    def package(self, package_id: str) -> model.Package:
        return package_of(self._shipment(package_id))

    def package_state(self, status: str | None) -> model.PackageState:
        return package_state(status)

    def shipping_label(self, package_id: str, kind: str = "pdf") -> tuple[bytes, str]:
        """The label of a shipment ready to ship (`kind` pdf or zpl2) and its media type."""
        if kind not in LABEL_KINDS:
            raise ValueError(f"a Mercado Livre label is pdf or zpl2, not {kind!r}")
        shipment = self._shipment(package_id)
        if shipment.get("status") != READY_TO_SHIP:
            raise MercadoLivreShipmentNotReadyError(
                400, "not_printable", f"shipment {package_id} is {shipment.get('status')}, not ready to ship"
            )
        answer = self.api.raw(
            "GET", "/shipment_labels", params={"shipment_ids": package_id, "response_type": kind}
        )
        return answer.content, LABEL_KINDS[kind]

    def ship_package(self, package_id: str, method: model.ShipmentMethod) -> None:
        """Mercado Envios 2: the carrier collects a parcel whose label is printed; printing it is the
        seller's whole part."""
        self.shipping_label(package_id)

    def tracking(self, order_id: str) -> list[model.TrackingEvent]:
        order = self.api.request("GET", f"/orders/{order_id}")
        shipment_id = (order.get("shipping") or {}).get("id")
        if not shipment_id:
            return []
        shipment = self._shipment(str(shipment_id))
        events = []
        for key, at in (shipment.get("status_history") or {}).items():
            when = iso_time(at)
            if when is not None and key.startswith("date_"):
                events.append(model.TrackingEvent(key.removeprefix("date_"), when))
        return sorted(events, key=lambda e: e.at)

    def upload_invoice(
        self, package_id: str, order_ids: Sequence[str], xml: bytes
    ) -> model.InvoiceRefusal | None:
        return model.InvoiceRefusal(
            UPLOAD_REFUSED, 0, "Mercado Livre takes no NF-e upload for Mercado Envios 2 shipments"
        )

    def invoice_verdict(self, payload: Mapping[str, Any]) -> model.InvoiceVerdict:
        raise ValueError("Mercado Livre sends no invoice verdicts")
