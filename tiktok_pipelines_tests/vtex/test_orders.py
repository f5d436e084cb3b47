"""A channel's order as a VTEX marketplace order: address, buyer, prices, freight, SLA and payment as the
fulfillment protocol takes them; and the invoices of an OMS order."""

from collections import Counter
from decimal import Decimal

import pytest

from tiktok_pipelines.core.models.orders import Address, Buyer, Order, OrderAmounts, OrderLine, OrderState
from tiktok_pipelines.core.names import ChannelName
from tiktok_pipelines.core.orders import OrderMappingError, OrderOptions
from tiktok_pipelines.core.sku_ids import SkuIdMap
from tiktok_pipelines.vtex.orders import Address as VtexAddress
from tiktok_pipelines.vtex.orders import (
    Customer,
    choose_sla,
    marketplace_order,
    output_invoices,
    simulation_items,
    vtex_address,
    vtex_customer,
)

CPF = "52998224725"
ADDRESS = Address(
    name="  Ana Maria Souza ",
    postal_code="01310100",
    state="SP",
    city="São Paulo",
    district="Bela Vista",
    street_line="Avenida Paulista, nº 1000",
    complement="Apto 12",
    phone="(+55) 11 91234-5678",
)
ORDER = Order(
    order_id="576000000000000001",
    channel=ChannelName.TIKTOK_SHOP,
    state=OrderState.PAID,
    lines=(
        OrderLine("1", "2001", sale_price=Decimal("59.90")),
        OrderLine("2", "2001", sale_price=Decimal("59.90")),
        OrderLine("3", "2002", sale_price=Decimal("19.90")),
    ),
    buyer=Buyer(email=None, document=CPF, document_origin="cpf, buyer_cpf"),
    address=ADDRESS,
    amounts=OrderAmounts(currency="BRL", shipping_fee=Decimal("12.50")),
)
SIMULATION = {
    "items": [{"id": "2001", "price": 5490}, {"id": "2002", "price": 1990}],
    "logisticsInfo": [
        {
            "slas": [
                {"id": "Normal", "price": 1000, "shippingEstimate": "5bd"},
                {"id": "Expressa", "price": 2500},
            ]
        },
        {"slas": [{"id": "Normal", "price": 300}, {"id": "Expressa", "price": 700}]},
    ],
}
IDS = SkuIdMap("id")


def at(street_line, **kw):
    return Order(
        "1",
        ChannelName.TIKTOK_SHOP,
        OrderState.PAID,
        address=Address(**{**ADDRESS.__dict__, "street_line": street_line, **kw}),
    )


@pytest.mark.parametrize(
    ("line", "street", "number"),
    [
        ("Avenida Paulista, nº 1000", "Avenida Paulista", "1000"),
        ("Rua Augusta 500", "Rua Augusta", "500"),
        ("Rua das Flores, N. 12B", "Rua das Flores", "12B"),
        ("Rua Sem Número", "Rua Sem Número", "S/N"),
    ],
)
def test_the_number_is_read_from_the_end_of_the_street_line(line, street, number):
    address = vtex_address(at(line))
    assert (address.street, address.number) == (street, number)


def test_the_address_as_vtex_takes_it():
    address = vtex_address(ORDER)
    assert address.postal_code == "01310-100" and (address.state, address.city) == ("SP", "São Paulo")
    assert (address.neighborhood, address.complement) == ("Bela Vista", "Apto 12")
    assert address.receiver_name == "Ana Maria Souza"
    apart = vtex_address(at("Rua Augusta", number="500"))
    assert (apart.street, apart.number) == ("Rua Augusta", "500")
    plain = vtex_address(at("Rua A 1", name=None, district=None, complement=None))
    assert (plain.receiver_name, plain.neighborhood, plain.complement) == ("Destinatário", "-", None)


def test_an_address_vtex_cannot_take_is_refused_with_what_lacks():
    with pytest.raises(OrderMappingError, match="no valid Brazilian postal code"):
        vtex_address(at("Rua A 1", postal_code="1310-100"))
    with pytest.raises(OrderMappingError, match="lacks street, state or city"):
        vtex_address(at("Rua A 1", city=None))
    with pytest.raises(OrderMappingError, match="lacks street, state or city"):
        vtex_address(at(None))


def test_the_buyer_as_a_vtex_customer():
    customer = vtex_customer(ORDER, "TikTok Shop")
    assert (customer.first_name, customer.last_name, customer.document) == ("Ana", "Maria Souza", CPF)
    assert customer.email == "576000000000000001@tiktokshop.invalid"  # no email: one no one reads
    assert customer.phone == "+5511912345678"
    named = Order("7", ChannelName.MERCADO_LIVRE, OrderState.PAID, buyer=Buyer(" b@x.com ", CPF))
    customer = vtex_customer(named, "Mercado Livre")
    assert customer.email == "b@x.com" and (customer.first_name, customer.last_name) == ("Cliente", "Cliente")


def test_an_order_without_a_valid_cpf_is_refused_saying_where_it_was_looked_for():
    for document in (None, "", "12345678900"):
        order = Order(
            "9",
            ChannelName.TIKTOK_SHOP,
            OrderState.PAID,
            buyer=Buyer(document=document, document_origin="cpf, buyer_cpf"),
        )
        with pytest.raises(OrderMappingError, match=r"order 9 has no valid CPF \(looked in cpf, buyer_cpf\)"):
            vtex_customer(order, "TikTok Shop")


def test_slas_the_cheapest_or_the_preferred_one_with_its_freight_for_every_item():
    assert choose_sla(SIMULATION, None) == ("Normal", "5bd", 1300)
    assert choose_sla(SIMULATION, "Expressa") == ("Expressa", "7d", 3200)
    with pytest.raises(OrderMappingError, match="does not offer the SLA 'Retirada'"):
        choose_sla(SIMULATION, "Retirada")
    with pytest.raises(OrderMappingError, match="no delivery option"):
        choose_sla({"logisticsInfo": []}, None)


def test_priced_by_vtexs_simulation():
    placed = marketplace_order(ORDER, SIMULATION, OrderOptions(), IDS)
    assert [(i.vtex_sku_id, i.quantity, i.price_cents) for i in placed.items] == [
        ("2001", 2, 5490),
        ("2002", 1, 1990),
    ]
    assert placed.shipping_cents == 1300 and placed.sla == "Normal" and placed.shipping_estimate == "5bd"
    assert placed.value_cents == 2 * 5490 + 1990 + 1300
    assert not placed.is_created_async and placed.payment is None
    assert placed.marketplace_order_id == ORDER.order_id
    assert placed.open_text == "TikTok Shop order 576000000000000001"
    payload = placed.payload("https://receiver/vtex/marketplace/demo/t")
    assert payload["marketplaceServicesEndpoint"] == "https://receiver/vtex/marketplace/demo/t"
    assert payload["clientProfileData"]["document"] == CPF
    assert payload["shippingData"]["address"]["postalCode"] == "01310-100"
    assert [li["price"] for li in payload["shippingData"]["logisticsInfo"]] == [1300, 0]
    with pytest.raises(OrderMappingError, match="did not price SKU 2002"):
        marketplace_order(ORDER, {**SIMULATION, "items": SIMULATION["items"][:1]}, OrderOptions(), IDS)


def test_priced_at_what_the_channel_sold_with_its_freight_and_payment():
    options = OrderOptions(price_source="tiktok", payment_system="201", payment_system_name="Marketplace")
    placed = marketplace_order(ORDER, SIMULATION, options, IDS, marketplace="Mercado Livre")
    assert [(i.vtex_sku_id, i.price_cents) for i in placed.items] == [("2001", 5990), ("2002", 1990)]
    assert placed.shipping_cents == 1250 and placed.is_created_async
    assert placed.payment.value_cents == 2 * 5990 + 1990 + 1250
    assert placed.payment.group == "custom201PaymentGroupPaymentGroup"
    assert placed.open_text == "Mercado Livre order 576000000000000001"
    assert placed.customer.email == "576000000000000001@mercadolivre.invalid"
    unreadable = Order(**{**ORDER.__dict__, "amounts": OrderAmounts(shipping_fee=None)})
    with pytest.raises(OrderMappingError, match="unreadable shipping fee"):
        marketplace_order(unreadable, SIMULATION, options, IDS)


def test_what_the_simulation_is_asked_to_price():
    assert simulation_items(ORDER, IDS) == [("2001", 2), ("2002", 1)]


def test_output_invoices_read_the_oms_package_attachment():
    order = {
        "items": [{"id": "101"}, {"id": "102"}],
        "packageAttachment": {
            "packages": [
                {
                    "type": "Output",
                    "invoiceNumber": "1001",
                    "invoiceValue": 4990,
                    "invoiceKey": "k",
                    "invoiceUrl": "https://erp/nfe.xml",
                    "embeddedInvoice": "<x/>",
                    "trackingNumber": "SB1",
                    "courier": "Correios",
                    "items": [{"itemIndex": 0, "quantity": 2}, {"itemIndex": 1, "quantity": 1}],
                },
                {"type": "Input", "invoiceNumber": "R1", "invoiceValue": 100, "items": []},
            ]
        },
    }
    (invoice,) = output_invoices(order)
    assert invoice.number == "1001" and invoice.value_cents == 4990 and invoice.xml == "<x/>"
    assert invoice.skus == Counter({"101": 2, "102": 1})
    assert output_invoices({"packageAttachment": None}) == []


def test_the_buyer_and_the_address_go_under_vtexs_names():
    customer = Customer("ana@example.com", "Ana", "Souza", CPF, phone="+5511999990000")
    address = VtexAddress(
        "Ana Souza", "01310100", "São Paulo", "SP", "Avenida Paulista", "1000", "Bela Vista"
    )
    assert customer.payload() == {
        "email": "ana@example.com",
        "firstName": "Ana",
        "lastName": "Souza",
        "documentType": "cpf",
        "document": CPF,
        "phone": "+5511999990000",
        "corporateName": None,
        "tradeName": None,
        "corporateDocument": None,
        "stateInscription": None,
        "corporatePhone": None,
        "isCorporate": False,
    }
    assert address.payload() == {
        "addressType": "residential",
        "receiverName": "Ana Souza",
        "postalCode": "01310100",
        "city": "São Paulo",
        "state": "SP",
        "country": "BRA",
        "street": "Avenida Paulista",
        "number": "1000",
        "neighborhood": "Bela Vista",
        "complement": None,
        "reference": None,
        "geoCoordinates": [],
    }
