"""Shipments of Mercado Envios 2 (reference §7): one per purchase (a cart's orders share it), moved
ready_to_ship (ready_to_print, then printed once its label is) → shipped (a tracking number) →
delivered, or cancelled; read in the new format with `x-format-new: true` and in the legacy one
without; its items; and labels for up to 50 shipments ready to ship, as a real PDF (a page a label)
or ZPL II text."""

from __future__ import annotations

import time
from typing import Any

from starlette.responses import Response

from tiktok_pipelines.sandbox.mercado_livre.errors import bad_request, forbidden, not_found
from tiktok_pipelines.sandbox.mercado_livre.routes import Call, id_list, table
from tiktok_pipelines.sandbox.mercado_livre.state import Seller, iso

SHIPMENT_TRANSITIONS = {
    "pending": {"handling", "cancelled"},
    "handling": {"ready_to_ship", "cancelled"},
    "ready_to_ship": {"shipped", "cancelled"},
    "shipped": {"delivered", "not_delivered"},
    "not_delivered": {"delivered"},
    "delivered": set(),
    "cancelled": set(),
}


def _pdf_text(text: str) -> bytes:
    raw = text.encode("latin-1", "replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def label_pdf(labels: list[list[str]]) -> bytes:
    """A PDF of one 10 x 15 cm page per label, each line of the label a line of text."""
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    kids = []
    for lines in labels:
        stream = b"BT /F1 11 Tf 20 400 Td 14 TL " + b" ".join(
            b"(" + _pdf_text(line) + b") '" for line in lines
        )
        stream += b" ET"
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 283 425] /Resources << /Font << /F1 3 0 R >> >> "
            b"/Contents %d 0 R >>" % content
        )
        kids.append(len(objects))
    objects[1] = (
        b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids) + b"] /Count %d >>" % len(kids)
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def label_zpl(labels: list[list[str]]) -> bytes:
    """ZPL II: one `^XA ... ^XZ` block per label, a field per line and a barcode of the shipment id."""
    blocks = []
    for lines in labels:
        fields = "".join(f"^FO40,{40 + 40 * i}^A0N,30,30^FD{line}^FS" for i, line in enumerate(lines))
        blocks.append(f"^XA^CI28{fields}^FO40,{80 + 40 * len(lines)}^BCN,120,Y,N,N^FD{lines[0]}^FS^XZ")
    return "\n".join(blocks).encode("utf-8")


class ShipmentsMixin:
    """Shipments of `MercadoLivreEmulator`."""

    def new_shipment(
        self,
        shipment_id: int,
        seller: Seller,
        orders: list[dict],
        buyer: dict,
        address: str,
        place: tuple[str, str, str, str],
        now: float,
    ) -> dict[str, Any]:
        state, city, cep, street = place
        return {
            "id": shipment_id,
            "status": "ready_to_ship",
            "substatus": "ready_to_print",
            "mode": "me2",
            "logistic_type": "cross_docking",
            "tracking_number": None,
            "tracking_method": None,
            "order_ids": [o["id"] for o in orders],
            "order_cost": sum(o["total_amount"] for o in orders),
            "seller_id": seller.id,
            "buyer": buyer,
            "address": {
                "address_line": street,
                "street_name": street.rsplit(",", 1)[0],
                "street_number": street.rsplit(",", 1)[-1].strip(),
                "zip_code": cep.replace("-", ""),
                "city": {"name": city},
                "state": {"id": f"BR-{state}", "name": state},
                "country": {"id": "BR", "name": "Brasil"},
                "full": address,
            },
            "date_created": iso(now),
            "last_updated": iso(now),
            "status_history": {
                "date_ready_to_ship": iso(now),
                "date_shipped": None,
                "date_delivered": None,
                "date_cancelled": None,
            },
        }

    def shipment_of(self, shipment_id: int) -> tuple[Seller, dict[str, Any]]:
        for seller in self.sellers.values():
            if shipment_id in seller.shipments:
                return seller, seller.shipments[shipment_id]
        raise KeyError(shipment_id)

    def set_shipment_status(self, shipment_id: int, status: str) -> dict[str, Any]:
        """Moves a shipment one allowed step (the carrier, the buyer); tells `shipments` and, when the
        orders' tags change, `orders_v2`."""
        with self.lock:
            seller, shipment = self.shipment_of(shipment_id)
            if status == shipment["status"]:
                return shipment
            if status not in SHIPMENT_TRANSITIONS.get(shipment["status"], set()):
                raise ValueError(f"shipment {shipment_id} cannot go from {shipment['status']} to {status}")
            now = time.time()
            shipment.update(status=status, substatus=None, last_updated=iso(now))
            shipment["status_history"][f"date_{status}"] = iso(now)
            if status == "shipped":
                shipment["tracking_number"] = f"MEL{self.rng.randrange(10**11, 10**12)}FMLDOS01"
                shipment["tracking_method"] = "MEL Distribution"
            self.notify(seller, "shipments", f"/shipments/{shipment_id}")
            if status == "delivered":
                for order_id in shipment["order_ids"]:
                    order = seller.orders[order_id]
                    order["tags"] = [t for t in order["tags"] if t != "not_delivered"] + ["delivered"]
                    order["last_updated"] = iso(now)
                    self.notify_order(seller, order)
            return shipment


def shipment_view(shipment: dict[str, Any], new_format: bool) -> dict[str, Any]:
    common = {
        k: shipment[k]
        for k in (
            "id",
            "status",
            "substatus",
            "mode",
            "logistic_type",
            "tracking_number",
            "tracking_method",
            "date_created",
            "last_updated",
            "status_history",
        )
    }
    common["order_id"] = shipment["order_ids"][0]
    address = {k: v for k, v in shipment["address"].items() if k != "full"}
    buyer = shipment["buyer"]
    if not new_format:
        return common | {
            "receiver_id": buyer["id"],
            "sender_id": shipment["seller_id"],
            "receiver_address": address | {"receiver_name": buyer["nickname"]},
            "shipping_items": [{"id": o} for o in shipment["order_ids"]],
        }
    return common | {
        "order_cost": shipment["order_cost"],
        "origin": {"type": "selling_address", "sender_id": shipment["seller_id"]},
        "destination": {
            "type": "buyer_address",
            "receiver_id": buyer["id"],
            "receiver_name": buyer["nickname"],
            "shipping_address": address,
        },
        "lead_time": {
            "shipping_method": {"id": 182, "name": "Normal", "type": "standard"},
            "estimated_delivery_time": {"date": None},
        },
    }


def _own(call: Call, raw_id: str) -> dict[str, Any]:
    try:
        seller, shipment = call.emulator.shipment_of(int(raw_id))
    except (KeyError, ValueError):
        raise not_found(f"Shipment {raw_id} not found") from None
    if seller.id != call.me.id:
        raise forbidden(f"The shipment {raw_id} is not this seller's")
    return shipment


def h_shipment(call: Call) -> Any:
    new_format = call.headers.get("x-format-new", "").lower() == "true"
    return shipment_view(_own(call, call.params["shipment_id"]), new_format)


def h_shipment_items(call: Call) -> Any:
    shipment = _own(call, call.params["shipment_id"])
    return [
        {
            "item_id": line["item"]["id"],
            "variation_id": line["item"]["variation_id"],
            "order_id": order_id,
            "quantity": line["quantity"],
            "description": line["item"]["title"],
        }
        for order_id in shipment["order_ids"]
        for line in call.me.orders[order_id]["order_items"]
    ]


def h_labels(call: Call) -> Any:
    kind = call.query.get("response_type") or "pdf"
    if kind not in ("pdf", "zpl2"):
        raise bad_request(f"Invalid response_type {kind}: pdf or zpl2")
    shipments = [_own(call, raw) for raw in id_list(call, "shipment_ids", 50)]
    unready = [s["id"] for s in shipments if s["status"] != "ready_to_ship"]
    if unready:
        raise bad_request(f"The shipments {unready} are not ready to print", "not_printable")
    labels = []
    for s in shipments:
        labels.append(
            [
                str(s["id"]),
                s["buyer"]["nickname"],
                s["address"]["full"],
                f"Pedidos: {', '.join(str(o) for o in s['order_ids'])}",
                "Mercado Envios",
            ]
        )
        s["substatus"] = "printed"
    if kind == "pdf":
        return Response(label_pdf(labels), media_type="application/pdf")
    return Response(label_zpl(labels), media_type="text/plain")


ROUTES = table(
    {
        "GET /shipments/{shipment_id}": h_shipment,
        "GET /shipments/{shipment_id}/items": h_shipment_items,
        "GET /shipment_labels": h_labels,
    }
)
