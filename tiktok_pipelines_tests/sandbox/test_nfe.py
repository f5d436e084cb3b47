"""NF-e invoices the emulator's ERP issues for orders: well-formed, authorized, and matching the order."""

import base64
import hashlib
import time
from decimal import Decimal

import pytest
from lxml import etree

from tiktok_pipelines.core.money import from_cents
from tiktok_pipelines.core.nfe import is_valid_access_key, is_valid_cnpj
from tiktok_pipelines.vtex.client import MarketplaceOrder
from tiktok_pipelines_tests.vtex.test_client import in_stock, order_for

NS = {"n": "http://www.portalfiscal.inf.br/nfe", "ds": "http://www.w3.org/2000/09/xmldsig#"}


def money(node, path) -> Decimal:
    return Decimal(node.findtext(path, namespaces=NS))


@pytest.fixture
def invoiced(vtex_api, vtex_control, sandbox, recorder):
    """An order of two SKUs (one of them twice) with freight, to Rio de Janeiro, placed, authorized and
    invoiced by the sandbox ERP."""
    skus = in_stock(sandbox.demo_catalog)[:2]
    order = order_for(vtex_api, "NFE-1", [(skus[0], 2), (skus[1], 1)], shipping=2345)
    order = MarketplaceOrder(**{**order.__dict__, "marketplace_services_endpoint": recorder.url + "/mkp"})
    placed = vtex_api.place_order(order)
    vtex_api.authorize_dispatch(placed.order_id, "NFE-1")
    result = vtex_control.invoice(placed.order_id)
    return order, placed.order_id, result


def test_the_invoice_is_an_authorized_nfe_matching_the_order(invoiced, vtex_api, vtex_control, recorder):
    order, order_id, result = invoiced
    key = result["invoiceKey"]
    xml = vtex_control.invoice_xml(key)
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = etree.fromstring(xml)
    assert root.tag == "{http://www.portalfiscal.inf.br/nfe}nfeProc" and root.get("versao") == "4.00"
    inf = root.find("n:NFe/n:infNFe", NS)
    assert inf.get("Id") == f"NFe{key}" and is_valid_access_key(key)
    assert inf.findtext("n:ide/n:cDV", namespaces=NS) == key[-1]
    assert inf.findtext("n:ide/n:nNF", namespaces=NS) == result["invoiceNumber"]
    assert inf.findtext("n:ide/n:mod", namespaces=NS) == "55"
    assert root.findtext("n:protNFe/n:infProt/n:chNFe", namespaces=NS) == key
    assert root.findtext("n:protNFe/n:infProt/n:cStat", namespaces=NS) == "100"

    emitter = inf.findtext("n:emit/n:CNPJ", namespaces=NS)
    assert is_valid_cnpj(emitter) and key[6:20] == emitter
    assert "Comércio" in inf.findtext("n:emit/n:xNome", namespaces=NS)  # UTF-8 kept
    assert inf.findtext("n:dest/n:CPF", namespaces=NS) == order.customer.document
    assert inf.findtext("n:dest/n:enderDest/n:UF", namespaces=NS) == "RJ"

    dets = inf.findall("n:det", NS)
    assert [d.findtext("n:prod/n:cEAN", namespaces=NS) for d in dets] == [
        vtex_api.sku(i.vtex_sku_id)["AlternateIds"]["Ean"] for i in order.items
    ]
    assert all(d.findtext("n:prod/n:CFOP", namespaces=NS) == "6108" for d in dets)  # SP to RJ
    items_total = from_cents(sum(i.price_cents * i.quantity for i in order.items))
    totals = inf.find("n:total/n:ICMSTot", NS)
    assert sum(money(d, "n:prod/n:vProd") for d in dets) == money(totals, "n:vProd") == items_total
    assert sum(money(d, "n:prod/n:vFrete") for d in dets) == money(totals, "n:vFrete") == Decimal("23.45")
    assert money(totals, "n:vNF") == from_cents(order.value_cents)
    assert sum(money(d, "n:imposto/n:ICMS/n:ICMS00/n:vICMS") for d in dets) == money(totals, "n:vICMS")

    digest = base64.b64encode(hashlib.sha1(etree.tostring(inf, method="c14n")).digest()).decode()
    assert (
        root.findtext("n:NFe/ds:Signature/ds:SignedInfo/ds:Reference/ds:DigestValue", namespaces=NS) == digest
    )
    assert root.findtext("n:protNFe/n:infProt/n:digVal", namespaces=NS) == digest

    full = vtex_api.order(order_id)
    assert full["status"] == "invoiced"
    (package,) = full["packageAttachment"]["packages"]
    assert package["invoiceKey"] == key and package["embeddedInvoice"].encode() == xml
    assert package["invoiceValue"] == order.value_cents and package["trackingNumber"]
    assert recorder.wait_for(lambda reqs: any(r["path"] == "/mkp/pvt/orders/NFE-1/invoice" for r in reqs))
    callback = next(r["json"] for r in recorder.requests if r["path"] == "/mkp/pvt/orders/NFE-1/invoice")
    assert callback["invoiceKey"] == key and callback["invoiceValue"] == order.value_cents


@pytest.mark.parametrize("broken", ["malformed", "bad_check_digit", "wrong_total", "no_protocol"])
def test_deliberately_broken_invoices(broken, vtex_api, vtex_control, sandbox):
    sku = in_stock(sandbox.demo_catalog)[0]
    order = order_for(vtex_api, f"BROKEN-{broken}", [(sku, 1)])
    placed = vtex_api.place_order(order)
    vtex_api.authorize_dispatch(placed.order_id, order.marketplace_order_id)
    result = vtex_control.invoice(placed.order_id, broken=broken)
    xml = vtex_control.invoice_xml(result["invoiceKey"])
    if broken == "malformed":
        with pytest.raises(etree.XMLSyntaxError):
            etree.fromstring(xml)
        return
    root = etree.fromstring(xml)
    key = root.find("n:NFe/n:infNFe", NS).get("Id").removeprefix("NFe")
    assert is_valid_access_key(key) == (broken != "bad_check_digit")
    declared = money(root, "n:NFe/n:infNFe/n:total/n:ICMSTot/n:vNF")
    assert (declared == from_cents(order.value_cents)) == (broken != "wrong_total")
    assert (root.find("n:protNFe", NS) is None) == (broken == "no_protocol")


def test_an_order_is_invoiced_only_once_it_may_be_handled(vtex_api, vtex_control, sandbox):
    sku = in_stock(sandbox.demo_catalog)[0]
    placed = vtex_api.place_order(order_for(vtex_api, "EARLY-1", [(sku, 1)]))
    with pytest.raises(RuntimeError, match="409"):
        vtex_control.invoice(placed.order_id)  # still waiting for the marketplace's authorization


def test_a_refused_nfe_is_replaced_by_the_erp_and_posted_again(vtex_api, vtex_control, sandbox, recorder):
    sku = in_stock(sandbox.demo_catalog)[0]
    order = order_for(vtex_api, "FIX-1", [(sku, 1)])
    order = MarketplaceOrder(**{**order.__dict__, "marketplace_services_endpoint": recorder.url + "/mkp"})
    placed = vtex_api.place_order(order)
    vtex_api.authorize_dispatch(placed.order_id, "FIX-1")
    first = vtex_control.invoice(placed.order_id, broken="no_protocol", tracking=False)
    fixed = vtex_control.correct_invoice(placed.order_id)
    assert fixed["replaced"] == first["invoiceNumber"]
    (package,) = vtex_api.order(placed.order_id)["packageAttachment"]["packages"]
    assert package["invoiceNumber"] == fixed["invoiceNumber"] != first["invoiceNumber"]
    assert package["invoiceKey"] == fixed["invoiceKey"] != first["invoiceKey"]
    root = etree.fromstring(package["embeddedInvoice"].encode())
    assert root.find("n:protNFe", NS) is not None
    assert recorder.wait_for(
        lambda reqs: (
            [r["json"]["invoiceKey"] for r in reqs if r["path"] == "/mkp/pvt/orders/FIX-1/invoice"]
            == [first["invoiceKey"], fixed["invoiceKey"]]
        )
    )


def test_the_demo_erp_invoices_orders_by_itself(vtex_api, vtex_control, sandbox):
    vtex_control.auto_invoice(0, broken_share=1.0, correct_seconds=0.05)
    sku = in_stock(sandbox.demo_catalog)[0]
    placed = vtex_api.place_order(order_for(vtex_api, "AUTO-1", [(sku, 1)]))
    vtex_api.authorize_dispatch(placed.order_id, "AUTO-1")
    assert vtex_api.order(placed.order_id)["status"] == "invoiced"
    (package,) = vtex_api.order(placed.order_id)["packageAttachment"]["packages"]
    broken_key = package["invoiceKey"]
    assert package["trackingNumber"] is None  # TikTok's carrier brings the tracking
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        (package,) = vtex_api.order(placed.order_id)["packageAttachment"]["packages"]
        if package["invoiceKey"] != broken_key:
            break
        time.sleep(0.02)
    assert package["invoiceKey"] != broken_key  # corrected by the ERP
    vtex_control.auto_invoice(None)
    assert vtex_control.configure()["auto_invoice"] == {}
