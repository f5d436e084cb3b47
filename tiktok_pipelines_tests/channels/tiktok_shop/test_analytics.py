"""Analytics on TikTok Shop: a day's product performance read page by page into `ProductDay`s, against
answers shaped as the emulator and reference give them."""

from datetime import date
from decimal import Decimal

import pytest

from tiktok_pipelines.channels.tiktok_shop.analytics import product_day
from tiktok_pipelines_tests.channels.tiktok_shop.test_offers import Shop

DAY = date(2026, 12, 4)


def test_a_day_is_read_over_every_page_as_one_window_of_one_day():
    first = {
        "shop_products": [
            {
                "id": "P1",
                "gmv": {"amount": "59.80", "currency": "BRL"},
                "orders": 2,
                "units_sold": 2,
                "impressions": 960,
                "page_views": 80,
            },
        ],
        "next_page_token": "t2",
    }
    second = {"shop_products": [{"id": "P2", "orders": 0, "page_views": 7}], "next_page_token": ""}
    shop = Shop((0, first), (0, second))
    days = list(shop.session().product_performance(DAY))
    assert [
        (d.channel_product_id, d.day, d.page_views, d.orders, d.units, d.gmv, d.currency) for d in days
    ] == [
        ("P1", DAY, 80, 2, 2, Decimal("59.80"), "BRL"),
        ("P2", DAY, 7, 0, 0, Decimal("0"), None),
    ]
    windows = {(r.url.params["start_date_ge"], r.url.params["end_date_lt"]) for r in shop.requests}
    assert windows == {("2026-12-04", "2026-12-05")}
    assert shop.requests[1].url.params["page_token"] == "t2"


def test_an_unreadable_gmv_names_its_product():
    with pytest.raises(ValueError, match=r"P9.*'12,5'"):
        product_day(DAY, {"id": "P9", "gmv": {"amount": "12,5", "currency": "BRL"}})
