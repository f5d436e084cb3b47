"""The analytics lane, without Dagster: what a channel reports about a shop's products, per day, into the
lake's `product_performance` table (the input of the analysts' views → orders conversion).

A channel revises its recent days, so each run reads the last `days` full days again and appends them
as a new version; the analytics build keeps the newest version of each (client, channel, day, product).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

import pyarrow as pa

from tiktok_pipelines.channels.base import ChannelSession
from tiktok_pipelines.core.models.performance import ProductDay
from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.core.synclog import SyncLog
from tiktok_pipelines.core.tables import PRODUCT_PERFORMANCE


class PartWriter(Protocol):
    def append_part(self, table: str, client_id: str, data: pa.Table) -> str: ...


@dataclass
class PerformanceReport:
    days: list[date] = field(default_factory=list)
    rows: int = 0
    page_views: int = 0
    orders: int = 0


def performance_rows(
    client_id: str, channel: str, products: list[ProductDay], ingested_at: datetime
) -> list[dict]:
    """The lake rows of a channel's product days."""
    return [
        {
            "client_id": client_id,
            "channel": channel,
            "date": p.day,
            "channel_product_id": p.channel_product_id,
            "page_views": p.page_views,
            "impressions": p.impressions,
            "orders": p.orders,
            "units": p.units,
            "gmv": p.gmv,
            "currency": p.currency,
            "ingested_at": ingested_at,
        }
        for p in products
    ]


def collect_product_performance(
    client_id: str, session: ChannelSession, lake: PartWriter, days: int, today: date | None = None
) -> PerformanceReport:
    """The channel's product performance of the `days` full days before `today` (UTC), oldest first,
    appended to the lake with the run's calls in `sync_log`. A day the channel fails to give fails the
    run (and is logged as failed): the next run reads it again."""
    now = datetime.now(UTC)
    today = today or now.date()
    channel, api = str(session.capabilities.name), session.capabilities.api_name
    sync = SyncLog(client_id, Lane.ANALYTICS.value, channel)
    report = PerformanceReport()
    rows: list[dict] = []
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        with sync.timed("shop_products_performance", api, day.isoformat()):
            products = list(session.product_performance(day))
        rows.extend(performance_rows(client_id, channel, products, now))
        report.days.append(day)
    lake.append_part("product_performance", client_id, pa.Table.from_pylist(rows, schema=PRODUCT_PERFORMANCE))
    lake.append_part("sync_log", client_id, sync.table())
    report.rows = len(rows)
    report.page_views = sum(r["page_views"] for r in rows)
    report.orders = sum(r["orders"] for r in rows)
    return report
