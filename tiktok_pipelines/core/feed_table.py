"""A feed parsed straight into its `feed_products` table, with its product hashes.

Two readers give the same rows, problems, summary and hashes. The reference is `FeedParser.iter`: each
item read in Python into a `FeedItem`, then turned into columns. The compiled one (`_feed_rows`, built
with the package when a C compiler is there, see setup.py) reads an item that is in the plain form most
feeds use (prices as `199.90 BRL`, weights as `1.500 kg`, known availability values, no problem to
report) from libxml2's nodes into column buffers, and leaves every other item to `FeedParser`, whose
row it appends in its place. lxml still parses the whole document and every check of the document
stays `FeedParser.elements`'s: a malformed feed fails the same way, with the same message.
"""

from __future__ import annotations

import logging
import queue
import threading
from array import array
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
from lxml import etree

from tiktok_pipelines.core import feed as _feed
from tiktok_pipelines.core.catalog_diff import ProductHashes
from tiktok_pipelines.core.feed import FeedItem, FeedParser
from tiktok_pipelines.core.feed_fields import ITEM_COLUMNS
from tiktok_pipelines.core.tables import (
    FEED_PRODUCTS,
    FEED_PRODUCTS_BATCH_ROWS,
    ParquetRowWriter,
    item_column_values,
)

try:
    from tiktok_pipelines.core import _feed_rows
except ImportError:  # not built (no C compiler at install): the reference reader serves alone
    _feed_rows = None
else:
    Mapping.register(_feed_rows.ProductSums)

log = logging.getLogger(__name__)

PREVIEW_ROWS = 10
_PREVIEW_COLUMNS = ("seller_sku", "title", "price", "sale_price", "brand", "availability")
# A batch is written out at FEED_PRODUCTS_BATCH_ROWS rows, or earlier once its text reaches this size.
_BATCH_BYTES = 64 << 20
_COLUMN_FIELDS = [FEED_PRODUCTS.field(name) for name in FEED_PRODUCTS.names[1:-1]]
_SCALES = {f.name: f.type.scale for f in _COLUMN_FIELDS if pa.types.is_decimal(f.type)}


@dataclass
class FeedTable:
    """What writing a feed's table gave besides the file: its rows, products and a preview."""

    rows: int = 0
    products: ProductHashes = field(default_factory=ProductHashes)  # or its compiled twin, ProductSums
    preview: list[dict] = field(default_factory=list)
    compiled: bool = False  # whether the compiled reader read the plain items

    def product_hashes(self) -> Mapping[str, str]:
        """Product key → product hash (as `diff_catalogs` reads them). The compiled reader's are read
        from its own table as they are asked for, rather than copied into a dict."""
        if isinstance(self.products, Mapping):
            return self.products
        return self.products.hexdigests()


def write_feed_products(
    parser: FeedParser,
    source: str | Path | BinaryIO | bytes,
    writer: ParquetRowWriter,
    client_id: str,
    snapshot_hash: str,
    compiled: bool | None = None,
) -> FeedTable:
    """Parses the feed into `writer` (a `feed_products` writer made with `feed_product_columns`), in
    document order; problems and totals go to `parser.summary`. Raises FeedFormatError for a feed that
    cannot be read whole (the caller aborts the writer). `compiled`: None uses the compiled reader when
    it is there, False the reference reader alone."""
    if compiled is None:
        compiled = COMPILED
    elif compiled and not COMPILED:
        raise RuntimeError("the compiled feed reader is not available (tiktok_pipelines.core._feed_rows)")
    if compiled:
        return _write_compiled(parser, source, writer, client_id, snapshot_hash)
    return _write_reference(parser, source, writer)


def _write_reference(parser: FeedParser, source, writer: ParquetRowWriter) -> FeedTable:
    table = FeedTable()
    add = table.products.add
    for entry in parser.iter(source):
        if entry.__class__ is FeedItem:
            writer.append_object(entry)
            add(entry.seller_sku, entry.item_group_id, entry.content_hash)
            if len(table.preview) < PREVIEW_ROWS:
                table.preview.append({name: getattr(entry, name) for name in _PREVIEW_COLUMNS})
            table.rows += 1
    return table


class _RowGroupWriter:
    """Writes row groups from one thread of its own while the parse goes on: Parquet's encoding and
    compression release the GIL, so they run on a second core. At most one batch waits."""

    def __init__(self, writer: ParquetRowWriter):
        self._writer = writer
        self._batches: queue.Queue[pa.RecordBatch | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="feed-row-groups", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (batch := self._batches.get()) is not None:
            if self._error is None:
                try:
                    self._writer.write_batch(batch)
                except BaseException as exc:  # handed to the parsing thread
                    self._error = exc

    def write(self, batch: pa.RecordBatch) -> None:
        self._raise()
        self._batches.put(batch)

    def close(self, quiet: bool = False) -> None:
        """Waits for the batches given so far; raises the writer's error, if any, unless `quiet` (the
        parse failed: its error is the one to report)."""
        self._batches.put(None)
        self._thread.join()
        if not quiet:
            self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error


def _write_compiled(
    parser: FeedParser, source, writer: ParquetRowWriter, client_id: str, snapshot_hash: str
) -> FeedTable:
    table = FeedTable(compiled=True)
    rows = new_rows()
    read, add_row = rows.read, rows.add
    if parser._seen:
        raise ValueError("write_feed_products takes a FeedParser that has read nothing yet")
    # Both readers look duplicates up in one index, kept compact (a 100k-item feed's SKUs in ~5 MB).
    seen = parser._seen = _feed_rows.SkuIndex()
    sums = table.products = _feed_rows.ProductSums()  # ProductHashes kept in C (~50 bytes a product)
    add_product = sums.add
    read_item = parser.read_item
    batch_rows = FEED_PRODUCTS_BATCH_ROWS
    row_groups = _RowGroupWriter(writer)

    def flush() -> None:
        count, columns = rows.take()
        if not count:
            return
        batch = _record_batch(count, columns, client_id, snapshot_hash)
        if len(table.preview) < PREVIEW_ROWS:
            head = batch.slice(0, PREVIEW_ROWS - len(table.preview)).select(list(_PREVIEW_COLUMNS))
            table.preview.extend(head.to_pylist())
        row_groups.write(batch)
        table.rows += count

    try:
        for elem in parser.elements(source):
            if not read(elem, elem.sourceline, seen, sums):
                entry = read_item(elem)
                if entry.__class__ is FeedItem:
                    add_row(row_values(entry))
                    add_product(entry.seller_sku, entry.item_group_id, entry.content_hash)
            if len(rows) >= batch_rows or rows.nbytes >= _BATCH_BYTES:
                flush()
        flush()
    except BaseException:
        row_groups.close(quiet=True)  # before the caller aborts the writer
        raise
    row_groups.close()
    summary = parser.summary
    summary.items += rows.items
    summary.catalog_sum = (summary.catalog_sum + rows.catalog_sum) & _feed._MASK_128
    return table


def new_rows():
    """The compiled reader, told the parser's own tables (tags, availability values, the extra fields
    the stock and price lane owns), so both readers read one definition."""
    slots = {name: i for i, name in enumerate(_feed.RECORD_FIELDS)}
    slots[_feed._IMAGES] = _feed_rows.SLOT_IMAGES
    slots[_feed._ATOM_LINK] = _feed_rows.SLOT_ATOM_LINK
    slots["atom_id"] = _feed_rows.SLOT_IGNORE
    tags = []
    for tag, name in _feed._TAG_TO_FIELD.items():
        ns, _, local = tag[1:].rpartition("}") if tag.startswith("{") else (None, "", tag)
        tags.append((ns, local, slots[name]))
    return _feed_rows.Rows(
        etree._Element,
        _feed.G_NS,
        _feed.ATOM_NS,
        tags,
        list(_feed._AVAILABILITY.items()),
        sorted(_feed.STOCK_PRICE_EXTRA),
    )


def _unscaled(value: Decimal | None, scale: int) -> int | None:
    if value is None:
        return None
    scaled = value.scaleb(scale)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than {scale} decimals")
    return int(scaled)


def row_values(item: FeedItem) -> tuple:
    """A row read by `FeedParser`, as the compiled reader's `add` takes it (columns of `feed_products`
    less the two constant ones, decimals as unscaled ints)."""
    values = [
        _unscaled(value, _SCALES[name]) if name in _SCALES else value
        for name, value in zip(ITEM_COLUMNS, item_column_values(item), strict=True)
    ]
    return (*values, list(item.extra.items()), item.line, item.content_hash)


def _buffer(data: bytes | None) -> pa.Buffer | None:
    return None if data is None else pa.py_buffer(data)


def _strings(count: int, offsets: bytes, data: bytes, valid: bytes | None = None, nulls: int = 0) -> pa.Array:
    return pa.Array.from_buffers(
        pa.string(), count, [_buffer(valid), pa.py_buffer(offsets), pa.py_buffer(data)], null_count=nulls
    )


def _column(spec: tuple, type_: pa.DataType, count: int) -> pa.Array:
    kind = spec[0]
    if kind == "s":
        _, valid, nulls, offsets, data = spec
        return _strings(count, offsets, data, valid, nulls)
    if kind == "d":
        _, valid, nulls, data = spec
        return pa.Array.from_buffers(type_, count, [_buffer(valid), pa.py_buffer(data)], null_count=nulls)
    if kind == "i":
        return pa.Array.from_buffers(type_, count, [None, pa.py_buffer(spec[1])], null_count=0)
    if kind == "l":
        _, offsets, child_offsets, child_data = spec
        child = _strings(len(child_offsets) // 4 - 1, child_offsets, child_data)
        return pa.Array.from_buffers(
            type_, count, [None, pa.py_buffer(offsets)], null_count=0, children=[child]
        )
    _, offsets, key_offsets, keys, value_offsets, values = spec
    entries = len(key_offsets) // 4 - 1
    return pa.MapArray.from_arrays(
        pa.Array.from_buffers(pa.int32(), count + 1, [None, pa.py_buffer(offsets)], null_count=0),
        _strings(entries, key_offsets, keys),
        _strings(entries, value_offsets, values),
        type=type_,
    )


def _repeated(value: str, count: int) -> pa.Array:
    """One string `count` times (from buffers: `pa.array` on Python objects would import pandas)."""
    data = value.encode("utf-8")
    offsets = (
        array("i", range(0, len(data) * (count + 1), len(data))) if data else array("i", [0] * (count + 1))
    )
    return _strings(count, offsets.tobytes(), data * count)


def _record_batch(count: int, columns: list[tuple], client_id: str, snapshot_hash: str) -> pa.RecordBatch:
    arrays = [_repeated(client_id, count)]
    arrays += [_column(spec, f.type, count) for spec, f in zip(columns, _COLUMN_FIELDS, strict=True)]
    arrays.append(_repeated(snapshot_hash, count))
    batch = pa.RecordBatch.from_arrays(arrays, schema=FEED_PRODUCTS)
    batch.validate()
    return batch


def _compiled_reader_agrees() -> bool:
    """The compiled reader, on a small feed with every kind of field, gives the reference's rows."""
    g = f'xmlns:g="{_feed.G_NS}"'
    item = (
        "<item><g:id>{i}</g:id><title> Tênis {i}\u00a0</title><description><![CDATA[<p>a</p>]]> b"
        "</description><link>https://l/{i}</link><g:image_link>https://i/{i}.jpg</g:image_link>"
        "<g:additional_image_link>https://i/{i}b.jpg</g:additional_image_link><g:price>149.90 brl</g:price>"
        "<g:sale_price>99.00 BRL</g:sale_price><g:availability>In Stock</g:availability>"
        "<g:condition>NEW</g:condition><g:brand>Marca</g:brand><g:item_group_id>P</g:item_group_id>"
        "<g:shipping_weight>6.602 kg</g:shipping_weight><g:custom_label_1>b</g:custom_label_1>"
        "<g:custom_label_0>a</g:custom_label_0></item>"
    )
    feed = f"<rss {g}><channel><title>t</title>{''.join(item.format(i=i) for i in range(3))}</channel></rss>"
    data = feed.encode()

    def rows_of(reader: Callable[[FeedParser], list]) -> tuple:
        parser = FeedParser()
        return reader(parser), parser.summary.items, parser.summary.catalog_sum

    def compiled(parser: FeedParser) -> list:
        rows, sums = new_rows(), _feed_rows.ProductSums()
        parser._seen = _feed_rows.SkuIndex()
        taken = [rows.read(e, e.sourceline, parser._seen, sums) for e in parser.elements(data)]
        count, columns = rows.take()
        parser.summary.items += rows.items
        parser.summary.catalog_sum += rows.catalog_sum
        return [all(taken), _record_batch(count, columns, "c", "s").to_pylist()]

    def reference(parser: FeedParser) -> list:
        items = [e for e in parser.iter(data) if isinstance(e, FeedItem)]
        rows = new_rows()
        for entry in items:
            rows.add(row_values(entry))
        count, columns = rows.take()
        return [True, _record_batch(count, columns, "c", "s").to_pylist()]

    return rows_of(compiled) == rows_of(reference)


def _compiled_available() -> bool:
    if _feed_rows is None:
        return False
    if tuple(_feed_rows.RECORD_FIELDS) != _feed.RECORD_FIELDS or list(_feed_rows.COLUMNS) != [
        f.name for f in _COLUMN_FIELDS
    ]:
        log.warning("the compiled feed reader was built for other feed fields: the feed is read in Python")
        return False
    try:
        agrees = _compiled_reader_agrees()
    except Exception as exc:  # an lxml it was not built for, for instance
        log.warning("the compiled feed reader cannot be used (%s): the feed is read in Python", exc)
        return False
    if not agrees:
        log.warning("the compiled feed reader disagrees with the reference: the feed is read in Python")
    return agrees


COMPILED = _compiled_available()
