"""The analytics lane, without Dagster: what a channel reports about a shop per day, into the lake: its
products (`product_performance`, the input of the analysts' views → orders conversion), the whole shop
(`shop_performance`), its videos (`video_performance`) and its LIVEs (`live_performance`).

A channel revises its recent days, so each run reads the last `days` full days again and appends them
as a new version; the analytics build keeps the newest version of each (client, channel, day, product).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Protocol

import pyarrow as pa

from tiktok_pipelines.channels.base import ChannelSession
from tiktok_pipelines.core.models.performance import ContentDay, ProductDay, ShopDay
from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.core.synclog import SyncLog
from tiktok_pipelines.core.tables import (
    APPEND_ONLY_TABLES,
)


class PartWriter(Protocol):
    def append_part(self, table: str, client_id: str, data: pa.Table) -> str: ...


@dataclass
class PerformanceReport:
    days: list[date] = field(default_factory=list)
    rows: int = 0
    page_views: int = 0
    orders: int = 0
    gmv: Decimal = Decimal("0")


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


def shop_rows(client_id: str, channel: str, days: list[ShopDay], ingested_at: datetime) -> list[dict]:
    """The lake rows of a channel's shop days."""
    return [
        {"client_id": client_id, "channel": channel, "ingested_at": ingested_at}
        | {k: v for k, v in asdict(d).items() if k != "day"}
        | {"date": d.day}
        for d in days
    ]


def content_rows(client_id: str, channel: str, items: list[ContentDay], ingested_at: datetime) -> list[dict]:
    """The lake rows of a channel's video or LIVE days (`video_id` or `live_id` after their kind)."""
    return [
        {"client_id": client_id, "channel": channel, "date": c.day, f"{c.kind}_id": c.content_id}
        | {k: v for k, v in asdict(c).items() if k not in ("kind", "content_id", "day")}
        | {"ingested_at": ingested_at}
        for c in items
    ]


def _collect(
    client_id: str,
    session: ChannelSession,
    lake: PartWriter,
    days: int,
    today: date | None,
    table: str,
    operation: str,
    fetch: Callable[[date], Iterable],
    rows_of: Callable[[str, str, list, datetime], list[dict]],
) -> PerformanceReport:
    """The channel's report `fetch` of the `days` full days before `today` (UTC), oldest first, appended
    to the lake's `table` with the run's calls in `sync_log`. A day the channel fails to give fails the
    run (and is logged as failed), and nothing is written: the next run reads it again."""
    now = datetime.now(UTC)
    today = today or now.date()
    channel, api = str(session.capabilities.name), session.capabilities.api_name
    sync = SyncLog(client_id, Lane.ANALYTICS.value, channel)
    report = PerformanceReport()
    rows: list[dict] = []
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        with sync.timed(operation, api, day.isoformat()):
            items = list(fetch(day))
        rows.extend(rows_of(client_id, channel, items, now))
        report.days.append(day)
    schema = APPEND_ONLY_TABLES[table].schema
    lake.append_part(table, client_id, pa.Table.from_pylist(rows, schema=schema))
    lake.append_part("sync_log", client_id, sync.table())
    report.rows = len(rows)
    report.page_views = sum(r.get("page_views") or r.get("views") or 0 for r in rows)
    report.orders = sum(r["orders"] or 0 for r in rows)
    report.gmv = sum((r["gmv"] or 0 for r in rows), Decimal("0"))
    return report


def _shop_days(session: ChannelSession) -> Callable[[date], list[ShopDay]]:
    def fetch(day: date) -> list[ShopDay]:
        shop_day = session.shop_performance(day)
        return [shop_day] if shop_day is not None else []  # a day not reported has no row

    return fetch


# Lake table → (the operation its calls are logged as, what reads a day of it, its rows).
REPORTS: dict[str, tuple[str, Callable[[ChannelSession], Callable[[date], Iterable]], Callable]] = {
    "product_performance": ("shop_products_performance", lambda s: s.product_performance, performance_rows),
    "shop_performance": ("shop_performance", _shop_days, shop_rows),
    "video_performance": ("shop_videos_performance", lambda s: s.video_performance, content_rows),
    "live_performance": ("shop_lives_performance", lambda s: s.live_performance, content_rows),
}


def collect_performance(
    table: str,
    client_id: str,
    session: ChannelSession,
    lake: PartWriter,
    days: int,
    today: date | None = None,
) -> PerformanceReport:
    """The channel's report of REPORTS[`table`] for the last `days` full days (see `_collect`)."""
    operation, reader, rows_of = REPORTS[table]
    return _collect(client_id, session, lake, days, today, table, operation, reader(session), rows_of)


collect_product_performance = partial(collect_performance, "product_performance")
collect_shop_performance = partial(collect_performance, "shop_performance")
collect_video_performance = partial(collect_performance, "video_performance")
collect_live_performance = partial(collect_performance, "live_performance")
