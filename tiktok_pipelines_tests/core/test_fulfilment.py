from collections import Counter
from datetime import UTC, datetime

import pytest

from tiktok_pipelines.core.fulfilment import (
    INVALID_XML,
    MAX_UPLOAD_BYTES,
    Expectations,
    InvoiceRejected,
    check_nfe,
    encoded_size,
    latest_tracking_event,
    order_key,
    order_packages,
    pair_invoices,
    retry_delay_seconds,
)
from tiktok_pipelines.core.models.fulfilment import Invoice, TrackingEvent
from tiktok_pipelines.core.models.orders import Order, OrderLine, OrderState
from tiktok_pipelines.core.names import ChannelName
from tiktok_pipelines.core.nfe import cpf_with_check_digits
from tiktok_pipelines.core.sku_ids import SkuIdMap
from tiktok_pipelines.sandbox.nfe import Emitter, build_nfe

BUYER_CPF = cpf_with_check_digits("123456789")


def oms_order(items=((101, 2, 4990), (102, 1, 12000)), shipping=1490):
    return {
        "orderId": "TTS-576000000000000001",
        "marketplaceOrderId": "576000000000000001",
        "items": [
            {"id": str(sku), "name": f"Produto {sku}", "price": price, "sellingPrice": price, "quantity": qty}
            for sku, qty, price in items
        ],
        "totals": [{"id": "Shipping", "value": shipping}],
        "shippingData": {
            "address": {
                "state": "RJ",
                "city": "Rio de Janeiro",
                "street": "Avenida Atlântica",
                "number": "1702",
                "neighborhood": "Copacabana",
                "postalCode": "22021-001",
            }
        },
        "clientProfileData": {"document": BUYER_CPF, "firstName": "Ana", "lastName": "Souza"},
    }


def nfe(broken=None, order=None):
    return build_nfe(order or oms_order(), Emitter.for_account("demostore"), number=1001, broken=broken)


def test_an_authorized_nfe_of_the_order_passes_with_its_facts():
    document = nfe()
    order_value = 2 * 4990 + 12000 + 1490
    facts = check_nfe(
        document.xml,
        Expectations(
            invoice_key=document.access_key,
            value_cents=order_value,
            buyer_document=BUYER_CPF,
            issuer_cnpj=Emitter.for_account("demostore").cnpj,
        ),
    )
    assert facts.access_key == document.access_key
    assert facts.total_cents == order_value
    assert facts.buyer_document == BUYER_CPF
    assert facts.number == "1001" and facts.protocol == document.protocol


@pytest.mark.parametrize(
    ("broken", "check"),
    [
        ("malformed", "malformed"),
        ("bad_check_digit", "access_key"),
        ("wrong_total", "totals"),
        ("no_protocol", "no_protocol"),
    ],
)
def test_every_broken_variant_is_caught_with_its_own_check(broken, check):
    with pytest.raises(InvoiceRejected) as caught:
        check_nfe(nfe(broken).xml)
    assert caught.value.reason == INVALID_XML
    assert caught.value.check == check


def test_expectations_the_xml_must_meet():
    document = nfe()
    cases = {
        "key_mismatch": Expectations(invoice_key="3" * 44),
        "value_mismatch": Expectations(value_cents=document.value_cents + 1),
        "buyer_mismatch": Expectations(buyer_document=cpf_with_check_digits("987654321")),
        "issuer_mismatch": Expectations(issuer_cnpj="11222333000181"),
    }
    for check, expected in cases.items():
        with pytest.raises(InvoiceRejected) as caught:
            check_nfe(document.xml, expected)
        assert caught.value.check == check


def test_encoding_size_structure_and_entities():
    xml = nfe().xml
    latin = xml.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"', 1)
    with pytest.raises(InvoiceRejected, match="ISO-8859-1"):
        check_nfe(latin)
    with pytest.raises(InvoiceRejected) as caught:
        check_nfe(xml.replace("Atlântica".encode(), "Atlântica".encode("latin-1")))
    assert caught.value.check == "encoding"
    padded = xml.replace(b"</nfeProc>", b"<!--" + b"x" * MAX_UPLOAD_BYTES + b"--></nfeProc>")
    with pytest.raises(InvoiceRejected) as caught:
        check_nfe(padded)
    assert caught.value.check == "too_large"
    assert encoded_size(b"abc") == 4 and encoded_size(b"abcd") == 8
    with pytest.raises(InvoiceRejected) as caught:
        check_nfe(b'<?xml version="1.0" encoding="UTF-8"?><nota><x/></nota>')
    assert caught.value.check == "no_nfe"
    # An external entity is never resolved: the document is refused, nothing is read from disk.
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE n [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<nfeProc xmlns="http://www.portalfiscal.inf.br/nfe"><NFe><infNFe>&e;</infNFe></NFe></nfeProc>'
    )
    with pytest.raises(InvoiceRejected) as caught:
        check_nfe(xxe)
    assert "root:" not in caught.value.detail


def test_an_nfc_e_or_an_unauthorized_protocol_is_refused():
    xml = nfe().xml
    with pytest.raises(InvoiceRejected) as caught:
        check_nfe(xml.replace(b"<mod>55</mod>", b"<mod>65</mod>"))
    assert caught.value.check == "model"
    with pytest.raises(InvoiceRejected) as caught:
        check_nfe(xml.replace(b"<cStat>100</cStat>", b"<cStat>302</cStat>"))
    assert caught.value.check == "not_authorized"


def order(packages, *lines):
    return Order(
        "576000000000000001", ChannelName.TIKTOK_SHOP, OrderState.PAID, lines=lines, packages=packages
    )


def sold(package_id, seller_sku, **kw):
    return OrderLine(line_id="1", seller_sku=seller_sku, package_id=package_id, **kw)


def test_packages_name_the_vtex_skus_the_invoices_carry_whatever_the_seller_skus():
    detail = order(("P1", "P2"), sold("P1", "REF-101"), sold("P2", "REF-102"))
    packages = order_packages(detail, SkuIdMap("link", {"REF-101": "101", "REF-102": "102"}))
    paired = pair_invoices(packages, [_inv("2", {"102": 1}), _inv("1", {"101": 1})])
    assert {pid: inv.number for pid, inv in paired.pairs} == {"P1": "1", "P2": "2"}


def _inv(number, skus):
    return Invoice(number, 100, None, None, "<x/>", None, None, Counter(skus))


def test_invoices_pair_with_packages_one_to_one_or_by_skus():
    detail = order(
        ("P1", "P2"),
        sold("P1", "101"),
        sold("P1", "101"),
        sold("P2", "102"),
        sold("P2", "103", cancelled=True),
    )
    packages = order_packages(detail, SkuIdMap("id"))
    assert packages == {"P1": Counter({"101": 2}), "P2": Counter({"102": 1})}
    paired = pair_invoices(packages, [_inv("2", {"102": 1}), _inv("1", {"101": 2})])
    assert paired.problem is None
    assert {pid: inv.number for pid, inv in paired.pairs} == {"P1": "1", "P2": "2"}
    assert pair_invoices({"P1": Counter()}, [_inv("1", {})]).pairs[0][0] == "P1"
    assert "one NF-e per package" in pair_invoices(packages, [_inv("1", {"101": 2})]).problem
    assert "does not carry" in pair_invoices(packages, [_inv("1", {"101": 1}), _inv("2", {"102": 1})]).problem
    assert pair_invoices(packages, []).pairs == []


def test_a_line_packed_in_a_package_the_order_does_not_list_still_counts():
    packages = order_packages(
        order(("P1",), sold("P1", "101"), sold("P9", "102", quantity=2)), SkuIdMap("id")
    )
    assert packages == {"P1": Counter({"101": 1}), "P9": Counter({"102": 2})}
    assert order_packages(order((), sold(None, "101")), SkuIdMap("id")) == {}


def test_keys_and_backoff():
    assert order_key(["9", "10", "9"]) == "10,9"
    assert [retry_delay_seconds(n) for n in (1, 2, 3)] == [60, 120, 240]
    assert retry_delay_seconds(30) == 3600


def test_the_latest_tracking_event_is_the_newest_whatever_the_order():
    old, new = (TrackingEvent(text, datetime(2026, 3, day, tzinfo=UTC)) for text, day in (("a", 1), ("b", 2)))
    assert latest_tracking_event([new, old]) == new and latest_tracking_event([old, new]) == new
    assert latest_tracking_event([]) is None
