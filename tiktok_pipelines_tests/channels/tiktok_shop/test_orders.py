"""TikTok's order details, returns and cancellation notices read into the channel-neutral models."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tiktok_pipelines.channels.tiktok_shop.orders import (
    TikTokOrderReader,
    TikTokOrders,
    order_from_detail,
    order_state,
    return_from_api,
)
from tiktok_pipelines.core.models.orders import OrderState
from tiktok_pipelines.core.names import ChannelName

DETAIL = {
    "id": "576000000000000001",
    "status": "AWAITING_SHIPMENT",
    "create_time": 1767225600,
    "update_time": 1767229200,
    "paid_time": 1767225660,
    "buyer_email": " ana@example.com ",
    "buyer_cpf": "529.982.247-25",
    "shipping_type": "TIKTOK",
    "is_cod": False,
    "cancel_reason": "",
    "payment": {
        "currency": "BRL",
        "sub_total": "139.70",
        "shipping_fee": "10.00",
        "seller_discount": "",
        "platform_discount": "5.00",
        "tax": "0",
        "total_amount": "144.70",
    },
    "recipient_address": {
        "name": "Ana Souza",
        "phone_number": "(+55)11 91234-5678",
        "postal_code": "01310-100",
        "region_code": "BR",
        "address_line1": " Avenida Paulista, 1000 ",
        "address_line2": "Apto 12",
        "address_detail": "Bloco B",
        "district_info": [
            {"address_level_name": "State", "address_level": "L1", "address_name": "SP"},
            {"address_level_name": "City", "address_level": "L2", "address_name": "São Paulo"},
            {"address_level_name": "District", "address_level": "L3", "address_name": "Bela Vista"},
        ],
    },
    "line_items": [
        {"id": "1", "seller_sku": "REF-2001", "sale_price": "59.90", "package_id": "P1", "sku_id": "s1"},
        {"id": "2", "seller_sku": "REF-2001", "sale_price": "59.90", "package_id": "P1", "sku_id": "s1"},
        {"id": "3", "seller_sku": "REF-2002", "sale_price": "19.90", "display_status": "CANCELLED"},
        {"id": "4", "seller_sku": "GIFT", "sale_price": "0", "is_gift": True, "product_id": "p9"},
    ],
    "packages": [{"id": "P1"}, {}],
}


def test_a_detail_reads_into_an_order_with_one_line_per_unit():
    order = order_from_detail(DETAIL)
    assert (order.order_id, order.channel, order.state) == (
        DETAIL["id"],
        ChannelName.TIKTOK_SHOP,
        OrderState.PAID,
    )
    assert order.status == "AWAITING_SHIPMENT" and order.raw == DETAIL
    assert [(li.line_id, li.seller_sku, li.quantity, li.sale_price) for li in order.lines] == [
        ("1", "REF-2001", 1, Decimal("59.90")),
        ("2", "REF-2001", 1, Decimal("59.90")),
        ("3", "REF-2002", 1, Decimal("19.90")),
        ("4", "GIFT", 1, Decimal("0")),
    ]
    assert [li.cancelled for li in order.lines] == [False, False, True, False]
    assert [li.gift for li in order.lines] == [False, False, False, True]
    assert order.lines[0].package_id == "P1" and order.lines[0].channel_sku_id == "s1"
    assert order.lines[3].channel_product_id == "p9"
    assert order.packages == ("P1",) and order.units == 4
    assert order.updated_at == datetime(2026, 1, 1, 1, tzinfo=UTC) and order.version == 1767229200
    assert order.created_at == datetime(2026, 1, 1, tzinfo=UTC)


def test_the_address_reads_state_city_and_district_from_district_info():
    address = order_from_detail(DETAIL).address
    assert (address.state, address.city, address.district) == ("SP", "São Paulo", "Bela Vista")
    assert address.street_line == "Avenida Paulista, 1000" and address.number is None
    assert address.complement == "Apto 12 Bloco B" and address.postal_code == "01310-100"
    assert (address.name, address.region_code) == ("Ana Souza", "BR")
    bare = order_from_detail(
        {
            **DETAIL,
            "recipient_address": {
                "full_address": "Rua Augusta 500, Consolação, São Paulo",
                "address_line3": "Consolação",
            },
        }
    ).address
    assert (bare.street_line, bare.district, bare.state, bare.complement) == (
        "Rua Augusta 500",
        "Consolação",
        None,
        None,
    )


def test_the_buyers_cpf_is_the_first_document_field_present_in_digits():
    buyer = order_from_detail(DETAIL).buyer
    assert (buyer.document, buyer.email) == ("52998224725", " ana@example.com ")
    assert buyer.document_origin == "cpf, buyer_cpf, buyer_tax_id"
    both = order_from_detail({**DETAIL, "cpf": "111.444.777-35"}).buyer
    assert both.document == "11144477735"
    assert order_from_detail({k: v for k, v in DETAIL.items() if k != "buyer_cpf"}).buyer.document is None


def test_amounts_are_decimals_empty_is_zero_and_unreadable_is_none():
    amounts = order_from_detail(DETAIL).amounts
    assert amounts.currency == "BRL"
    assert (amounts.subtotal, amounts.shipping_fee, amounts.total) == (
        Decimal("139.70"),
        Decimal("10.00"),
        Decimal("144.70"),
    )
    assert amounts.seller_discount == Decimal("0")
    broken = order_from_detail({**DETAIL, "payment": {"shipping_fee": "dez reais"}})
    assert broken.amounts.shipping_fee is None and broken.amounts.total == Decimal("0")


@pytest.mark.parametrize(
    ("status", "on_hold", "state"),
    [
        ("UNPAID", False, OrderState.AWAITING_PAYMENT),
        ("UNPAID", True, OrderState.AWAITING_PAYMENT),
        ("ON_HOLD", False, OrderState.ON_HOLD),
        ("AWAITING_SHIPMENT", True, OrderState.ON_HOLD),
        ("AWAITING_SHIPMENT", False, OrderState.PAID),
        ("PARTIALLY_SHIPPING", False, OrderState.PAID),
        ("AWAITING_COLLECTION", False, OrderState.PAID),
        ("IN_TRANSIT", False, OrderState.PAID),
        ("DELIVERED", False, OrderState.PAID),
        ("COMPLETED", False, OrderState.PAID),
        ("CANCELLED", False, OrderState.CANCELLED),
        ("CANCEL", True, OrderState.CANCELLED),
        ("SOMETHING_NEW", False, OrderState.UNKNOWN),
        (None, False, OrderState.UNKNOWN),
    ],
)
def test_every_order_status_has_its_state(status, on_hold, state):
    assert order_state(status, on_hold) == state
    detail = {**DETAIL, "status": status, "is_on_hold_order": on_hold}
    assert order_from_detail(detail).state == state


def test_seller_shipping_and_flags():
    order = order_from_detail(
        {**DETAIL, "shipping_type": "SELLER", "is_sample_order": True, "cancellation_initiator": "BUYER"}
    )
    assert order.seller_ships and order.shipping_type == "SELLER" and order.is_sample
    assert order.cancelled_by == "BUYER" and order.cancel_reason is None
    assert not order_from_detail(DETAIL).seller_ships


def test_returns_read_with_their_refund_and_skus():
    found = return_from_api(
        {
            "return_id": 4035,
            "order_id": "576000000000000001",
            "return_type": "RETURN_AND_REFUND",
            "return_status": "RETURN_OR_REFUND_REQUEST_PENDING",
            "refund_amount": {"currency": "BRL", "refund_total": "59.90"},
            "return_line_items": [{"seller_sku": "REF-2001"}, {}],
        }
    )
    assert (found.return_id, found.order_id, found.status) == (
        "4035",
        "576000000000000001",
        "RETURN_OR_REFUND_REQUEST_PENDING",
    )
    assert (found.refund_total, found.currency, found.seller_skus) == (
        Decimal("59.90"),
        "BRL",
        ("REF-2001", None),
    )
    assert return_from_api({"return_id": "1", "order_id": "2"}).refund_total is None


def test_cancellation_notices_and_when_a_cancellation_is_done():
    reader = TikTokOrderReader()
    notice = {"type": 11, "data": {"order_id": 576, "cancel_status": "CANCELLATION_REQUEST_PENDING"}}
    assert reader.cancellation_notice(notice) == ("576", "CANCELLATION_REQUEST_PENDING")
    assert reader.cancellation_notice({"type": 11, "data": {}}) is None
    assert reader.cancellation_done("CANCELLATION_REQUEST_SUCCESS")
    assert reader.cancellation_done("CANCELLATION_REQUEST_COMPLETE")
    assert not reader.cancellation_done("CANCELLATION_REQUEST_PENDING") and not reader.cancellation_done(None)


class FakeApi:
    """The Partner API client's order calls, answering from memory."""

    def __init__(self, orders):
        self.orders = orders
        self.calls: list[tuple] = []

    def iter_orders(self, **filters):
        self.calls.append(("search", filters))
        return iter([{"id": o["id"], "update_time": o.get("update_time")} for o in self.orders])

    def get_orders(self, ids):
        self.calls.append(("get", list(ids)))
        return [o for o in self.orders if o["id"] in ids]

    def cancel_order(self, order_id, reason):
        self.calls.append(("cancel", order_id, reason))


class Session(TikTokOrders):
    def __init__(self, api):
        self.api = api


def test_the_order_calls_speak_tiktoks_filters_and_answer_core_orders():
    api = FakeApi([DETAIL, {"id": "2", "status": "UNPAID"}])
    session = Session(api)
    since, until = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    changes = list(session.orders_changed(since, until))
    assert api.calls[0] == ("search", {"update_time_ge": 1767225600, "update_time_lt": 1767312000})
    assert [(c.order_id, c.version) for c in changes] == [(DETAIL["id"], 1767229200), ("2", 0)]
    details = session.order_details(["2", "missing"])
    assert [(o.order_id, o.state) for o in details] == [("2", OrderState.AWAITING_PAYMENT)]
    session.cancel_order("2", "seller_cancel_reason_out_of_stock")
    assert api.calls[-1] == ("cancel", "2", "seller_cancel_reason_out_of_stock")
