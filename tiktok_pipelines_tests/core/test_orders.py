"""Order rules on a channel-neutral order: its lines go to VTEX under VTEX SKU ids, what is placed, waits or
is cancelled, and its lake rows (no personal data)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tiktok_pipelines.core.models.orders import (
    Address,
    Buyer,
    Order,
    OrderAmounts,
    OrderLine,
    OrderState,
)
from tiktok_pipelines.core.names import ChannelName
from tiktok_pipelines.core.orders import (
    OrderMappingError,
    OrderOptions,
    line_rows,
    order_row,
    placement_decision,
    vtex_items,
)
from tiktok_pipelines.core.sku_ids import SkuIdMap
from tiktok_pipelines.vtex.orders import marketplace_order


def line(line_id, seller_sku, price, **kw):
    return OrderLine(line_id=line_id, seller_sku=seller_sku, sale_price=Decimal(price), **kw)


ORDER = Order(
    order_id="576000000000000001",
    channel=ChannelName.TIKTOK_SHOP,
    state=OrderState.PAID,
    status="AWAITING_SHIPMENT",
    buyer=Buyer(document="52998224725", document_origin="cpf"),
    address=Address(
        name="Ana Souza",
        postal_code="01310-100",
        street_line="Avenida Paulista, 1000",
        state="SP",
        city="São Paulo",
        district="Bela Vista",
    ),
    lines=(
        line("1", "REF-2001", "59.90"),
        line("2", "REF-2001", "59.90"),
        line("3", "REF-2002", "19.90"),
    ),
)
SIMULATION = {
    "items": [{"id": "2001", "price": 5990}, {"id": "2002", "price": 1990}],
    "logisticsInfo": [{"slas": [{"id": "Normal", "price": 1000, "shippingEstimate": "5bd"}]}],
}


def with_lines(*lines: OrderLine) -> Order:
    return Order(ORDER.order_id, ORDER.channel, ORDER.state, lines=lines)


def test_with_link_source_the_order_names_the_vtex_skus_enrichment_found():
    ids = SkuIdMap("link", {"REF-2001": "2001", "REF-2002": "2002"})
    assert vtex_items(ORDER, ids) == [("2001", 2, Decimal("59.90")), ("2002", 1, Decimal("19.90"))]
    placed = marketplace_order(ORDER, SIMULATION, OrderOptions(), ids)
    assert [(i.vtex_sku_id, i.quantity, i.price_cents) for i in placed.items] == [
        ("2001", 2, 5990),
        ("2002", 1, 1990),
    ]


def test_with_id_source_a_numeric_seller_sku_is_the_vtex_sku():
    order = with_lines(line("1", "2001", "59.90"))
    assert vtex_items(order, SkuIdMap("id")) == [("2001", 1, Decimal("59.90"))]


def test_a_seller_sku_without_a_vtex_id_is_refused_never_sent_as_one():
    with pytest.raises(OrderMappingError, match="REF-2002 has no VTEX SKU id"):
        vtex_items(ORDER, SkuIdMap("link", {"REF-2001": "2001"}))
    with pytest.raises(OrderMappingError, match="REF-2001 has no VTEX SKU id"):
        vtex_items(ORDER, SkuIdMap("id"))


def test_cancelled_lines_and_gifts_are_not_placed_and_units_add_up():
    order = with_lines(
        line("1", "2001", "10.00", quantity=2),
        line("2", "2001", "10.00"),
        line("3", "2002", "5.00", cancelled=True),
        line("4", "2003", "0", gift=True),
    )
    assert vtex_items(order, SkuIdMap("id")) == [("2001", 3, Decimal("10.00"))]
    with pytest.raises(OrderMappingError, match="no line to place"):
        vtex_items(with_lines(line("3", "2002", "5.00", cancelled=True)), SkuIdMap("id"))


def test_a_line_without_seller_sku_or_readable_price_is_refused():
    with pytest.raises(OrderMappingError, match="line 7 of order 576000000000000001 has no seller_sku"):
        vtex_items(with_lines(line("7", "  ", "1.00")), SkuIdMap("id"))
    unreadable = OrderLine(line_id="8", seller_sku="2001", sale_price=None)
    with pytest.raises(OrderMappingError, match=r"line 8 .* unreadable price"):
        vtex_items(with_lines(unreadable), SkuIdMap("id"))


@pytest.mark.parametrize(
    ("state", "decision"),
    [
        (OrderState.PAID, "place"),
        (OrderState.CANCELLED, "cancel"),
        (OrderState.AWAITING_PAYMENT, "wait"),
        (OrderState.ON_HOLD, "wait"),
        (OrderState.UNKNOWN, "wait"),
    ],
)
def test_only_a_paid_order_is_placed_and_a_cancelled_one_cancelled(state, decision):
    assert placement_decision(Order("1", ChannelName.TIKTOK_SHOP, state)) == decision


def test_order_price_source_must_be_one_the_lane_knows():
    assert OrderOptions.from_client_options({"order_price_source": "tiktok"}).price_source == "tiktok"
    with pytest.raises(OrderMappingError, match="order_price_source must be vtex or tiktok"):
        OrderOptions.from_client_options({"order_price_source": "feed"})


def test_lake_rows_carry_amounts_and_places_but_no_personal_data():
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    order = Order(
        order_id="9",
        channel=ChannelName.TIKTOK_SHOP,
        state=OrderState.PAID,
        status="AWAITING_SHIPMENT",
        created_at=at,
        updated_at=at,
        lines=(
            line(
                "a", "REF-1", "20.00", quantity=1, package_id="P1", channel_product_id="pr1", currency="BRL"
            ),
            line(
                "b", "REF-1", "20.00", quantity=1, package_id="P1", channel_product_id="pr1", currency="BRL"
            ),
        ),
        buyer=Buyer(email="ana@example.com", document="52998224725"),
        address=Address(
            name="Ana Souza", street_line="Rua A, 1", state="SP", city="São Paulo", region_code="BR"
        ),
        amounts=OrderAmounts(currency="BRL", subtotal=Decimal("40.00"), total=None),
        tracking_number="BR123",
    )
    row = order_row("demo", order, "TTS-9", "invoiced", at, channel="tiktok_shop")
    assert (row["order_id"], row["vtex_order_id"], row["vtex_status"]) == ("9", "TTS-9", "invoiced")
    assert (row["line_count"], row["units"], row["subtotal"], row["total"]) == (2, 2, Decimal("40.00"), None)
    assert (row["recipient_region"], row["recipient_state"], row["recipient_city"]) == (
        "BR",
        "SP",
        "São Paulo",
    )
    assert row["tracking_number"] == "BR123" and row["created_at"] == at
    rows = line_rows("demo", order, at, channel="tiktok_shop")
    assert [(r["line_id"], r["seller_sku"], r["package_id"], r["channel_product_id"]) for r in rows] == [
        ("a", "REF-1", "P1", "pr1"),
        ("b", "REF-1", "P1", "pr1"),
    ]
    text = repr([row, *rows])
    assert (
        "Ana" not in text and "52998224725" not in text and "example.com" not in text and "Rua A" not in text
    )
