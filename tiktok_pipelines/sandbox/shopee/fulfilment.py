"""Brazil's NF-e and shipping (reference §6 statuses; endpoint shapes of the platform's `v2.order` and
`v2.logistics` families).

Invoices: an order in INVOICE_PENDING gets its NF-e, either as the XML file (`upload_invoice_doc`,
form-data `order_sn`, `file_type`, `file`) or as its data (`add_invoice_data`). The emulator checks what
it would take to be that order's NF-e: well-formed XML with `NFe` and an authorized `protNFe`, a valid
44-digit access key that the protocol repeats, the buyer's CPF, the order's total; then the order is
READY_TO_SHIP. The XML file type number (4) is UNCONFIRMED, and so are these refusals' wordings.

Shipping: `get_shipping_parameter` says what `ship_order` needs for the order's channel (a pickup address
and slot for an integrated carrier, the seller's tracking number for seller logistics); `ship_order` on a
READY_TO_SHIP order makes it PROCESSED with a tracking number (`get_tracking_number`); the shipping
document is created, reported ready (pushed as code 15, its status READY) and downloaded as a PDF."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from starlette.responses import Response

from tiktok_pipelines.core.nfe import is_valid_access_key
from tiktok_pipelines.sandbox.shopee.context import Ctx, Endpoints, need
from tiktok_pipelines.sandbox.shopee.errors import ApiError, param_error
from tiktok_pipelines.sandbox.shopee.logistics import CHANNELS
from tiktok_pipelines.sandbox.shopee.state import Shop, unix_now

NFE_NS = "http://www.portalfiscal.inf.br/nfe"
XML_FILE_TYPE = 4  # UNCONFIRMED
MAX_INVOICE_BYTES = 1024 * 1024
PICKUP_ADDRESS_ID = 2001
MSG_NOT_READY = "The order status is not ready to ship."


def _order(ctx: Ctx, order_sn: Any) -> dict[str, Any]:
    assert ctx.shop is not None
    order = ctx.shop.orders.get(str(order_sn))
    if order is None:
        raise ApiError("error_not_found", f"Wrong parameters, detail: order_sn {order_sn} not found.")
    return order


def check_nfe(order: dict[str, Any], xml: bytes) -> dict[str, Any]:
    """The NF-e's fields when `xml` is an authorized NF-e of `order`; else the refusal saying why."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise param_error(f"the invoice is not well-formed XML ({exc})") from None
    ns = {"n": NFE_NS}
    inf = root.find(".//n:infNFe", ns)
    prot = root.find(".//n:protNFe/n:infProt", ns)
    if inf is None:
        raise param_error("the invoice has no NFe/infNFe")
    if prot is None or (prot.findtext("n:cStat", "", ns) or "").strip() not in ("100", "150"):
        raise param_error("the invoice is not authorized (protNFe cStat 100)")
    key = (inf.get("Id") or "").removeprefix("NFe")
    if not is_valid_access_key(key) or (prot.findtext("n:chNFe", "", ns) or "").strip() != key:
        raise param_error("the invoice's access key is invalid")
    buyer = re.sub(r"\D", "", inf.findtext("n:dest/n:CPF", "", ns) or inf.findtext("n:dest/n:CNPJ", "", ns))
    if buyer != order["buyer_cpf_id"]:
        raise param_error("the invoice's recipient is not the order's buyer")
    total = inf.findtext("n:total/n:ICMSTot/n:vNF", "", ns) or ""
    try:
        cents = round(float(total) * 100)
    except ValueError:
        raise param_error("the invoice has no total (vNF)") from None
    if cents != round(order["total_amount"] * 100):
        raise param_error(f"the invoice's total {total} is not the order's {order['total_amount']:.2f}")
    ide = inf.find("n:ide", ns)
    return {
        "number": ide.findtext("n:nNF", "", ns) if ide is not None else "",
        "series_number": ide.findtext("n:serie", "", ns) if ide is not None else "",
        "access_key": key,
        "issue_date": ide.findtext("n:dhEmi", "", ns) if ide is not None else "",
        "total_value": cents / 100,
    }


class FulfilmentMixin:
    def accept_invoice(
        self, shop: Shop, order: dict[str, Any], data: dict[str, Any], xml: bytes | None
    ) -> None:
        if order["order_status"] != "INVOICE_PENDING":
            raise ApiError("error_param", "Wrong parameters, detail: the order is not INVOICE_PENDING.")
        for other_sn, other in shop.invoices.items():
            if other_sn != order["order_sn"] and other["data"]["access_key"] == data["access_key"]:
                raise param_error("the access key belongs to another order's invoice")
        shop.invoices[order["order_sn"]] = {"data": data, "xml": xml, "uploaded_at": unix_now()}
        order["invoice_data"] = data
        self.set_order_status(order["order_sn"], "READY_TO_SHIP")

    def channel_of(self, shop: Shop, order: dict[str, Any]) -> tuple[int, str, bool]:
        """The order's logistics channel: the first enabled on its first item."""
        item = shop.items.get(order["item_list"][0]["item_id"]) if order["item_list"] else None
        enabled = [e["logistic_id"] for e in (item or {}).get("logistic_info", []) if e.get("enabled")]
        channel_id = enabled[0] if enabled else 90003
        _, name, integrated, _ = next(c for c in CHANNELS if c[0] == channel_id)
        return channel_id, name, integrated


endpoints = Endpoints()


@endpoints.post("order/upload_invoice_doc", multipart=True)
def h_upload_invoice_doc(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop is not None
    order = _order(ctx, ctx.form.get("order_sn") or "")
    if str(ctx.form.get("file_type", "")) != str(XML_FILE_TYPE):
        raise param_error(f"file_type must be {XML_FILE_TYPE} (XML) for an NF-e")
    upload = ctx.form.get("file")
    if not isinstance(upload, tuple) or not upload[0]:
        raise param_error("file is required")
    if len(upload[0]) > MAX_INVOICE_BYTES:
        raise param_error("the file is larger than 1 MB")
    ctx.emulator.accept_invoice(ctx.shop, order, check_nfe(order, upload[0]), upload[0])
    return {}


@endpoints.post("order/add_invoice_data")
def h_add_invoice_data(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop is not None
    body = ctx.json()
    order = _order(ctx, need(body, "order_sn", str))
    data = need(body, "invoice_data", dict)
    for key in ("number", "series_number", "access_key", "issue_date", "total_value"):
        need(data, key, (str, int, float))
    if not is_valid_access_key(str(data["access_key"])):
        raise param_error("invoice_data.access_key is invalid")
    if round(float(data["total_value"]) * 100) != round(order["total_amount"] * 100):
        raise param_error("invoice_data.total_value is not the order's total")
    ctx.emulator.accept_invoice(ctx.shop, order, dict(data), None)
    return {}


@endpoints.get("logistics/get_shipping_parameter")
def h_get_shipping_parameter(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop is not None
    order = _order(ctx, ctx.q("order_sn") or "")
    if order["order_status"] != "READY_TO_SHIP":
        raise ApiError("logistics.error_param", MSG_NOT_READY)
    _, _, integrated = ctx.emulator.channel_of(ctx.shop, order)
    if not integrated:
        return {"info_needed": {"non_integrated": ["tracking_number"]}}
    day = unix_now() + 86400
    return {
        "info_needed": {"pickup": ["address_id", "pickup_time_id"], "dropoff": []},
        "pickup": {
            "address_list": [
                {
                    "address_id": PICKUP_ADDRESS_ID,
                    "region": "BR",
                    "state": "SP",
                    "city": "São Paulo",
                    "district": "Centro",
                    "town": "",
                    "address": "Rua do Depósito, 10",
                    "zipcode": "01001-000",
                    "address_flag": ["default_address", "pickup_address"],
                    "time_slot_list": [
                        {"date": day, "time_text": "09:00-12:00", "pickup_time_id": str(day)},
                        {"date": day + 86400, "time_text": "09:00-12:00", "pickup_time_id": str(day + 86400)},
                    ],
                }
            ]
        },
        "dropoff": {"branch_list": [], "slug_list": []},
    }


@endpoints.post("logistics/ship_order")
def h_ship_order(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop is not None
    body = ctx.json()
    order = _order(ctx, need(body, "order_sn", str))
    if order["order_status"] != "READY_TO_SHIP":
        raise ApiError("logistics.error_param", MSG_NOT_READY)
    channel_id, name, integrated = ctx.emulator.channel_of(ctx.shop, order)
    if integrated:
        pickup = body.get("pickup") if isinstance(body.get("pickup"), dict) else None
        if (
            pickup is None
            or pickup.get("address_id") != PICKUP_ADDRESS_ID
            or not pickup.get("pickup_time_id")
        ):
            raise ApiError("logistics.error_param", "Pickup address or pickup time is invalid.")
        tracking = "BR" + "".join(str(ctx.emulator.rng.randrange(10)) for _ in range(13))
    else:
        given = body.get("non_integrated") if isinstance(body.get("non_integrated"), dict) else {}
        tracking = str(given.get("tracking_number") or "")
        if not tracking:
            raise ApiError("logistics.error_traceno_required", "Trace number is required.")
    order["tracking_number"] = tracking
    order["package_list"] = [
        {
            "package_number": f"OFG{order['order_sn']}",
            "logistics_status": "LOGISTICS_READY",
            "logistics_channel_id": channel_id,
            "shipping_carrier": name,
            "item_list": [
                {
                    "item_id": i["item_id"],
                    "model_id": i["model_id"],
                    "model_quantity": i["model_quantity_purchased"],
                }
                for i in order["item_list"]
            ],
        }
    ]
    order["shipping_carrier"] = name
    ctx.emulator.set_order_status(order["order_sn"], "PROCESSED")
    ctx.emulator.push(
        4,
        {"ordersn": order["order_sn"], "package_number": f"OFG{order['order_sn']}", "tracking_no": tracking},
        shop_id=ctx.shop.shop_id,
    )
    return {}


@endpoints.get("logistics/get_tracking_number")
def h_get_tracking_number(ctx: Ctx) -> dict[str, Any]:
    order = _order(ctx, ctx.q("order_sn") or "")
    tracking = order.get("tracking_number", "")
    return {
        "tracking_number": tracking,
        "plp_number": "",
        "first_mile_tracking_number": "",
        "last_mile_tracking_number": "",
        "hint": "" if tracking else "The tracking number is not ready: arrange shipment first.",
    }


def _document_orders(ctx: Ctx) -> list[str]:
    """The order_sn of a shipping-document call's `order_list` (1 to 50)."""
    entries = need(ctx.json(), "order_list", list)
    if not 1 <= len(entries) <= 50:
        raise ApiError("logistics.error_limit", "The batch request reach limit 50.")
    return [str(e.get("order_sn", "")) if isinstance(e, dict) else "" for e in entries]


def _per_order(ctx: Ctx, outcome: Any) -> dict[str, Any]:
    """`result_list`: per order_sn, its package and what `outcome(order_sn)` says (fields, or a refusal)."""
    results = []
    for sn in _document_orders(ctx):
        result = {"order_sn": sn, "package_number": f"OFG{sn}", "fail_error": "", "fail_message": ""}
        try:
            result |= outcome(sn)
        except ApiError as exc:
            result |= {"fail_error": exc.error, "fail_message": exc.message}
        results.append(result)
    return {"result_list": results}


@endpoints.post("logistics/create_shipping_document")
def h_create_shipping_document(ctx: Ctx) -> dict[str, Any]:
    shop = ctx.shop
    assert shop is not None

    def create(sn: str) -> dict[str, Any]:
        if not shop.orders.get(sn, {}).get("tracking_number"):
            raise ApiError(
                "logistics.error_status", "Operation is not supported with current logistics record status."
            )
        shop.documents[sn] = {"status": "READY", "created_at": unix_now()}
        ctx.emulator.push(
            15, {"ordersn": sn, "package_number": f"OFG{sn}", "status": "READY"}, shop_id=shop.shop_id
        )
        return {}

    return _per_order(ctx, create)


@endpoints.post("logistics/get_shipping_document_result")
def h_get_shipping_document_result(ctx: Ctx) -> dict[str, Any]:
    shop = ctx.shop
    assert shop is not None

    def status(sn: str) -> dict[str, Any]:
        if sn not in shop.documents:
            raise ApiError(
                "logistics.shipping_document_should_print_first", "Create the shipping document first."
            )
        return {"status": shop.documents[sn]["status"]}

    return _per_order(ctx, status)


@endpoints.post("logistics/download_shipping_document")
def h_download_shipping_document(ctx: Ctx) -> Response:
    assert ctx.shop is not None
    pages = []
    for sn in _document_orders(ctx):
        if sn not in ctx.shop.documents:
            raise ApiError(
                "logistics.shipping_document_should_print_first", "Create the shipping document first."
            )
        pages.append(f"Shopee {sn} {ctx.shop.orders[sn]['tracking_number']}")
    return Response(_pdf(pages), media_type="application/pdf")


def _pdf(lines: list[str]) -> bytes:
    """A one-page PDF with the labels' text (a real, parseable document)."""
    text = " ".join(f"({line}) Tj T*" for line in lines)
    stream = f"BT /F1 12 Tf 14 TL 40 800 Td {text} ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


ROUTES = endpoints.routes
