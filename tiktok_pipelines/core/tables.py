"""Schemas of the lake's tables and a writer that streams rows into Parquet in bounded batches.

Money is DECIMAL(14,2), times are UTC timestamps, and every table carries `client_id`. A table whose
rows are a sales channel's carries `channel` (a `ChannelName` value) next to it, and names the ids the
channel gives `channel_product_id`, `channel_sku_id`, `channel_category_id`, `channel_warehouse_id`;
the VTEX SKU id is `vtex_sku_id`.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate
from operator import attrgetter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tiktok_pipelines.core.creator_tables import (
    CREATOR_PROFILES,
    CREATOR_RECOMMENDATIONS,
    CREATOR_VIDEO_METRICS,
    CREATOR_VIDEOS,
)
from tiktok_pipelines.core.feed import FeedItem
from tiktok_pipelines.core.feed_fields import FEED_FIELDS, ITEM_COLUMNS
from tiktok_pipelines.core.names import ChannelName

MONEY = pa.decimal128(14, 2)
UTC_TS = pa.timestamp("us", tz="UTC")

# The Arrow type of each kind of feed field (`core.feed_fields`).
_FEED_KINDS = {
    "text": pa.string(),
    "money": MONEY,
    "weight": pa.decimal128(10, 3),
    "list": pa.list_(pa.string()),
}
FEED_PRODUCTS = pa.schema(
    [
        ("client_id", pa.string()),
        *((f.column, _FEED_KINDS[f.kind]) for f in FEED_FIELDS),
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
        ("channel", pa.string()),  # the channel whose publication the feed is compared with
        ("product_key", pa.string()),  # item_group_id (or seller_sku of a single-SKU product)
        ("status", pa.string()),  # new | changed | removed | unchanged
        ("seller_skus", pa.list_(pa.string())),
        ("product_hash", pa.string()),  # over the product's SKUs' content hashes in the current feed
        ("published_hash", pa.string()),  # the same, of what was last published on the channel
        ("channel_product_id", pa.string()),
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
        ("channel", pa.string()),
        ("product_key", pa.string()),
        # category | brand | attributes | images | validation | tiktok (the channel refused it) | delete
        ("stage", pa.string()),
        ("severity", pa.string()),  # error (not sent) | warning (sent anyway)
        ("message", pa.string()),
        ("channel_category_id", pa.string()),
        ("snapshot_hash", pa.string()),
        ("at", UTC_TS),
    ]
)

# ---------------------------------------------------------------- sales and sync tables
# Written as append-only parts (`ParquetLake.append_part`): each run adds the rows it changed, with
# `ingested_at`; readers keep the newest row per key (orders: client_id + channel + order_id; lines:
# + line_id; listings: client_id + channel + seller_sku; product performance: client_id + channel + date +
# channel_product_id). History tables are facts and are never deduplicated. `APPEND_ONLY_TABLES` (below
# the schemas) lists every one with its key, and the former names of columns that parts written before
# the channel ids were named still carry.

ORDERS = pa.schema(
    [
        ("client_id", pa.string()),
        ("channel", pa.string()),
        ("order_id", pa.string()),  # the channel's order id
        ("status", pa.string()),  # the channel's order status
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
        ("channel", pa.string()),
        ("order_id", pa.string()),
        ("line_id", pa.string()),
        ("channel_product_id", pa.string()),
        ("channel_sku_id", pa.string()),
        ("seller_sku", pa.string()),
        ("product_name", pa.string()),
        ("sku_name", pa.string()),
        ("quantity", pa.int32()),
        ("original_price", MONEY),  # unit list price
        ("sale_price", MONEY),  # unit price paid before platform discount
        ("seller_discount", MONEY),  # the line's whole discount funded by the seller (all units)
        ("platform_discount", MONEY),  # the line's whole discount funded by the channel (all units)
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
        ("channel", pa.string()),
        ("product_key", pa.string()),  # item_group_id (or seller_sku of a single-SKU product)
        ("seller_sku", pa.string()),
        ("channel_product_id", pa.string()),
        ("channel_sku_id", pa.string()),
        ("title", pa.string()),
        ("status", pa.string()),  # the channel's product status
        ("price", MONEY),
        ("list_price", MONEY),
        ("currency", pa.string()),
        ("quantity", pa.int64()),
        ("updated_at", UTC_TS),
        ("ingested_at", UTC_TS),
    ]
)


def _push_history(*pushed: tuple[str, pa.DataType]) -> pa.Schema:
    """A history of the pushes of one kind to a channel (facts, one row per SKU and push): the SKU, what
    the push sent (`pushed`), when, why and with what outcome."""
    return pa.schema(
        [
            ("client_id", pa.string()),
            ("channel", pa.string()),
            ("seller_sku", pa.string()),
            ("channel_sku_id", pa.string()),
            *pushed,
            ("pushed_at", UTC_TS),
            ("trigger", pa.string()),  # realtime | incremental | full
            ("result", pa.string()),  # ok | failed
            ("error_code", pa.string()),
            ("error_message", pa.string()),
        ]
    )


STOCK_HISTORY = _push_history(("channel_warehouse_id", pa.string()), ("quantity", pa.int64()))
PRICE_HISTORY = _push_history(("price", MONEY), ("list_price", MONEY), ("currency", pa.string()))


def _vtex_snapshot(*read: tuple[str, pa.DataType]) -> pa.Schema:
    """A snapshot of the stock and price sync (a whole file, replaced by each reconcile run): what VTEX said
    of each SKU (`read`), under the SKU's ids, and when it was read."""
    return pa.schema(
        [
            ("client_id", pa.string()),
            ("channel", pa.string()),
            ("seller_sku", pa.string()),
            ("vtex_sku_id", pa.string()),
            ("channel_sku_id", pa.string()),
            *read,
            ("read_at", UTC_TS),
        ]
    )


VTEX_STOCK = _vtex_snapshot(
    ("vtex_warehouse_id", pa.string()),
    ("channel_warehouse_id", pa.string()),  # where this warehouse's stock goes (warehouse map)
    ("available", pa.int64()),  # total − reserved
    ("unlimited", pa.bool_()),
)
VTEX_PRICES = _vtex_snapshot(
    ("trade_policy", pa.string()),
    ("price", MONEY),  # VTEX computed selling price on the trade policy
    ("list_price", MONEY),
    ("target_price", MONEY),  # after markup and rounding: what the channel should show
    ("target_list_price", MONEY),
    ("currency", pa.string()),
)

PRODUCT_PERFORMANCE = pa.schema(
    [
        ("client_id", pa.string()),
        ("channel", pa.string()),
        ("date", pa.date32()),  # the shop's reporting date, as the channel's analytics give it
        ("channel_product_id", pa.string()),
        ("page_views", pa.int64()),
        ("impressions", pa.int64()),
        ("orders", pa.int64()),
        ("units", pa.int64()),
        ("gmv", MONEY),
        ("currency", pa.string()),
        ("ingested_at", UTC_TS),
    ]
)

SHOP_PERFORMANCE = pa.schema(
    [
        ("client_id", pa.string()),
        ("channel", pa.string()),
        ("date", pa.date32()),  # the shop's reporting date, as the channel's analytics give it
        ("gmv", MONEY),  # null: a figure the channel did not report (the answers' fields are UNCONFIRMED)
        ("currency", pa.string()),
        *((count, pa.int64()) for count in ("orders", "units", "buyers", "page_views", "visitors")),
        ("ingested_at", UTC_TS),
    ]
)


def _content_performance(id_column: str) -> pa.Schema:
    """A video's or LIVE's performance per reporting day: `video_performance`, `live_performance`."""
    return pa.schema(
        [
            ("client_id", pa.string()),
            ("channel", pa.string()),
            ("date", pa.date32()),
            (id_column, pa.string()),
            ("title", pa.string()),
            ("creator", pa.string()),  # the account that posted or hosted it (its public handle)
            ("started_at", UTC_TS),  # a video's post time, a LIVE's start
            ("ended_at", UTC_TS),  # a LIVE's end
            ("views", pa.int64()),
            ("viewers", pa.int64()),  # a LIVE's distinct viewers
            ("orders", pa.int64()),
            ("units", pa.int64()),
            ("gmv", MONEY),
            ("currency", pa.string()),
            ("click_through_rate", pa.float64()),
            ("ingested_at", UTC_TS),
        ]
    )


VIDEO_PERFORMANCE = _content_performance("video_id")
LIVE_PERFORMANCE = _content_performance("live_id")

SYNC_LOG = pa.schema(
    [
        ("client_id", pa.string()),
        ("channel", pa.string()),  # the channel the lane worked for (its VTEX calls included)
        ("at", UTC_TS),
        ("lane", pa.string()),  # catalog | stock_price | orders | fulfilment | tokens | analytics
        ("operation", pa.string()),  # e.g. inventory_update, place_order, invoice_upload
        ("api", pa.string()),  # the API called: tiktok | vtex
        ("item_key", pa.string()),  # order id, seller_sku, package id...
        ("result", pa.string()),  # ok | failed | skipped
        ("error_code", pa.string()),
        ("error_message", pa.string()),
        ("duration_ms", pa.int64()),
    ]
)


# The channel of the rows of parts written before tables named their channel: all were TikTok Shop's.
FORMER_CHANNEL = ChannelName.TIKTOK_SHOP.value

# Columns that parts written before the channel ids were named carry under another name, per append-only
# table (current name → former name). Readers take either (`analytics.build.source_select`), and a part
# without `channel` is FORMER_CHANNEL's; compaction rewrites such parts under the current names.
FORMER_COLUMN_NAMES: dict[str, dict[str, str]] = {
    "order_lines": {"channel_product_id": "tiktok_product_id", "channel_sku_id": "tiktok_sku_id"},
    "listings": {"channel_product_id": "tiktok_product_id", "channel_sku_id": "tiktok_sku_id"},
    "product_performance": {"channel_product_id": "tiktok_product_id"},
    "stock_history": {"channel_sku_id": "tiktok_sku_id", "channel_warehouse_id": "warehouse_id"},
    "price_history": {"channel_sku_id": "tiktok_sku_id"},
}


@dataclass(frozen=True)
class AppendOnlyTable:
    """An append-only lake table: its schema, the key readers deduplicate on (None for facts, where
    every row counts) and the column that orders its rows in time."""

    name: str
    schema: pa.Schema
    key: tuple[str, ...] | None
    time_column: str

    @property
    def former_names(self) -> dict[str, str]:
        """Current column name → the name older parts carry it under (see FORMER_COLUMN_NAMES)."""
        return FORMER_COLUMN_NAMES.get(self.name, {})


APPEND_ONLY_TABLES: dict[str, AppendOnlyTable] = {
    t.name: t
    for t in (
        AppendOnlyTable("orders", ORDERS, ("client_id", "channel", "order_id"), "ingested_at"),
        AppendOnlyTable(
            "order_lines", ORDER_LINES, ("client_id", "channel", "order_id", "line_id"), "ingested_at"
        ),
        AppendOnlyTable("listings", LISTINGS, ("client_id", "channel", "seller_sku"), "ingested_at"),
        AppendOnlyTable(
            "product_performance",
            PRODUCT_PERFORMANCE,
            ("client_id", "channel", "date", "channel_product_id"),
            "ingested_at",
        ),
        AppendOnlyTable(
            "shop_performance", SHOP_PERFORMANCE, ("client_id", "channel", "date"), "ingested_at"
        ),
        AppendOnlyTable(
            "video_performance",
            VIDEO_PERFORMANCE,
            ("client_id", "channel", "date", "video_id"),
            "ingested_at",
        ),
        AppendOnlyTable(
            "live_performance", LIVE_PERFORMANCE, ("client_id", "channel", "date", "live_id"), "ingested_at"
        ),
        AppendOnlyTable("stock_history", STOCK_HISTORY, None, "pushed_at"),
        AppendOnlyTable("price_history", PRICE_HISTORY, None, "pushed_at"),
        AppendOnlyTable("sync_log", SYNC_LOG, None, "at"),
        # The creator tables' folders are per creator (`creator_id=`), not per client.
        AppendOnlyTable("creator_profiles", CREATOR_PROFILES, None, "snapshot_at"),
        AppendOnlyTable("creator_videos", CREATOR_VIDEOS, ("creator_id", "video_id"), "ingested_at"),
        AppendOnlyTable("creator_video_metrics", CREATOR_VIDEO_METRICS, None, "snapshot_at"),
        AppendOnlyTable("creator_recommendations", CREATOR_RECOMMENDATIONS, None, "generated_at"),
    )
}


# Rows of `feed_products` per Parquet row group: a feed row holds about 1.5 KB of text, and a few
# batches are held at once (one being read, one waiting, one being encoded). Measured at 100k items:
# 500 rows cost more CPU and memory (per-group encoder setup and metadata); 4,000 save ~4 % of the CPU
# but hold ~10 MB more and overlap less with the parse.
FEED_PRODUCTS_BATCH_ROWS = 1_000
# Columns of `feed_products` with few distinct values, worth a Parquet dictionary.
FEED_PRODUCTS_DICTIONARY = ("client_id", *(f.column for f in FEED_FIELDS if f.few_values), "snapshot_hash")


_NO_EXTRA: list = []  # shared by every row without extra fields; nothing mutates it


item_column_values = attrgetter(*ITEM_COLUMNS)
_ITEM_TAIL = attrgetter("line", "content_hash")


def feed_product_values(client_id: str, item: FeedItem, snapshot_hash: str) -> tuple:
    """A `FEED_PRODUCTS` row of a parsed feed item, in column order (for `append_values`)."""
    extra = list(item.extra.items()) if item.extra else _NO_EXTRA
    return (client_id, *item_column_values(item), extra, *_ITEM_TAIL(item), snapshot_hash)


_ITEM_ATTRIBUTES = {name: attrgetter(name) for name in FEED_PRODUCTS.names if name in FeedItem.__slots__}


def feed_product_columns(client_id: str, snapshot_hash: str) -> Callable[[list[FeedItem]], list[list]]:
    """For `ParquetRowWriter(columns_of=...)`: a batch of parsed items as `FEED_PRODUCTS` columns."""

    def columns(items: list[FeedItem]) -> list[list]:
        out: list[list] = []
        for name in FEED_PRODUCTS.names:
            if name == "client_id":
                out.append([client_id] * len(items))
            elif name == "snapshot_hash":
                out.append([snapshot_hash] * len(items))
            elif name == "extra":
                out.append([list(i.extra.items()) if i.extra else _NO_EXTRA for i in items])
            else:
                out.append(list(map(_ITEM_ATTRIBUTES[name], items)))
        return out

    return columns


def feed_product_row(client_id: str, item: FeedItem, snapshot_hash: str) -> dict:
    """A `FEED_PRODUCTS` row of a parsed feed item."""
    return dict(zip(FEED_PRODUCTS.names, feed_product_values(client_id, item, snapshot_hash), strict=True))


# Columns of the types the feed uses (strings, decimals, lists of strings, string maps, integers) are
# built straight from Arrow buffers: about as fast as `pa.array` on Python objects, and without its
# import of pandas on first use (tens of MB in a process that otherwise never needs it). Other types go
# through `pa.array`, and so does a value of an unexpected Python type, so errors are pyarrow's own.
_INT_CODES = {pa.int32(): "i", pa.int64(): "q"}
_DECIMAL_TYPES = {Decimal, type(None)}
_INT_TYPES = {int}
_LIST_TYPES = {list, type(None)}
_LIST_ONLY = {list}


def _validity(values: Sequence[Any], nulls: int) -> pa.Buffer | None:
    """Arrow's validity bitmap (bit i set: value i present); None when nothing is missing."""
    if not nulls:
        return None
    bits = bytearray(b"\xff" * ((len(values) + 7) // 8))
    for i in [i for i, v in enumerate(values) if v is None]:
        bits[i >> 3] &= ~(1 << (i & 7)) & 0xFF
    return pa.py_buffer(bits)


def _offsets(lengths: Iterable[int]) -> pa.Buffer | None:
    offsets = array("i", accumulate(lengths, initial=0))
    return pa.py_buffer(offsets) if offsets[-1] < 2**31 - 1 else None


def _strings(values: Sequence[Any]) -> pa.Array | None:
    n, nulls = len(values), values.count(None)
    if nulls == n:
        return pa.nulls(n, pa.string())
    present = [("" if v is None else v) for v in values] if nulls else values
    try:
        text = "\x00".join(present)
    except TypeError:  # not all str
        return None
    if text.isascii():  # one encode, and byte lengths are character lengths
        data, lengths = text.replace("\x00", "").encode("ascii"), map(len, present)
        if len(data) != len(text) - (n - 1):  # a value held a NUL itself
            return None
    else:
        parts = text.encode("utf-8").split(b"\x00")
        if len(parts) != n:
            return None
        data, lengths = b"".join(parts), map(len, parts)
    offsets = _offsets(lengths)
    if offsets is None:
        return None
    return pa.Array.from_buffers(
        pa.string(), n, [_validity(values, nulls), offsets, pa.py_buffer(data)], null_count=nulls
    )


def _buffers_array(values: Sequence[Any], type_: pa.DataType) -> pa.Array | None:
    if type_ == pa.string():
        return _strings(values)
    if pa.types.is_decimal(type_):
        if not set(map(type, values)) <= _DECIMAL_TYPES:
            return None
        text = _strings([None if v is None else str(v) for v in values])
        return None if text is None else text.cast(type_)
    code = _INT_CODES.get(type_)
    if code is not None:
        if set(map(type, values)) != _INT_TYPES:
            return None
        return pa.Array.from_buffers(type_, len(values), [None, pa.py_buffer(array(code, values))])
    if pa.types.is_list(type_) and type_.value_type == pa.string():
        nulls = values.count(None)
        if not set(map(type, values)) <= _LIST_TYPES:
            return None
        offsets = _offsets((0 if v is None else len(v) for v in values) if nulls else map(len, values))
        child = _strings([x for v in values if v for x in v])
        if offsets is None or child is None:
            return None
        return pa.Array.from_buffers(
            type_, len(values), [_validity(values, nulls), offsets], null_count=nulls, children=[child]
        )
    if pa.types.is_map(type_) and type_.key_type == pa.string() and type_.item_type == pa.string():
        if set(map(type, values)) != _LIST_ONLY:
            return None
        offsets = _offsets(map(len, values))
        keys = _strings([k for v in values for k, _ in v])
        items = _strings([i for v in values for _, i in v])
        if offsets is None or keys is None or items is None or keys.null_count:
            return None
        return pa.MapArray.from_arrays(
            pa.Array.from_buffers(pa.int32(), len(values) + 1, [None, offsets]), keys, items, type=type_
        )
    return None


def column_array(values: Sequence[Any], type_: pa.DataType) -> pa.Array:
    """A column of Python values as an Arrow array of `type_` (same values and errors as `pa.array`)."""
    try:
        built = _buffers_array(values, type_)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError, OverflowError):
        built = None  # pyarrow converts it, or raises its own error
    return built if built is not None else pa.array(values, type=type_)


class ParquetRowWriter:
    """Appends rows and writes them as row groups of `batch_rows`; memory stays bounded.

    Rows are dicts (`append`) or sequences in the schema's column order (`append_values`, the fast path).
    `dictionary_columns` names the columns worth dictionary encoding (few distinct values); by default
    every column is tried, as pyarrow does.
    """

    def __init__(
        self,
        path: str | Path,
        schema: pa.Schema,
        batch_rows: int = 5_000,
        dictionary_columns: Sequence[str] | None = None,
        columns_of: Callable[[list[Any]], list[Sequence[Any]]] | None = None,
    ):
        self.path = Path(path)
        self.schema = schema
        self.batch_rows = batch_rows
        self.rows_written = 0
        self._names = schema.names
        self._rows: list[Any] = []
        # With `columns_of`, rows are objects (`append_object`) and this turns a batch of them into
        # columns: faster than building a tuple per row and transposing.
        self._columns_of = columns_of
        self._writer = pq.ParquetWriter(
            str(self.path),
            schema,
            compression="zstd",
            use_dictionary=list(dictionary_columns) if dictionary_columns is not None else True,
        )

    def append(self, row: Mapping[str, Any]) -> None:
        get = row.get
        self.append_values([get(name) for name in self._names])

    def append_values(self, values: Sequence[Any]) -> None:
        self._rows.append(values)
        if len(self._rows) >= self.batch_rows:
            self.flush()

    def append_object(self, obj: Any) -> None:
        """A row as an object that the writer's `columns_of` reads."""
        self._rows.append(obj)
        if len(self._rows) >= self.batch_rows:
            self.flush()

    def write_batch(self, batch: pa.RecordBatch) -> None:
        """Rows already in columns (after any pending ones): written as one row group."""
        self.flush()
        self._writer.write_batch(batch)
        self.rows_written += batch.num_rows

    def extend(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.append(row)

    def flush(self) -> None:
        rows = self._rows
        if not rows:
            return
        self._rows = []
        values = self._columns_of(rows) if self._columns_of is not None else zip(*rows, strict=True)
        columns = zip(values, self.schema, strict=True)
        batch = pa.record_batch([column_array(c, f.type) for c, f in columns], schema=self.schema)
        self._writer.write_batch(batch)
        self.rows_written += len(rows)

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
