"""The analytics lane over any channel that implements `AnalyticsApi`, here one kept in memory: the last
days read oldest first, as one version in the lake with the calls in `sync_log`; a day the channel
fails to give fails the run and leaves the lake as it was."""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from tiktok_pipelines.channels.base import AnalyticsApi, ChannelRetryableError
from tiktok_pipelines.core.models.performance import ProductDay
from tiktok_pipelines.lanes.analytics import collect_product_performance
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


def test_a_day_the_channel_fails_to_give_fails_the_run_and_writes_nothing():
    lake = MemoryLake()
    with pytest.raises(ChannelRetryableError):
        collect_product_performance(
            "c1", MemoryAnalytics(failing={TODAY - timedelta(days=2)}), lake, days=3, today=TODAY
        )
    assert lake.parts == {}
