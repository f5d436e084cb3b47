"""The analytics lane over any channel that implements `AnalyticsApi`, here one kept in memory: the last
days read oldest first, as one version in the lake with the calls in `sync_log`; a day the channel
fails to give fails the run and leaves the lake as it was."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from tiktok_pipelines.channels.base import AnalyticsApi, ChannelRetryableError
from tiktok_pipelines.core.models.performance import ContentDay, ProductDay, ShopDay
from tiktok_pipelines.lanes.analytics import (
    collect_live_performance,
    collect_product_performance,
    collect_shop_performance,
    collect_video_performance,
)
from tiktok_pipelines_tests.lanes.stock_price.test_any_channel import MemoryLake

TODAY = date(2026, 12, 5)


class MemoryAnalytics(AnalyticsApi):
    capabilities = SimpleNamespace(name="memory_shop", api_name="memory")

    def __init__(self, failing: set[date] = frozenset()):
        self.failing = failing
        self.asked: list[date] = []

    def product_performance(self, day):
        self.asked.append(day)
        if day in self.failing:
            raise ChannelRetryableError("analytics not ready")
        yield ProductDay("P1", day, 10 * day.day, 100, day.day % 3, 1, Decimal("19.90"), "BRL")

    def shop_performance(self, day):
        self.asked.append(day)
        if day == TODAY - timedelta(days=1):
            return None  # not reported yet
        return ShopDay(day, Decimal("199.00"), "BRL", 4, 6, 3, 400, None)

    def video_performance(self, day):
        self.asked.append(day)
        yield content("video", "V1", day, views=1000, orders=2, gmv=Decimal("39.80"))

    def live_performance(self, day):
        self.asked.append(day)
        if day in self.failing:
            raise ChannelRetryableError("analytics not ready")
        yield content("live", "L" + day.isoformat(), day, views=3000, orders=5, gmv=Decimal("249.50"))


def content(kind, content_id, day, views, orders, gmv):
    start = datetime(day.year, day.month, day.day, 22, tzinfo=UTC)
    return ContentDay(
        kind,
        content_id,
        day,
        "title",
        "loja.oficial",
        start,
        start + timedelta(hours=2),
        views,
        views // 3,
        orders,
        orders + 1,
        gmv,
        "BRL",
        0.0123,
    )


def test_the_last_days_land_oldest_first_as_one_version_with_their_calls():
    channel, lake = MemoryAnalytics(), MemoryLake()
    report = collect_product_performance("c1", channel, lake, days=3, today=TODAY)
    expected = [TODAY - timedelta(days=n) for n in (3, 2, 1)]
    assert channel.asked == expected == report.days
    (part,) = lake.parts["product_performance"]
    rows = part.to_pylist()
    assert [(r["date"], r["channel"], r["channel_product_id"], r["gmv"]) for r in rows] == [
        (d, "memory_shop", "P1", Decimal("19.90")) for d in expected
    ]
    assert (report.rows, report.page_views) == (3, sum(10 * d.day for d in expected))
    log = lake.parts["sync_log"][0].to_pylist()
    assert [(r["api"], r["item_key"], r["result"], r["lane"]) for r in log] == [
        ("memory", d.isoformat(), "ok", "analytics") for d in expected
    ]


@pytest.mark.parametrize("collect", [collect_product_performance, collect_live_performance])
def test_a_day_the_channel_fails_to_give_fails_the_run_and_writes_nothing(collect):
    lake = MemoryLake()
    with pytest.raises(ChannelRetryableError):
        collect("c1", MemoryAnalytics(failing={TODAY - timedelta(days=2)}), lake, days=3, today=TODAY)
    assert lake.parts == {}


def test_shop_days_land_with_unknown_figures_as_null_and_an_unreported_day_without_a_row():
    channel, lake = MemoryAnalytics(), MemoryLake()
    report = collect_shop_performance("c1", channel, lake, days=3, today=TODAY)
    rows = lake.parts["shop_performance"][0].to_pylist()
    assert [(r["date"], r["gmv"], r["buyers"], r["visitors"]) for r in rows] == [
        (TODAY - timedelta(days=n), Decimal("199.00"), 3, None) for n in (3, 2)
    ]
    assert (report.rows, report.orders, report.gmv) == (2, 8, Decimal("398.00"))


def test_videos_and_lives_land_per_day_under_their_own_ids():
    channel, lake = MemoryAnalytics(), MemoryLake()
    collect_video_performance("c1", channel, lake, days=2, today=TODAY)
    report = collect_live_performance("c1", channel, lake, days=2, today=TODAY)
    videos = lake.parts["video_performance"][0].to_pylist()
    assert [(r["video_id"], r["date"], r["views"], r["gmv"]) for r in videos] == [
        ("V1", TODAY - timedelta(days=n), 1000, Decimal("39.80")) for n in (2, 1)
    ]
    lives = lake.parts["live_performance"][0].to_pylist()
    yesterday = TODAY - timedelta(days=1)
    assert lives[-1]["live_id"] == f"L{yesterday}" and lives[-1]["viewers"] == 1000
    assert lives[-1]["ended_at"] - lives[-1]["started_at"] == timedelta(hours=2)
    assert (report.rows, report.orders, report.gmv) == (2, 10, Decimal("499.00"))
    operations = {r["operation"] for p in lake.parts["sync_log"] for r in p.to_pylist()}
    assert operations == {"shop_videos_performance", "shop_lives_performance"}
