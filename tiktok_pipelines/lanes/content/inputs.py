"""What the content rules read: a creator's current videos with their newest counts (from the creator
lake), the shop's recent sales per product (from the published analytics database), and the creator's
stored recommendations."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq

from tiktok_pipelines.core.content import ProductSales, VideoStats
from tiktok_pipelines.stores.creator_lake import CreatorLake, creator_prefix


def _parts(lake: CreatorLake, table: str, creator_id: str) -> list[str]:
    return sorted(k for k in lake.objects.list_keys(creator_prefix(table, creator_id)) if "/part-" in k)


def _read(lake: CreatorLake, key: str, columns: list[str] | None = None) -> pa.Table:
    with lake.objects.local_copy(key) as path:
        return pq.read_table(path, columns=columns)


def creator_videos(lake: CreatorLake, creator_id: str) -> list[VideoStats]:
    """The creator's current videos (the newest list synced) with the newest counts of each; a video not
    measured yet counts 0 views."""
    parts = _parts(lake, "creator_videos", creator_id)
    if not parts:
        return []
    videos = _read(lake, parts[-1]).to_pylist()
    newest: dict[str, dict] = {}
    for key in _parts(lake, "creator_video_metrics", creator_id):
        for row in _read(lake, key).to_pylist():
            held = newest.get(row["video_id"])
            if held is None or row["snapshot_at"] >= held["snapshot_at"]:
                newest[row["video_id"]] = row
    out = []
    for v in videos:
        m = newest.get(v["video_id"], {})
        out.append(
            VideoStats(
                video_id=v["video_id"],
                posted_at=v["created_at"],
                title=v["title"],
                description=v["description"],
                duration_seconds=v["duration_seconds"],
                views=m.get("views") or 0,
                likes=m.get("likes") or 0,
                comments=m.get("comments") or 0,
                shares=m.get("shares") or 0,
            )
        )
    return out


def shop_sales(con, client_id: str, as_of: datetime, days: int) -> list[ProductSales]:
    """The client's sales per product over the last `days` days up to `as_of`'s (its day included), from
    `product_daily` of an open analytics database, with the seller SKUs its order lines carried."""
    since = (as_of - timedelta(days=days)).date()  # excluded
    rows = con.execute(
        """
        WITH sold AS (
            SELECT channel_product_id, arg_max(product_name, day) AS product_name, sum(orders) AS orders,
                   sum(units) AS units, sum(net) AS net, arg_max(currency, day) AS currency
            FROM product_daily WHERE client_id = ? AND day > ? AND day <= ?
            GROUP BY channel_product_id),
        skus AS (
            SELECT channel_product_id, list(DISTINCT seller_sku ORDER BY seller_sku) AS seller_skus
            FROM order_lines WHERE client_id = ? AND seller_sku IS NOT NULL GROUP BY channel_product_id)
        SELECT s.channel_product_id, s.product_name, s.orders, s.units, s.net, s.currency, k.seller_skus
        FROM sold s LEFT JOIN skus k USING (channel_product_id)
        ORDER BY s.net DESC, s.channel_product_id
        """,
        [client_id, since, as_of.date(), client_id],
    ).fetchall()
    return [
        ProductSales(
            channel_product_id=str(pid),
            product_name=name,
            orders=int(orders or 0),
            units=int(units or 0),
            net=net,
            currency=currency,
            seller_skus=tuple(skus or ()),
        )
        for pid, name, orders, units, net, currency, skus in rows
    ]


def latest_recommendations(lake: CreatorLake, creator_id: str) -> list[dict]:
    """The rows of the creator's newest recommendations run (none before the first), `details` parsed."""
    parts = _parts(lake, "creator_recommendations", creator_id)
    if not parts:
        return []
    rows = _read(lake, parts[-1]).to_pylist()
    newest = max(r["generated_at"] for r in rows)
    return [{**r, "details": json.loads(r["details"] or "{}")} for r in rows if r["generated_at"] == newest]
