"""Fulfilment on Shopee (the `FulfilmentApi` of its session): Brazil's NF-e uploaded for an order in
INVOICE_PENDING, shipping arranged, the tracking number, and the shipping document.

An order ships as one package whose id, for the lanes, is its `order_sn` (see `orders.py`). The NF-e goes
up as the XML file (`v2.order.upload_invoice_doc`, form-data `order_sn`, `file_type`, `file`; the XML file
type number is UNCONFIRMED in the reference, a setting: `invoice_file_type`). Shopee answers the upload at
once: taken (the order moves on to READY_TO_SHIP) or refused with its reason; no verdict comes later.

Shipping (`v2.logistics`): `get_shipping_parameter` says what `ship_order` needs for the order's channel:
a pickup (an address and a time slot, the first offered) for Shopee's carriers, or the seller's tracking
number for seller logistics. `ship_order` of an order no longer READY_TO_SHIP is refused ("The order
status is not ready to ship."). The shipping document is created, polled until READY and downloaded.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tiktok_pipelines.channels.base.fulfilment import (
    InvoiceRefusedError,
    PackageAlreadyShippedError,
    UnknownPackageError,
)
from tiktok_pipelines.channels.shopee.client import (
    ShopeeAuthError,
    ShopeeClient,
    ShopeeError,
    ShopeeNotFoundError,
    ShopeeRetryableError,
)
from tiktok_pipelines.core.fulfilment import INVALID_XML, UNKNOWN_PACKAGE, UPLOAD_REFUSED
from tiktok_pipelines.core.models import fulfilment as model

XML_FILE_TYPE = 4  # UNCONFIRMED
NOT_READY_TO_SHIP = "not ready to ship"
DOCUMENT_POLLS = 10
PACKAGE_STATES = {
    "INVOICE_PENDING": model.PackageState.AWAITING_SHIPMENT,
    "READY_TO_SHIP": model.PackageState.AWAITING_SHIPMENT,
    "RETRY_SHIP": model.PackageState.AWAITING_SHIPMENT,
    "PROCESSED": model.PackageState.SHIPPED,
    "SHIPPED": model.PackageState.SHIPPED,
    "TO_CONFIRM_RECEIVE": model.PackageState.SHIPPED,
    "TO_RETURN": model.PackageState.SHIPPED,
    "COMPLETED": model.PackageState.COMPLETED,
    "CANCELLED": model.PackageState.CANCELLED,
}


class ShopeeUnknownPackageError(ShopeeError, UnknownPackageError):
    """Shopee has no order by that `order_sn` in the shop."""


class ShopeePackageAlreadyShippedError(ShopeeError, PackageAlreadyShippedError):
    """The order is no longer READY_TO_SHIP."""


class ShopeeInvoiceRefusedError(ShopeeError, InvoiceRefusedError):
    """Shopee refused the NF-e of an order."""


def package_state(status: str | None) -> model.PackageState:
    """What an order status means for its package (None: the answer stated none)."""
    if status is None:
        return model.PackageState.UNKNOWN
    return PACKAGE_STATES.get(status, model.PackageState.UNKNOWN)


def refusal_reason(error: ShopeeError) -> str:
    """The dead-letter reason of a refused upload, by what Shopee said."""
    text = error.message.lower()
    if isinstance(error, ShopeeNotFoundError) or "not found" in text:
        return UNKNOWN_PACKAGE
    if "xml" in text or "nfe" in text:
        return INVALID_XML
    return UPLOAD_REFUSED


class ShopeeFulfilment:
    """Fulfilment on Shopee (the `FulfilmentApi` of its session)."""

    api: ShopeeClient
    invoice_file_type: int = XML_FILE_TYPE

    def _detail(self, order_sn: str) -> dict[str, Any]:
        details = self.order_detail_list([order_sn])
        if not details:
            raise ShopeeUnknownPackageError("error_not_found", f"order_sn {order_sn} not found")
        return details[0]

    def package(self, package_id: str) -> model.Package:
        detail = self._detail(package_id)
        status = detail.get("order_status")
        packages = detail.get("package_list") or []
        tracking = None
        if package_state(status) in (model.PackageState.SHIPPED, model.PackageState.COMPLETED):
            tracking = self.tracking_number(package_id)
        carrier = (packages[0].get("shipping_carrier") if packages else None) or detail.get(
            "shipping_carrier"
        )
        channel_id = packages[0].get("logistics_channel_id") if packages else None
        return model.Package(
            package_id=package_id,
            state=package_state(status),
            status=status,
            order_ids=(package_id,),
            tracking_number=tracking,
            carrier=carrier or None,
            carrier_id=str(channel_id) if channel_id else None,
        )

    def package_state(self, status: str | None) -> model.PackageState:
        return package_state(status)

    def tracking_number(self, order_sn: str) -> str | None:
        answer = self.api.response(
            "GET", "/api/v2/logistics/get_tracking_number", params={"order_sn": order_sn}
        )
        return answer.get("tracking_number") or None

    def ship_package(self, package_id: str, method: model.ShipmentMethod) -> None:
        try:
            needed = self.api.response(
                "GET", "/api/v2/logistics/get_shipping_parameter", params={"order_sn": package_id}
            )
            body: dict[str, Any] = {"order_sn": package_id}
            info = needed.get("info_needed") or {}
            if "non_integrated" in info:
                body["non_integrated"] = {"tracking_number": method.tracking_number or ""}
            elif "pickup" in info:
                [address, *_] = (needed.get("pickup") or {}).get("address_list") or [{}]
                slots = address.get("time_slot_list") or [{}]
                body["pickup"] = {
                    "address_id": address.get("address_id"),
                    "pickup_time_id": slots[0].get("pickup_time_id"),
                }
            else:
                body["dropoff"] = {}
            self.api.response("POST", "/api/v2/logistics/ship_order", json=body)
        except ShopeeError as exc:
            if NOT_READY_TO_SHIP in exc.message.lower() and not isinstance(exc, ShopeeAuthError):
                raise ShopeePackageAlreadyShippedError(exc.error, exc.message, exc.request_id) from exc
            if isinstance(exc, ShopeeNotFoundError):
                raise ShopeeUnknownPackageError(exc.error, exc.message, exc.request_id) from exc
            raise

    def tracking(self, order_id: str) -> list[model.TrackingEvent]:
        """None in the reference: Shopee's tracking events are not among its documented calls; the tracking
        number is (`package`)."""
        return []

    def shipping_document(self, order_sn: str, clock: Any = time.sleep) -> bytes:
        """The order's shipping document (a PDF), created, waited for and downloaded."""
        orders = {"order_list": [{"order_sn": order_sn}]}
        [created] = self.api.response("POST", "/api/v2/logistics/create_shipping_document", json=orders)[
            "result_list"
        ]
        if created.get("fail_error"):
            raise ShopeeError(created["fail_error"], created.get("fail_message") or "")
        for _ in range(DOCUMENT_POLLS):
            [result] = self.api.response(
                "POST", "/api/v2/logistics/get_shipping_document_result", json=orders
            )["result_list"]
            if result.get("status") == "READY":
                break
            clock(1.0)
        else:
            raise ShopeeRetryableError("error_server", "the shipping document is not ready yet")
        return self.api.download("POST", "/api/v2/logistics/download_shipping_document", json=orders)

    def upload_invoice(
        self, package_id: str, order_ids: Sequence[str], xml: bytes
    ) -> model.InvoiceRefusal | None:
        try:
            self.api.response(
                "POST",
                "/api/v2/order/upload_invoice_doc",
                data={"order_sn": package_id, "file_type": str(self.invoice_file_type)},
                files={"file": (f"{package_id}.xml", xml, "text/xml")},
            )
        except ShopeeError as exc:
            if isinstance(exc, ShopeeAuthError | ShopeeRetryableError):
                raise
            refused = ShopeeInvoiceRefusedError(exc.error, exc.message, exc.request_id, exc.http_status)
            refused.refusal = model.InvoiceRefusal(refusal_reason(exc), 0, f"{exc.error}: {exc.message}")
            raise refused from exc
        return None

    def invoice_verdict(self, payload: Mapping[str, Any]) -> model.InvoiceVerdict:
        """Shopee answers an upload at once; a push about an order (code 3) past INVOICE_PENDING says the
        same, as a verdict of success."""
        data = payload.get("data") or {}
        status = str(data.get("status") or "")
        try:
            sent_at = datetime.fromtimestamp(int(payload["timestamp"]), UTC)
        except (KeyError, TypeError, ValueError, OverflowError):
            sent_at = None
        ordersn = str(data.get("ordersn") or "")
        verdict = model.VERDICT_PROCESSING if status in ("", "INVOICE_PENDING") else model.VERDICT_SUCCESS
        return model.InvoiceVerdict(ordersn, (ordersn,), verdict, None, sent_at)
