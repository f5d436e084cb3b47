"""The lake's row writer: every value written as pyarrow would write it, however it is built."""

from datetime import UTC, datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tiktok_pipelines.core.feed import PRICE_RANGE, WEIGHT_RANGE_KG, FeedItem, FeedParser
from tiktok_pipelines.core.tables import (
    FEED_PRODUCTS,
    FEED_PRODUCTS_DICTIONARY,
    LISTINGS,
    ParquetRowWriter,
    feed_product_columns,
    feed_product_row,
    feed_product_values,
)
from tiktok_pipelines.sandbox.catalog import generate_catalog
from tiktok_pipelines.sandbox.feeds import render_feed

SCHEMA = pa.schema(
    [
        ("s", pa.string()),
        ("d", pa.decimal128(14, 2)),
        ("w", pa.decimal128(10, 3)),
        ("l", pa.list_(pa.string())),
        ("m", pa.map_(pa.string(), pa.string())),
        ("i", pa.int32()),
        ("q", pa.int64()),
        ("t", pa.timestamp("us", tz="UTC")),
        ("b", pa.bool_()),
    ]
)
ROWS = [
    (
        "Tênis São João 👟",
        Decimal("199.90"),
        Decimal("1.234"),
        ["a", "ç"],
        [("k", "v")],
        1,
        2**40,
        datetime(2026, 1, 1, tzinfo=UTC),
        True,
    ),
    (None, None, None, None, [], 2, None, None, None),
    ("", Decimal("0.00"), Decimal("0.5"), [], [("x", "")], 3, -1, None, False),
]


def test_values_round_trip_exactly(tmp_path):
    path = tmp_path / "t.parquet"
    with ParquetRowWriter(path, SCHEMA, batch_rows=2) as writer:
        for row in ROWS:
            writer.append_values(row)
    table = pq.read_table(path)
    expected = pa.Table.from_pylist([dict(zip(SCHEMA.names, r, strict=True)) for r in ROWS], schema=SCHEMA)
    assert table.equals(expected)


def test_values_that_do_not_fit_give_pyarrows_errors(tmp_path):
    with pytest.raises(pa.ArrowInvalid), ParquetRowWriter(tmp_path / "t.parquet", SCHEMA) as writer:
        writer.append_values(("x", Decimal("1.234"), None, None, [], 1, 1, None, None))  # 3 places in (14, 2)
    with pytest.raises(pa.ArrowTypeError), ParquetRowWriter(tmp_path / "u.parquet", SCHEMA) as writer:
        writer.append_values((12, None, None, None, [], 1, 1, None, None))  # not a str
    with pytest.raises(pa.ArrowTypeError), ParquetRowWriter(tmp_path / "v.parquet", SCHEMA) as writer:
        writer.append_values((None, "5.5", None, None, [], 1, 1, None, None))  # not a Decimal


def test_feed_rows_as_values_dicts_or_items_write_the_same_table(tmp_path):
    items = [
        e for e in FeedParser().iter(render_feed(generate_catalog(20, seed=5))) if isinstance(e, FeedItem)
    ]
    items[0].extra = {"custom_label_0": "verão"}
    with ParquetRowWriter(
        tmp_path / "a.parquet", FEED_PRODUCTS, dictionary_columns=FEED_PRODUCTS_DICTIONARY
    ) as w:
        for item in items:
            w.append_values(feed_product_values("c", item, "s"))
    with ParquetRowWriter(tmp_path / "b.parquet", FEED_PRODUCTS) as w:
        w.extend(feed_product_row("c", item, "s") for item in items)
    with ParquetRowWriter(
        tmp_path / "c.parquet", FEED_PRODUCTS, batch_rows=7, columns_of=feed_product_columns("c", "s")
    ) as w:
        for item in items:
            w.append_object(item)
    a, b = pq.read_table(tmp_path / "a.parquet"), pq.read_table(tmp_path / "b.parquet")
    assert a.equals(b) and a.num_rows == len(items)
    assert pq.read_table(tmp_path / "c.parquet").equals(a)
    assert a.column("price").to_pylist()[0] == items[0].price
    assert a.column("extra").to_pylist()[0] == [("custom_label_0", "verão")]


def test_the_largest_numbers_the_parser_accepts_fit_the_feed_table(tmp_path):
    feed = (
        '<rss xmlns:g="http://base.google.com/ns/1.0"><channel><item><g:id>1</g:id><title>T</title>'
        f"<g:price>{PRICE_RANGE[1]} BRL</g:price><g:sale_price>{PRICE_RANGE[1]} BRL</g:sale_price>"
        f"<g:shipping_weight>{WEIGHT_RANGE_KG[1]} kg</g:shipping_weight></item></channel></rss>"
    )
    items = list(FeedParser().iter(feed.encode()))
    with ParquetRowWriter(
        tmp_path / "f.parquet", FEED_PRODUCTS, columns_of=feed_product_columns("c", "s")
    ) as w:
        for item in items:
            w.append_object(item)
    row = pq.read_table(tmp_path / "f.parquet").to_pylist()[0]
    assert (row["price"], row["sale_price"]) == (PRICE_RANGE[1], PRICE_RANGE[1])
    assert row["shipping_weight_kg"] == WEIGHT_RANGE_KG[1]


def test_other_tables_still_write_through_pyarrow(tmp_path):
    now = datetime(2026, 5, 1, tzinfo=UTC)
    row = {"client_id": "c", "product_key": "p", "price": Decimal("9.90"), "quantity": 3, "updated_at": now}
    with ParquetRowWriter(tmp_path / "l.parquet", LISTINGS) as writer:
        writer.append(row)
    written = pq.read_table(tmp_path / "l.parquet").to_pylist()[0]
    assert (written["price"], written["quantity"], written["updated_at"]) == (Decimal("9.90"), 3, now)
