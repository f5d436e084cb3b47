"""The day's sales total per channel, from the lake's `orders` (every version the orders lane wrote, the
newest per order): the orders paid that local day, not cancelled, their count and what buyers paid
(`total`), recorded as one `daily_sales` notice per channel (a day with none: one notice saying 0)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq

from tiktok_pipelines.core import notices
from tiktok_pipelines.core.notifications import Notice
from tiktok_pipelines.core.tables import FORMER_CHANNEL
from tiktok_pipelines.stores.lake import ParquetLake

_COLUMNS = (
    "channel",
    "order_id",
    "currency",
    "total",
    "paid_at",
    "created_at",
    "cancel_reason",
    "ingested_at",
)


_NEVER = datetime.min.replace(tzinfo=UTC)


def _version(row: dict) -> datetime:
    return row.get("ingested_at") or _NEVER


@dataclass
class DayTotal:
    orders: int = 0
    gross: Decimal = Decimal("0")
    currency: str = ""


def day_totals(lake: ParquetLake, client_id: str, day: date, timezone: str) -> dict[str, DayTotal]:
    """Per channel, the orders paid on `day` (local to `timezone`) that are not cancelled."""
    zone = ZoneInfo(timezone)
    newest: dict[tuple[str, str], dict] = {}
    keys = ([lake.key("orders", client_id)] if lake.exists("orders", client_id) else []) + lake.parts(
        "orders", client_id
    )
    for key in keys:
        with lake.objects.local_copy(key) as path:
            present = set(pq.read_schema(path).names)
            rows = pq.read_table(path, columns=[c for c in _COLUMNS if c in present]).to_pylist()
        for row in rows:
            order = (row.get("channel") or FORMER_CHANNEL, row["order_id"])
            seen = newest.get(order)
            if seen is None or (row.get("ingested_at") or datetime.min) >= (
                seen.get("ingested_at") or datetime.min
            ):
                newest[order] = row
    totals: dict[str, DayTotal] = defaultdict(DayTotal)
    for (channel, _), row in newest.items():
        when: datetime | None = row.get("paid_at") or row.get("created_at")
        if when is None or row.get("cancel_reason") or when.astimezone(zone).date() != day:
            continue
        total = totals[channel]
        total.orders += 1
        total.gross += Decimal(str(row.get("total") or 0))
        total.currency = total.currency or (row.get("currency") or "")
    return dict(totals)


def daily_sales_notices(lake: ParquetLake, client_id: str, day: date, timezone: str) -> list[Notice]:
    totals = day_totals(lake, client_id, day, timezone) or {"": DayTotal()}
    return [
        notices.daily_sales(
            client_id, channel or None, day.isoformat(), t.orders, f"{t.gross:.2f}", t.currency
        )
        for channel, t in sorted(totals.items())
    ]
