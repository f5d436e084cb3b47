"""Schemas of the lake's tables and a writer that streams rows into Parquet in bounded batches.

Money is DECIMAL(14,2), times are UTC timestamps, and every table carries `client_id`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tiktok_pipelines.domain.feed import FeedItem

MONEY = pa.decimal128(14, 2)
UTC_TS = pa.timestamp("us", tz="UTC")

FEED_PRODUCTS = pa.schema(
    [
        ("client_id", pa.string()),
        ("seller_sku", pa.string()),
        ("item_group_id", pa.string()),
        ("title", pa.string()),
        ("description", pa.string()),
        ("link", pa.string()),
        ("image_link", pa.string()),
        ("additional_image_links", pa.list_(pa.string())),
        ("price", MONEY),
        ("sale_price", MONEY),
        ("currency", pa.string()),
        ("sale_price_effective_date", pa.string()),
        ("availability", pa.string()),
        ("condition", pa.string()),
        ("brand", pa.string()),
        ("gtin", pa.string()),
        ("mpn", pa.string()),
        ("color", pa.string()),
        ("size", pa.string()),
        ("gender", pa.string()),
        ("age_group", pa.string()),
        ("material", pa.string()),
        ("pattern", pa.string()),
        ("google_product_category", pa.string()),
        ("product_type", pa.string()),
        ("shipping_weight_kg", pa.decimal128(10, 3)),
        ("extra", pa.map_(pa.string(), pa.string())),
        ("line", pa.int32()),
        ("content_hash", pa.string()),
        ("snapshot_hash", pa.string()),
    ]
)

FEED_PROBLEMS = pa.schema(
    [
        ("client_id", pa.string()),
        ("line", pa.int32()),
        ("seller_sku", pa.string()),
        ("field", pa.string()),
        ("severity", pa.string()),
        ("message", pa.string()),
        ("snapshot_hash", pa.string()),
    ]
)


FEED_DIFF = pa.schema(
    [
        ("client_id", pa.string()),
        ("product_key", pa.string()),  # item_group_id (or seller_sku of a single-SKU product)
        ("status", pa.string()),  # new | changed | removed | unchanged
        ("seller_skus", pa.list_(pa.string())),
        ("product_hash", pa.string()),  # over the product's SKUs' content hashes in the current feed
        ("published_hash", pa.string()),  # the same, of what was last published on TikTok
        ("tiktok_product_id", pa.string()),
        ("snapshot_hash", pa.string()),
    ]
)

VTEX_CATALOG = pa.schema(
    [
        ("client_id", pa.string()),
        ("seller_sku", pa.string()),
        ("vtex_sku_id", pa.string()),
        ("status", pa.string()),  # ok | not_found | failed | no_sku_id
        ("vtex_product_id", pa.string()),
        ("product_name", pa.string()),
        ("sku_name", pa.string()),
        ("description", pa.string()),
        ("brand_id", pa.string()),
        ("brand_name", pa.string()),
        ("category_id", pa.string()),  # the VTEX category the product is in
        ("category_path", pa.string()),  # "/1/11/"
        ("category_label", pa.string()),  # "Moda > Camisetas"
        ("global_category_id", pa.string()),
        ("ean", pa.string()),
        ("ref_id", pa.string()),
        ("image_urls", pa.list_(pa.string())),
        ("weight_kg", pa.decimal128(10, 3)),
        ("height_cm", pa.decimal128(10, 2)),
        ("width_cm", pa.decimal128(10, 2)),
        ("length_cm", pa.decimal128(10, 2)),
        ("specifications", pa.map_(pa.string(), pa.string())),
        ("is_active", pa.bool_()),
        ("feed_hash", pa.string()),  # the item's feed content hash when it was fetched
        ("fetched_at", UTC_TS),
        ("error", pa.string()),
    ]
)

LISTING_PROBLEMS = pa.schema(
    [
        ("client_id", pa.string()),
        ("product_key", pa.string()),
        ("stage", pa.string()),  # category | brand | attributes | images | validation | tiktok | delete
        ("severity", pa.string()),  # error (not sent) | warning (sent anyway)
        ("message", pa.string()),
        ("tiktok_category_id", pa.string()),
        ("snapshot_hash", pa.string()),
        ("at", UTC_TS),
    ]
)

# ---------------------------------------------------------------- sales and sync tables
# Written as append-only parts (`ParquetLake.append_part`): each run adds the rows it changed, with
# `ingested_at`; readers keep the newest row per key (orders: client_id + order_id; lines: + line_id;
# listings: + seller_sku; product performance: client_id + date + tiktok_product_id). History tables are
# facts and are never deduplicated. `APPEND_ONLY_TABLES` (below the schemas) lists every one with its key.

ORDERS = pa.schema(
    [
        ("client_id", pa.string()),
        ("order_id", pa.string()),  # TikTok order id
        ("status", pa.string()),  # TikTok order status
        ("vtex_order_id", pa.string()),  # {affiliateId}-{order_id} once placed in VTEX
        ("vtex_status", pa.string()),
        ("currency", pa.string()),
        ("subtotal", MONEY),  # payment.sub_total
        ("shipping_fee", MONEY),
        ("seller_discount", MONEY),
        ("platform_discount", MONEY),
        ("tax", MONEY),
        ("total", MONEY),  # payment.total_amount (what the buyer paid)
        ("line_count", pa.int32()),
        ("units", pa.int32()),
        ("shipping_type", pa.string()),
        ("is_cod", pa.bool_()),
        ("is_sample", pa.bool_()),
        ("recipient_region", pa.string()),  # region / state / city only: no personal data in the lake
        ("recipient_state", pa.string()),
        ("recipient_city", pa.string()),
        ("cancel_reason", pa.string()),
        ("cancellation_initiator", pa.string()),
        ("tracking_number", pa.string()),
        ("created_at", UTC_TS),
        ("paid_at", UTC_TS),
        ("updated_at", UTC_TS),
        ("ingested_at", UTC_TS),
    ]
)

ORDER_LINES = pa.schema(
    [
        ("client_id", pa.string()),
        ("order_id", pa.string()),
        ("line_id", pa.string()),
        ("tiktok_product_id", pa.string()),
        ("tiktok_sku_id", pa.string()),
        ("seller_sku", pa.string()),
        ("product_name", pa.string()),
        ("sku_name", pa.string()),
        ("quantity", pa.int32()),
        ("original_price", MONEY),  # unit list price
        ("sale_price", MONEY),  # unit price paid before platform discount
        ("seller_discount", MONEY),  # the line's whole discount funded by the seller (all units)
        ("platform_discount", MONEY),  # the line's whole discount funded by TikTok (all units)
        ("currency", pa.string()),
        ("status", pa.string()),  # line display_status
        ("package_id", pa.string()),
        ("created_at", UTC_TS),  # the order's create time
        ("ingested_at", UTC_TS),
    ]
)

LISTINGS = pa.schema(
    [
        ("client_id", pa.string()),
        ("product_key", pa.string()),  # item_group_id (or seller_sku of a single-SKU product)
        ("seller_sku", pa.string()),
        ("tiktok_product_id", pa.string()),
        ("tiktok_sku_id", pa.string()),
        ("title", pa.string()),
        ("status", pa.string()),  # TikTok product status
        ("price", MONEY),
        ("list_price", MONEY),
        ("currency", pa.string()),
        ("quantity", pa.int64()),
        ("updated_at", UTC_TS),
        ("ingested_at", UTC_TS),
    ]
)

STOCK_HISTORY = pa.schema(
    [
        ("client_id", pa.string()),
        ("seller_sku", pa.string()),
        ("tiktok_sku_id", pa.string()),
        ("warehouse_id", pa.string()),  # TikTok warehouse
        ("quantity", pa.int64()),
        ("pushed_at", UTC_TS),
        ("trigger", pa.string()),  # realtime | incremental | full
        ("result", pa.string()),  # ok | failed
        ("error_code", pa.string()),
        ("error_message", pa.string()),
    ]
)

PRICE_HISTORY = pa.schema(
    [
        ("client_id", pa.string()),
        ("seller_sku", pa.string()),
        ("tiktok_sku_id", pa.string()),
        ("price", MONEY),
        ("list_price", MONEY),
        ("currency", pa.string()),
        ("pushed_at", UTC_TS),
        ("trigger", pa.string()),
        ("result", pa.string()),
        ("error_code", pa.string()),
        ("error_message", pa.string()),
    ]
)

# Snapshots of the stock and price sync (whole files, replaced by each reconcile run): what VTEX said.
VTEX_STOCK = pa.schema(
    [
        ("client_id", pa.string()),
        ("seller_sku", pa.string()),
        ("vtex_sku_id", pa.string()),
        ("tiktok_sku_id", pa.string()),
        ("vtex_warehouse_id", pa.string()),
        ("tiktok_warehouse_id", pa.string()),  # where this warehouse's stock goes (warehouse map)
        ("available", pa.int64()),  # total − reserved
        ("unlimited", pa.bool_()),
        ("read_at", UTC_TS),
    ]
)

VTEX_PRICES = pa.schema(
    [
        ("client_id", pa.string()),
        ("seller_sku", pa.string()),
        ("vtex_sku_id", pa.string()),
        ("tiktok_sku_id", pa.string()),
        ("trade_policy", pa.string()),
        ("price", MONEY),  # VTEX computed selling price on the trade policy
        ("list_price", MONEY),
        ("target_price", MONEY),  # after markup and rounding: what TikTok should show
        ("target_list_price", MONEY),
        ("currency", pa.string()),
        ("read_at", UTC_TS),
    ]
)

PRODUCT_PERFORMANCE = pa.schema(
    [
        ("client_id", pa.string()),
        ("date", pa.date32()),  # the shop's reporting date, as TikTok's analytics API gives it
        ("tiktok_product_id", pa.string()),
        ("page_views", pa.int64()),
        ("impressions", pa.int64()),
        ("orders", pa.int64()),
        ("units", pa.int64()),
        ("gmv", MONEY),
        ("currency", pa.string()),
        ("ingested_at", UTC_TS),
    ]
)

SYNC_LOG = pa.schema(
    [
        ("client_id", pa.string()),
        ("at", UTC_TS),
        ("lane", pa.string()),  # catalog | stock_price | orders | fulfilment | tokens
        ("operation", pa.string()),  # e.g. inventory_update, place_order, invoice_upload
        ("api", pa.string()),  # tiktok | vtex
        ("item_key", pa.string()),  # order id, seller_sku, package id...
        ("result", pa.string()),  # ok | failed | skipped
        ("error_code", pa.string()),
        ("error_message", pa.string()),
        ("duration_ms", pa.int64()),
    ]
)


@dataclass(frozen=True)
class AppendOnlyTable:
    """An append-only lake table: its schema, the key readers deduplicate on (None for facts, where
    every row counts) and the column that orders its rows in time."""

    name: str
    schema: pa.Schema
    key: tuple[str, ...] | None
    time_column: str


APPEND_ONLY_TABLES: dict[str, AppendOnlyTable] = {
    t.name: t
    for t in (
        AppendOnlyTable("orders", ORDERS, ("client_id", "order_id"), "ingested_at"),
        AppendOnlyTable("order_lines", ORDER_LINES, ("client_id", "order_id", "line_id"), "ingested_at"),
        AppendOnlyTable("listings", LISTINGS, ("client_id", "seller_sku"), "ingested_at"),
        AppendOnlyTable(
            "product_performance",
            PRODUCT_PERFORMANCE,
            ("client_id", "date", "tiktok_product_id"),
            "ingested_at",
        ),
        AppendOnlyTable("stock_history", STOCK_HISTORY, None, "pushed_at"),
        AppendOnlyTable("price_history", PRICE_HISTORY, None, "pushed_at"),
        AppendOnlyTable("sync_log", SYNC_LOG, None, "at"),
    )
}


def feed_product_row(client_id: str, item: FeedItem, snapshot_hash: str) -> dict:
    """A `FEED_PRODUCTS` row of a parsed feed item."""
    return {
        "client_id": client_id,
        "seller_sku": item.seller_sku,
        "item_group_id": item.item_group_id,
        "title": item.title,
        "description": item.description,
        "link": item.link,
        "image_link": item.image_link,
        "additional_image_links": item.additional_image_links,
        "price": item.price,
        "sale_price": item.sale_price,
        "currency": item.currency,
        "sale_price_effective_date": item.sale_price_effective_date,
        "availability": item.availability,
        "condition": item.condition,
        "brand": item.brand,
        "gtin": item.gtin,
        "mpn": item.mpn,
        "color": item.color,
        "size": item.size,
        "gender": item.gender,
        "age_group": item.age_group,
        "material": item.material,
        "pattern": item.pattern,
        "google_product_category": item.google_product_category,
        "product_type": item.product_type,
        "shipping_weight_kg": item.shipping_weight_kg,
        "extra": list(item.extra.items()),
        "line": item.line,
        "content_hash": item.content_hash,
        "snapshot_hash": snapshot_hash,
    }


class ParquetRowWriter:
    """Appends dict rows and writes them as row groups of `batch_rows`; memory stays bounded."""

    def __init__(self, path: str | Path, schema: pa.Schema, batch_rows: int = 5_000):
        self.path = Path(path)
        self.schema = schema
        self.batch_rows = batch_rows
        self.rows_written = 0
        self._rows: list[Mapping[str, Any]] = []
        self._writer = pq.ParquetWriter(str(self.path), schema, compression="zstd")

    def append(self, row: Mapping[str, Any]) -> None:
        self._rows.append(row)
        if len(self._rows) >= self.batch_rows:
            self.flush()

    def extend(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.append(row)

    def flush(self) -> None:
        rows = self._rows
        if not rows:
            return
        arrays = [pa.array([r.get(f.name) for r in rows], type=f.type) for f in self.schema]
        self._writer.write_batch(pa.record_batch(arrays, schema=self.schema))
        self.rows_written += len(rows)
        self._rows = []

    def close(self) -> None:
        self.flush()
        self._writer.close()

    def abort(self) -> None:
        """Closes the file without writing what is pending (the caller discards it)."""
        self._writer.close()

    def __enter__(self) -> ParquetRowWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_rows(path: str | Path, schema: pa.Schema, rows: Iterable[Mapping[str, Any]]) -> int:
    with ParquetRowWriter(path, schema) as writer:
        writer.extend(rows)
    return writer.rows_written
