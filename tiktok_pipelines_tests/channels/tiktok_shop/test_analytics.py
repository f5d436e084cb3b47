"""Analytics on TikTok Shop: a day's product, shop, video and LIVE performance read into `ProductDay`s,
`ShopDay`s and `ContentDay`s, against answers shaped as the emulator and reference give them, the
answers' field names and the LIVE path as the settings say."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tiktok_pipelines.channels.tiktok_shop.analytics import content_day, product_day
from tiktok_pipelines.channels.tiktok_shop.analytics_fields import (
    parse_analytics_fields,
    parse_live_performance_path,
)
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


def test_a_shop_day_reads_its_figures_where_the_settings_say_and_leaves_unknown_ones_null():
    interval = {
        "start_date": "2026-12-04",
        "end_date": "2026-12-05",
        "gmv": [{"amount": "1234.50", "currency": "BRL"}],
        "orders": 12,
        "units_sold": "15",
        "buyer_count": 11,
    }
    shop = Shop((0, {"performance": {"intervals": [interval]}}))
    session = shop.session()
    session.api.analytics_fields = parse_analytics_fields("shop.buyers=buyer_count")
    day = session.shop_performance(DAY)
    assert (day.day, day.gmv, day.currency, day.orders, day.units, day.buyers) == (
        DAY,
        Decimal("1234.50"),
        "BRL",
        12,
        15,
        11,
    )
    assert (day.page_views, day.visitors) == (None, None)  # not in this answer: unknown, not 0
    (request,) = shop.requests
    assert request.url.path == "/analytics/202405/shop/performance"
    assert (request.url.params["start_date_ge"], request.url.params["end_date_lt"]) == (
        "2026-12-04",
        "2026-12-05",
    )


def test_videos_are_read_in_their_first_version_and_lives_at_the_configured_path():
    video = {"id": "V1", "views": 900, "sku_orders": 3, "units_sold": 4, "gmv": {"amount": "80.00"}}
    live = {"id": "L1", "start_time": 1796421600, "end_time": "2026-12-05T00:00:00", "viewers": 120}
    shop = Shop(
        (0, {"videos": [video], "next_page_token": "n"}),
        (0, {"videos": []}),
        (0, {"data": {"rooms": [live]}}),
    )
    session = shop.session()
    (v,) = session.video_performance(DAY)
    assert (v.kind, v.content_id, v.views, v.orders, v.units, v.gmv, v.title) == (
        "video",
        "V1",
        900,
        3,
        4,
        Decimal("80.00"),
        None,
    )
    session.api.analytics_fields = parse_analytics_fields("live.list=data.rooms")
    session.api.live_performance_path = "/analytics/202507/live_sessions/performance"
    (lv,) = session.live_performance(DAY)
    assert (lv.kind, lv.content_id, lv.viewers, lv.views) == ("live", "L1", 120, None)
    assert (lv.started_at, lv.ended_at) == (
        datetime(2026, 12, 4, 22, tzinfo=UTC),
        datetime(2026, 12, 5, tzinfo=UTC),
    )
    assert [r.url.path for r in shop.requests] == [
        "/analytics/202409/shop_videos/performance",
        "/analytics/202409/shop_videos/performance",
        "/analytics/202507/live_sessions/performance",
    ]


def test_a_bad_field_setting_or_live_path_is_refused_with_what_is_expected():
    with pytest.raises(ValueError, match=r"shop\.buyers"):
        parse_analytics_fields("shop.shoppers=buyer_count")
    with pytest.raises(ValueError, match="/analytics/YYYYMM"):
        parse_live_performance_path("/live/performance")


def test_a_video_without_an_id_or_with_an_unreadable_count_is_refused_by_name():
    with pytest.raises(ValueError, match="without id"):
        content_day("video", DAY, {"views": 3}, parse_analytics_fields(None)["video"])
    with pytest.raises(ValueError, match=r"video V7.*'lots'"):
        content_day("video", DAY, {"id": "V7", "views": "lots"}, parse_analytics_fields(None)["video"])
