"""TikTok's own analytics of the generated shops: the whole shop, its videos and its LIVEs per day,
derived from the generated sales (each sale order credited to one of a few videos, to the day's LIVE or
to the product page)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tiktok_pipelines.core.tables import LIVE_PERFORMANCE, SHOP_PERFORMANCE, VIDEO_PERFORMANCE
from tiktok_pipelines.sandbox.sales.arrays import build_table, ids, money, timestamps
from tiktok_pipelines.sandbox.sales.config import DAY_US, local_midnight_us
from tiktok_pipelines.sandbox.sales.orders import CHANNEL, Client, Orders, final_sale_lines

VIDEOS = 8
SOURCES = ("video", "live", "product_page")
SOURCE_SHARES = (0.3, 0.2, 0.5)
LIVE_START_HOUR = 19  # local time
LIVE_MINUTES = 120
HOUR_US = 3_600_000_000


def _per_order(c: Client, o: Orders) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per order: whether it is a sale, its units and its net (cents) over its sale lines."""
    sale = final_sale_lines(o)
    net = c.cat.price_cents[o.sku] * o.quantity - o.seller_discount - o.platform_discount
    units = np.bincount(o.line_order, weights=sale * o.quantity, minlength=o.n).astype(np.int64)
    gmv = np.bincount(o.line_order, weights=sale * net, minlength=o.n).round().astype(np.int64)
    return units > 0, units, gmv


def _sums(cell: np.ndarray, size: int, *values: np.ndarray) -> list[np.ndarray]:
    return [np.bincount(cell, weights=v, minlength=size).round().astype(np.int64) for v in values]


def channel_analytics_tables(c: Client, o: Orders, rng: np.random.Generator) -> dict[str, list[pa.Table]]:
    """Lake table → its parts: every day ingested the morning after, then the last three days again
    (the channel revises its recent days; the build keeps the newest version)."""
    cfg = c.cfg
    days = cfg.days
    sale, units, gmv = _per_order(c, o)
    source = rng.choice(len(SOURCES), size=o.n, p=SOURCE_SHARES)
    video = rng.integers(0, VIDEOS, size=o.n)
    midnight = local_midnight_us(cfg)
    dates = np.datetime64(cfg.start, "D") + np.arange(days).astype("timedelta64[D]")

    def common(day: np.ndarray) -> dict:
        n = len(day)
        return {
            "client_id": c.column(c.client_id, n),
            "channel": c.column(CHANNEL, n),
            "date": pa.array(dates[day], type=pa.date32()),
            "currency": c.column(cfg.currency, n),
            "ingested_at": timestamps(midnight + (day + 1) * DAY_US + 8 * HOUR_US),
        }

    ones = sale.astype(np.int64)
    day = np.arange(days)
    orders, sold, value = _sums(o.local_day[sale], days, ones[sale], units[sale], gmv[sale])
    views = np.round(orders * rng.uniform(25, 45, size=days)).astype(np.int64)
    shop = build_table(
        SHOP_PERFORMANCE,
        common(day)
        | {
            "gmv": money(value),
            "orders": orders,
            "units": sold,
            "buyers": np.round(orders * 0.95).astype(np.int64),
            "page_views": views,
            "visitors": views * 3 // 5,
        },
    )

    def content(kind: int, key: np.ndarray, count: int) -> tuple[np.ndarray, list[np.ndarray]]:
        chosen = sale & (source == kind)
        cell = o.local_day[chosen] * count + key[chosen]
        totals = _sums(cell, days * count, ones[chosen], units[chosen], gmv[chosen])
        return np.flatnonzero(totals[0]), totals

    cells, (v_orders, v_units, v_gmv) = content(0, video, VIDEOS)
    v_views = v_orders[cells] * 180 + rng.integers(50, 500, size=len(cells))
    v_day = cells // VIDEOS
    videos = build_table(
        VIDEO_PERFORMANCE,
        common(v_day)
        | {
            "video_id": ids(7_300_000_000_000 + c.number * 100, cells % VIDEOS),
            "title": [f"Look do dia #{v + 1}" for v in cells % VIDEOS],
            "creator": c.column(f"{c.client_id}.oficial", len(cells)),
            "started_at": timestamps(midnight + (cells % VIDEOS) * DAY_US // 2),
            "views": v_views,
            "orders": v_orders[cells],
            "units": v_units[cells],
            "gmv": money(v_gmv[cells]),
            "click_through_rate": np.round(v_orders[cells] * 1.6 / v_views, 4),
        },
    )
    live_days, (l_orders, l_units, l_gmv) = content(1, np.zeros(o.n, dtype=np.int64), 1)
    viewers = l_orders[live_days] * 25 + rng.integers(100, 400, size=len(live_days))
    starts = midnight + live_days * DAY_US + LIVE_START_HOUR * HOUR_US
    lives = build_table(
        LIVE_PERFORMANCE,
        common(live_days)
        | {
            "live_id": ids(7_400_000_000_000 + c.number * 1_000, live_days),
            "title": [f"LIVE de ofertas {str(d)[8:10]}/{str(d)[5:7]}" for d in dates[live_days]],
            "creator": c.column(f"{c.client_id}.oficial", len(live_days)),
            "started_at": timestamps(starts),
            "ended_at": timestamps(starts + LIVE_MINUTES * 60_000_000),
            "views": viewers * 3,
            "viewers": viewers,
            "orders": l_orders[live_days],
            "units": l_units[live_days],
            "gmv": money(l_gmv[live_days]),
            "click_through_rate": np.round(l_orders[live_days] * 2.0 / (viewers * 3), 4),
        },
    )
    tables = {"shop_performance": shop, "video_performance": videos, "live_performance": lives}
    revised_at = pa.scalar(timestamps(np.array([midnight + (days + 1) * DAY_US]))[0])
    return {name: [t, _revised(t, dates[-3], revised_at)] for name, t in tables.items()}


def _revised(table: pa.Table, since: np.datetime64, at: pa.Scalar) -> pa.Table:
    first = pa.array(np.array([since], dtype="datetime64[D]"), type=pa.date32())[0]
    recent = table.filter(pc.greater_equal(table["date"], first))
    column = table.schema.get_field_index("ingested_at")
    return recent.set_column(column, "ingested_at", pa.repeat(at, recent.num_rows))
