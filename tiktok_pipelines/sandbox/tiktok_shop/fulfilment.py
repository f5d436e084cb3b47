"""Fulfillment API: packages (search, detail, ship with the platform's carrier or the seller's, a
Brazilian package only once its NF-e is accepted), tracking, and NF-e invoice upload, whose verdict
(checked as TikTok and SEFAZ would: XML, protocol, access key, totals, buyer, duplicates) arrives as
webhook 36 after `invoice_review_s` (reference §3)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import threading
import xml.etree.ElementTree as ET
from typing import Any

from tiktok_pipelines.core.nfe import is_valid_access_key
from tiktok_pipelines.sandbox.tiktok_shop.answers import package_summary, without_absent
from tiktok_pipelines.sandbox.tiktok_shop.context import Ctx, json_body, matching, paginate, sort_items
from tiktok_pipelines.sandbox.tiktok_shop.request_checks import ApiError
from tiktok_pipelines.sandbox.tiktok_shop.routing import ApiRoute
from tiktok_pipelines.sandbox.tiktok_shop.state import Shop, parse_money, unix_now

NFE_NS = "http://www.portalfiscal.inf.br/nfe"


class FulfilmentMixin:
    """The invoices of `TikTokShopEmulator`'s packages and their verdicts."""

    def set_invoice_outcome(
        self, package_id: str, status: str, reason: str | None = None, seq: int | None = None
    ) -> dict[str, Any]:
        """Decides an uploaded invoice (SUCCESS / FAILED / INVALID) and sends INVOICE_STATUS_CHANGE (36).
        With `seq`, only if that upload is still the package's latest (a re-upload replaces it)."""
        with self.lock:
            for shop in self.shops.values():
                invoice = shop.invoices.get(package_id)
                if invoice is not None:
                    if seq is not None and invoice["seq"] != seq:
                        return invoice
                    invoice.update(invoice_status=status, invalid_reason=reason, update_time=unix_now())
                    self.emit(
                        shop,
                        "INVOICE_STATUS_CHANGE",
                        {
                            "package_id": package_id,
                            "order_ids": invoice["order_ids"],
                            "invoice_status": status,
                            "invalid_reason": reason,
                        },
                    )
                    return invoice
        raise KeyError(package_id)

    def accept_invoice(
        self, shop: Shop, package_id: str, order_ids: list[str], content: bytes
    ) -> dict[str, Any]:
        """Stores an upload (PROCESSING) and has `invoice_processor` decide its verdict after
        `invoice_review_s`."""
        record = {
            "package_id": package_id,
            "order_ids": order_ids,
            "invoice_status": "PROCESSING",
            "invalid_reason": None,
            "size_bytes": len(content),
            "xml": content,
            "sha256": hashlib.sha256(content).hexdigest(),
            "seq": next(self._invoice_seq),
            "upload_time": unix_now(),
            "update_time": unix_now(),
        }
        shop.invoices[package_id] = record
        shop.invoice_uploads.append({k: v for k, v in record.items() if k != "xml"})
        processor = self.invoice_processor
        if processor is None:
            return record

        def decide(seq: int = record["seq"]) -> None:
            with self.lock:
                current = shop.invoices.get(package_id)
                if current is None or current["seq"] != seq:
                    return
                verdict = processor(shop, current)
            if verdict is not None:
                self.set_invoice_outcome(package_id, verdict[0], verdict[1], seq=seq)

        if self.config.invoice_review_s <= 0:
            decide()
        else:
            timer = threading.Timer(self.config.invoice_review_s, decide)
            timer.daemon = True
            timer.start()
        return record

    def refuse_invoice(
        self, shop: Shop, package_id: str, order_ids: list[str], content: bytes, reason: str
    ) -> None:
        """An upload refused at once: logged, the package's invoice left as it was, and an INVALID webhook
        36 sent, as the seed's sequence shows for an upload error."""
        shop.invoice_uploads.append(
            {
                "package_id": package_id,
                "order_ids": order_ids,
                "invoice_status": "INVALID",
                "invalid_reason": reason,
                "size_bytes": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
                "upload_time": unix_now(),
            }
        )
        self.emit(
            shop,
            "INVOICE_STATUS_CHANGE",
            {
                "package_id": package_id,
                "order_ids": order_ids,
                "invoice_status": "INVALID",
                "invalid_reason": reason,
            },
        )

    def review_invoice(self, shop: Shop, invoice: dict[str, Any]) -> tuple[str, str | None]:
        """TikTok's (and SEFAZ's) verdict on an accepted NF-e: INVALID with a reason, or SUCCESS."""
        try:
            root = ET.fromstring(invoice["xml"])
        except ET.ParseError:
            return "INVALID", "INVALID_XML"
        ns = {"n": NFE_NS}
        inf = root.find(".//n:infNFe", ns)
        prot = root.find("n:protNFe/n:infProt", ns)
        if inf is None:
            return "INVALID", "INVALID_XML"
        if prot is None or (prot.findtext("n:cStat", "", ns) or "").strip() not in ("100", "150"):
            return "INVALID", "NOT_AUTHORIZED"
        key = (inf.get("Id") or "").removeprefix("NFe")
        if not is_valid_access_key(key) or (prot.findtext("n:chNFe", "", ns) or "").strip() != key:
            return "INVALID", "INVALID_ACCESS_KEY"
        tot = inf.find("n:total/n:ICMSTot", ns)

        def cents(tag: str) -> int:
            text = tot.findtext(f"n:{tag}", "0", ns) if tot is not None else "0"
            return int((parse_money(text or "0") * 100).to_integral_value())

        parts = sum(cents(t) for t in ("vProd", "vST", "vFCPST", "vFrete", "vSeg", "vOutro", "vII", "vIPI"))
        if tot is None or cents("vNF") not in (
            parts - cents("vDesc"),
            parts - cents("vDesc") - cents("vICMSDeson"),
        ):
            return "INVALID", "TOTAL_MISMATCH"
        buyer = re.sub(
            r"\D", "", inf.findtext("n:dest/n:CPF", "", ns) or inf.findtext("n:dest/n:CNPJ", "", ns)
        )
        for order_id in invoice["order_ids"]:
            order = shop.orders.get(order_id) or {}
            if order.get("cpf") and re.sub(r"\D", "", order["cpf"]) != buyer:
                return "INVALID", "BUYER_MISMATCH"
        for other in shop.invoices.values():
            if (
                other["package_id"] != invoice["package_id"]
                and other["invoice_status"] == "SUCCESS"
                and other.get("access_key") == key
            ):
                return "INVALID", "DUPLICATE_INVOICE"
        invoice["access_key"] = key
        return "SUCCESS", None


def h_search_packages(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    body = json_body(ctx)
    packages = matching(list(ctx.shop.packages.values()), body, {"package_status": "package_status"})
    page = paginate(ctx, sort_items(ctx, packages), "packages", 1, 50)
    page["packages"] = [package_summary(p) for p in page["packages"]]
    return page


def _package(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    package = ctx.shop.packages.get(ctx.params["package_id"])
    if package is None:
        raise ApiError(21011001, f"package {ctx.params['package_id']} not found")
    return package


def h_get_package(ctx: Ctx) -> dict[str, Any]:
    return without_absent(_package(ctx))


def h_ship_package(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    emu, shop = ctx.emulator, ctx.shop
    package = _package(ctx)
    body = json_body(ctx)
    if package["package_status"] != "TO_FULFILL":
        raise ApiError(
            21011002, f"package {package['package_id']} is {package['package_status']}, not TO_FULFILL"
        )
    invoice = shop.invoices.get(package["package_id"])
    if (
        emu.config.require_invoice_to_ship
        and shop.region == "BR"
        and (invoice or {}).get("invoice_status") != "SUCCESS"
    ):
        raise ApiError(
            21011004,
            f"package {package['package_id']} needs an accepted NF-e (invoice upload) before it ships",
        )
    self_shipment = body.get("self_shipment")
    handover = body.get("handover_method")
    if self_shipment:
        if not self_shipment.get("tracking_number") or not self_shipment.get("shipping_provider_id"):
            raise ApiError(
                36009004, "invalid param error: self_shipment needs tracking_number and shipping_provider_id"
            )
        tracking, provider_id, provider = (
            self_shipment["tracking_number"],
            self_shipment["shipping_provider_id"],
            "Transportadora do vendedor",
        )
    elif handover in ("PICKUP", "DROP_OFF"):
        tracking = "BR" + str(emu.rng.randrange(10**11, 10**12)) + "TT"
        provider_id, provider = "7117858858072016686", "J&T Express Brasil"
    else:
        raise ApiError(
            36009004, "invalid param error: handover_method PICKUP|DROP_OFF or self_shipment is required"
        )
    now = unix_now()
    package.update(
        package_status="PROCESSING",
        tracking_number=tracking,
        shipping_provider_id=provider_id,
        shipping_provider_name=provider,
        handover_method=handover or "SELF_SHIPMENT",
        update_time=now,
    )
    for ref in package["orders"]:
        order = shop.orders[ref["id"]]
        order.update(tracking_number=tracking, shipping_provider=provider, shipping_provider_id=provider_id)
        for li in order["line_items"]:
            li.update(tracking_number=tracking, shipping_provider_name=provider, package_status="PROCESSING")
        shop.tracking[order["id"]].append(
            {"description": "Pedido enviado ao transportador", "update_time_millis": now * 1000}
        )
        emu.emit(
            shop,
            "PACKAGE_UPDATE",
            {
                "sc_type": "ONLINE",
                "role_type": "SELLER",
                "package_list": [{"package_id": package["package_id"], "order_id": order["id"]}],
                "update_time": now,
            },
        )
        if order["status"] == "AWAITING_SHIPMENT":
            emu.set_order_status(order["id"], "AWAITING_COLLECTION")
    return {}


def h_tracking(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    order_id = ctx.params["order_id"]
    if order_id not in ctx.shop.orders:
        raise ApiError(21011003, f"order {order_id} not found")
    return {"tracking": list(reversed(ctx.shop.tracking.get(order_id, [])))}


def h_upload_invoice(ctx: Ctx) -> dict[str, Any]:
    """Invoice upload (Brazil): refusals known at once come back per item in `errors` with the seed's
    codes (4001 invalid XML, 4002 unknown package, 4003 order ids not the package's); an accepted invoice
    is PROCESSING and its verdict arrives as webhook 36. An invalid XML also gets an INVALID webhook, as
    the seed's sequence shows."""
    assert ctx.shop
    emu, shop = ctx.emulator, ctx.shop
    invoices = json_body(ctx).get("invoices")
    if not isinstance(invoices, list) or not invoices:
        raise ApiError(36009004, "invalid param error: invoices is required")
    if len(invoices) > 50:
        raise ApiError(36009004, "invalid param error: at most 50 invoices")
    errors = []
    for inv in invoices:
        package_id = str(inv.get("package_id") or "")
        order_ids = [str(o) for o in inv.get("order_ids") or []]
        detail = {"order_ids": order_ids, "package_id": package_id}

        def refuse(code: int, message: str, detail=detail) -> None:
            errors.append({"code": code, "message": message, "detail": detail})

        package = shop.packages.get(package_id)
        if package is None:
            refuse(4002, "Package ID not found")
            continue
        if not order_ids or set(order_ids) != {o["id"] for o in package["orders"]}:
            refuse(4003, "Order ID does not belong to the package")
            continue
        if inv.get("file_type") != "XML":
            refuse(36009004, "invalid param error: file_type must be XML")
            continue
        try:
            content = base64.b64decode(str(inv.get("file") or ""), validate=True)
        except (binascii.Error, ValueError):
            refuse(36009004, "invalid param error: file is not base64")
            continue
        if len(str(inv.get("file") or "")) > 1024 * 1024:
            refuse(36009021, "file too large: at most 1 MB")
            continue
        try:
            root = ET.fromstring(content)
        except ET.ParseError:
            refuse(4001, "Invalid XML format")
            emu.refuse_invoice(shop, package_id, order_ids, content, "INVALID_XML")
            continue
        if not any(el.tag.endswith("infNFe") for el in root.iter()):
            refuse(4001, "Invalid XML format: not an NF-e (no infNFe)")
            emu.refuse_invoice(shop, package_id, order_ids, content, "NOT_AN_NFE")
            continue
        emu.accept_invoice(shop, package_id, order_ids, content)
    return {"errors": errors}


ROUTES: tuple[ApiRoute, ...] = (
    ApiRoute("POST", "/fulfillment/202309/packages/search", h_search_packages),
    ApiRoute("GET", "/fulfillment/202309/packages/{package_id}", h_get_package),
    ApiRoute("POST", "/fulfillment/202309/packages/{package_id}/ship", h_ship_package),
    ApiRoute("GET", "/fulfillment/202309/orders/{order_id}/tracking", h_tracking),
    ApiRoute("POST", "/fulfillment/202502/invoice/upload", h_upload_invoice),
)
