"""Invoices in the OMS: sale (Output) and return (Input) invoice notifications keyed by number (units
invoiced leave the reservation; a complete sale invoice moves the order to invoiced), tracking updates,
an invoice replaced by the ERP, and what VTEX posts to the marketplace for each."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import Response

from tiktok_pipelines.sandbox.vtex.errors import ApiError
from tiktok_pipelines.sandbox.vtex.resources import ORDER_INVOICE
from tiktok_pipelines.sandbox.vtex.routing import JSON, Ctx, Router
from tiktok_pipelines.sandbox.vtex.values import parse_time, strict_int, vtex_time

INVOICEABLE = {"ready-for-handling", "handling", "invoice", "invoiced"}


class InvoicesMixin:
    """The invoices of a `SandboxAccount`'s orders."""

    def invoice(self, order_id: str, body: Any, resources: frozenset[str] | None = None) -> dict[str, Any]:
        """OMS invoice notification (see the client's `Invoice`): keyed by invoiceNumber."""
        order = self.order(order_id)
        if not isinstance(body, dict):
            raise ApiError(400, "the body must be a JSON object")
        kind = body.get("type")
        if kind not in ("Output", "Input"):
            raise ApiError(400, "type must be Output (sale) or Input (return)")
        if resources is not None and kind == "Input" and "Notify refund" not in resources:
            raise ApiError(403, "Input invoices need the Notify refund resource")
        number = str(body.get("invoiceNumber") or "").strip()
        if not number:
            raise ApiError(400, "invoiceNumber is required")
        raw_value = body.get("invoiceValue")
        if isinstance(raw_value, bool) or not (
            (isinstance(raw_value, str) and raw_value.isdigit()) or isinstance(raw_value, int)
        ):
            raise ApiError(400, f'invoiceValue must be the value in cents, e.g. "2499"; got {raw_value!r}')
        value = int(raw_value)
        issued = parse_time(body.get("issuanceDate"), "issuanceDate")
        packages = order["packageAttachment"]["packages"]
        for package in packages:
            if package["invoiceNumber"] == number:
                return {"date": vtex_time(), "orderId": order_id, "receipt": uuid.uuid4().hex}
        if kind == "Output" and order["status"] not in INVOICEABLE:
            raise ApiError(
                400, "Order status should be ready-for-handling or handling to be invoiced", "OMS003"
            )
        if kind == "Input" and order["status"] != "invoiced":
            raise ApiError(400, "A return invoice needs an invoiced order", "OMS003")
        lines = body.get("items")
        if not isinstance(lines, list) or not lines:
            raise ApiError(400, "items is required")
        ordered = {i["id"]: (index, i) for index, i in enumerate(order["items"])}
        invoiced_qty = self._invoiced_quantities(order, kind)
        package_items = []
        for n, line in enumerate(lines):
            if not isinstance(line, dict) or str(line.get("id")) not in ordered:
                raise ApiError(
                    400,
                    f"items[{n}]: item {line.get('id') if isinstance(line, dict) else line!r} is not in the order",
                )
            index, item = ordered[str(line["id"])]
            quantity = strict_int(line.get("quantity"), f"items[{n}].quantity", 1)
            price = strict_int(line.get("price"), f"items[{n}].price (cents)", 0)
            if invoiced_qty.get(item["id"], 0) + quantity > item["quantity"]:
                raise ApiError(400, f"items[{n}]: more units of item {item['id']} than ordered")
            invoiced_qty[item["id"]] = invoiced_qty.get(item["id"], 0) + quantity
            package_items.append(
                {
                    "itemIndex": index,
                    "quantity": quantity,
                    "price": price,
                    "description": line.get("description"),
                    "unitMultiplier": 1.0,
                }
            )
        package = {
            "type": kind,
            "invoiceNumber": number,
            "invoiceValue": value,
            "invoiceUrl": body.get("invoiceUrl"),
            "issuanceDate": vtex_time(issued),
            "invoiceKey": body.get("invoiceKey"),
            "embeddedInvoice": body.get("embeddedInvoice"),
            "courier": body.get("courier"),
            "trackingNumber": body.get("trackingNumber"),
            "trackingUrl": body.get("trackingUrl"),
            "dispatchedDate": body.get("dispatchedDate"),
            "items": package_items,
            "restitutions": {},
            "volumes": None,
            "cfop": None,
            "courierStatus": None,
        }
        packages.append(package)
        if kind == "Output":
            for pi in package_items:
                item = order["items"][pi["itemIndex"]]
                for delivery in order["shippingData"]["logisticsInfo"][pi["itemIndex"]]["deliveryIds"]:
                    self._consume(int(item["id"]), delivery["warehouseId"], pi["quantity"])
            complete = all(invoiced_qty.get(i["id"], 0) >= i["quantity"] for i in order["items"])
            if complete and order["status"] != "invoiced":
                if order["status"] == "ready-for-handling":
                    self._move(order, "handling")
                self._move(order, "invoice")
                order["invoicedDate"] = vtex_time()
                self._move(order, "invoiced")
            self.listener.marketplace_callback(
                self, order, "invoice", self._marketplace_invoice(package, order)
            )
        return {"date": vtex_time(), "orderId": order_id, "receipt": uuid.uuid4().hex}

    @staticmethod
    def _invoiced_quantities(order: dict[str, Any], kind: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for package in order["packageAttachment"]["packages"]:
            if package["type"] != kind:
                continue
            for pi in package["items"]:
                item_id = order["items"][pi["itemIndex"]]["id"]
                out[item_id] = out.get(item_id, 0) + pi["quantity"]
        return out

    @staticmethod
    def _marketplace_invoice(package: dict[str, Any], order: dict[str, Any]) -> dict[str, Any]:
        """What VTEX posts to the marketplace's `{endpoint}/pvt/orders/{marketplaceOrderId}/invoice`."""
        return {
            "type": package["type"],
            "invoiceNumber": package["invoiceNumber"],
            "invoiceValue": package["invoiceValue"],
            "issuanceDate": package["issuanceDate"],
            "invoiceKey": package["invoiceKey"],
            "invoiceUrl": package["invoiceUrl"],
            "embeddedInvoice": package["embeddedInvoice"],
            "courier": package["courier"],
            "trackingNumber": package["trackingNumber"],
            "trackingUrl": package["trackingUrl"],
            "dispatchedDate": package["dispatchedDate"],
            "items": [
                {
                    "id": order["items"][pi["itemIndex"]]["id"],
                    "quantity": pi["quantity"],
                    "price": pi["price"],
                }
                for pi in package["items"]
            ],
        }

    def replace_invoice(self, order_id: str, body: dict[str, Any]) -> str:
        """Swaps the NF-e of the order's latest sale invoice for a new one (number, key, value, XML) and
        posts the invoice to the marketplace again; returns the number replaced."""
        order = self.order(order_id)
        package = next(
            (p for p in reversed(order["packageAttachment"]["packages"]) if p["type"] == "Output"), None
        )
        if package is None:
            raise ApiError(404, f"Order {order_id} has no sale invoice to replace")
        replaced = package["invoiceNumber"]
        package.update(
            invoiceNumber=str(body["invoiceNumber"]),
            invoiceValue=int(body["invoiceValue"]),
            invoiceKey=body.get("invoiceKey"),
            invoiceUrl=body.get("invoiceUrl"),
            embeddedInvoice=body.get("embeddedInvoice"),
            issuanceDate=vtex_time(parse_time(body.get("issuanceDate"), "issuanceDate")),
        )
        order["lastChange"] = vtex_time()
        self.listener.marketplace_callback(self, order, "invoice", self._marketplace_invoice(package, order))
        return replaced

    def update_tracking(self, order_id: str, number: str, body: Any) -> dict[str, Any]:
        order = self.order(order_id)
        package = next(
            (p for p in order["packageAttachment"]["packages"] if p["invoiceNumber"] == number), None
        )
        if package is None:
            raise ApiError(404, f"Invoice {number} not found in order {order_id}")
        if not isinstance(body, dict):
            raise ApiError(400, "the body must be a JSON object")
        for name in ("trackingNumber", "trackingUrl", "courier", "dispatchedDate"):
            if body.get(name) is not None:
                package[name] = body[name]
        order["lastChange"] = vtex_time()
        order["shippingData"]["trackingHints"] = [
            {"trackingId": p["trackingNumber"], "courierName": p["courier"], "trackingUrl": p["trackingUrl"]}
            for p in order["packageAttachment"]["packages"]
            if p.get("trackingNumber")
        ]
        self.listener.marketplace_callback(self, order, "invoice", self._marketplace_invoice(package, order))
        return {"date": vtex_time(), "orderId": order_id, "receipt": uuid.uuid4().hex}


router = Router()


@router.api("POST", "/api/oms/pvt/orders/{order_id}/invoice", "oms", ORDER_INVOICE)
async def invoice(ctx: Ctx) -> Response:
    resources = ctx.app_key.resources if ctx.app_key else None
    return JSON(ctx.account.invoice(ctx.path["order_id"], ctx.body, resources))


@router.api("PATCH", "/api/oms/pvt/orders/{order_id}/invoice/{invoice_number}", "oms", ORDER_INVOICE)
async def tracking(ctx: Ctx) -> Response:
    return JSON(ctx.account.update_tracking(ctx.path["order_id"], ctx.path["invoice_number"], ctx.body))
