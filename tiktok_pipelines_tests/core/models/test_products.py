"""A variant's feed price, as every channel's listing builder reads it."""

from decimal import Decimal

import pytest

from tiktok_pipelines.core.models.products import Variant


@pytest.mark.parametrize(
    ("feed", "amount", "list_amount"),
    [
        ({"price": "59.90", "sale_price": "49.90"}, "49.90", "59.90"),
        ({"price": "59.90"}, "59.90", None),
        ({"price": "59.90", "sale_price": "69.90"}, "59.90", None),
        ({"price": "59.90", "sale_price": "59.90"}, "59.90", None),
        ({"sale_price": "49.90"}, None, None),
    ],
)
def test_a_sale_price_counts_only_below_the_price_it_is_taken_from(feed, amount, list_amount):
    price = Variant({"seller_sku": "s", **feed}).feed_price("BRL")
    assert price["amount"] == (Decimal(amount) if amount else None)
    assert price["list_amount"] == (Decimal(list_amount) if list_amount else None)


def test_the_feeds_currency_wins_over_the_shops():
    assert (
        Variant({"seller_sku": "s", "price": "10", "currency": "USD"}).feed_price("BRL")["currency"] == "USD"
    )
    assert Variant({"seller_sku": "s", "price": "10"}).feed_price("BRL")["currency"] == "BRL"
