"""Analytics on TikTok Shop (the `AnalyticsApi` of its session): one day of
`GET /analytics/202405/shop_products/performance` read as `ProductDay`s, of `/analytics/202405/shop/performance`
as a `ShopDay`, of `/analytics/202409/shop_videos/performance` and of the LIVE report (a guessed path) as
`ContentDay`s (reference §Analytics; the answers' field names are settings: analytics_fields.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from tiktok_pipelines.channels.tiktok_shop.analytics_fields import (
    count,
    instant,
    money,
    parse_analytics_fields,
    pick,
    rate,
    report_day,
)
from tiktok_pipelines.channels.tiktok_shop.client import TikTokShopClient
from tiktok_pipelines.core.models.performance import ContentDay, ProductDay, ShopDay


def product_day(day: date, row: Mapping[str, Any]) -> ProductDay:
    """One product of the answer; a count TikTok leaves out is 0, and so is a GMV it leaves out."""
    gmv, currency = money(row.get("gmv"), f"product {row.get('id')}")
    return ProductDay(
        channel_product_id=str(row.get("id")),
        day=day,
        page_views=int(row.get("page_views") or 0),
        impressions=int(row.get("impressions") or 0),
        orders=int(row.get("orders") or 0),
        units=int(row.get("units_sold") or 0),
        gmv=gmv if gmv is not None else Decimal("0"),
        currency=currency,
    )


def shop_day(day: date, row: Mapping[str, Any], names: Mapping[str, str]) -> ShopDay:
    """One interval of the shop report, its figures read where `names` say."""
    what = f"shop performance of {day}"
    gmv, currency = money(pick(row, names["gmv"]), what)
    return ShopDay(
        day=report_day(row, day),
        gmv=gmv,
        currency=currency,
        **{k: count(row, names[k], what) for k in ("orders", "units", "buyers", "page_views", "visitors")},
    )


def content_day(kind: str, day: date, row: Mapping[str, Any], names: Mapping[str, str]) -> ContentDay:
    """One video or LIVE of a report, its figures read where `names` say; one without an id is refused."""
    content_id = pick(row, names["id"])
    if content_id in (None, ""):
        raise ValueError(f"{kind} performance of {day}: a row without {names['id']}")
    what = f"{kind} {content_id}"
    gmv, currency = money(pick(row, names["gmv"]), what)
    title, creator = pick(row, names["title"]), pick(row, names["creator"])
    return ContentDay(
        kind=kind,
        content_id=str(content_id),
        day=day,
        title=str(title) if title is not None else None,
        creator=str(creator) if creator is not None else None,
        started_at=instant(row, names["started_at"], what),
        ended_at=instant(row, names["ended_at"], what) if "ended_at" in names else None,
        views=count(row, names["views"], what),
        viewers=count(row, names["viewers"], what) if "viewers" in names else None,
        orders=count(row, names["orders"], what),
        units=count(row, names["units"], what),
        gmv=gmv,
        currency=currency,
        click_through_rate=rate(row, names["click_through_rate"], what),
    )


class TikTokAnalytics:
    """The analytics facet of a TikTok Shop session (mixed into `TikTokShopSession`)."""

    api: TikTokShopClient

    def _fields(self, report: str) -> Mapping[str, str]:
        return (self.api.analytics_fields or parse_analytics_fields(None))[report]

    def product_performance(self, day: date) -> Iterator[ProductDay]:
        end = day + timedelta(days=1)
        for row in self.api.iter_shop_products_performance(day.isoformat(), end.isoformat()):
            yield product_day(day, row)

    def shop_performance(self, day: date) -> ShopDay | None:
        names = self._fields("shop")
        data = self.api.get_shop_performance(day.isoformat(), (day + timedelta(days=1)).isoformat())
        rows = pick(data, names["list"]) or []
        return shop_day(day, rows[0], names) if rows else None

    def video_performance(self, day: date) -> Iterator[ContentDay]:
        yield from self._contents("video", self.api.iter_shop_videos_performance, day)

    def live_performance(self, day: date) -> Iterator[ContentDay]:
        yield from self._contents("live", self.api.iter_shop_lives_performance, day)

    def _contents(self, kind: str, pages, day: date) -> Iterator[ContentDay]:
        names = self._fields(kind)
        for row in pages(day.isoformat(), (day + timedelta(days=1)).isoformat(), names["list"]):
            yield content_day(kind, day, row, names)
