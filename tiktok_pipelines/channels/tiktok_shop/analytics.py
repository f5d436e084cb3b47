"""Analytics on TikTok Shop (the `AnalyticsApi` of its session): a day's page of
`GET /analytics/202405/shop_products/performance` read as `ProductDay`s (reference §Analytics)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from tiktok_pipelines.channels.tiktok_shop.client import TikTokShopClient
from tiktok_pipelines.core.models.performance import ProductDay


def product_day(day: date, row: Mapping[str, Any]) -> ProductDay:
    """One product of the answer; a count TikTok leaves out is 0, and so is a GMV it leaves out."""
    gmv = row.get("gmv") or {}
    amount = gmv.get("amount") if isinstance(gmv, Mapping) else gmv
    try:
        value = Decimal(str(amount)) if amount not in (None, "") else Decimal("0")
    except InvalidOperation:
        raise ValueError(f"product {row.get('id')}: unreadable GMV {amount!r}") from None
    return ProductDay(
        channel_product_id=str(row.get("id")),
        day=day,
        page_views=int(row.get("page_views") or 0),
        impressions=int(row.get("impressions") or 0),
        orders=int(row.get("orders") or 0),
        units=int(row.get("units_sold") or 0),
        gmv=value,
        currency=gmv.get("currency") if isinstance(gmv, Mapping) else None,
    )


class TikTokAnalytics:
    """The analytics facet of a TikTok Shop session (mixed into `TikTokShopSession`)."""

    api: TikTokShopClient

    def product_performance(self, day: date) -> Iterator[ProductDay]:
        end = day + timedelta(days=1)
        for row in self.api.iter_shop_products_performance(day.isoformat(), end.isoformat()):
            yield product_day(day, row)
