"""The catalog diff: products (feed item groups) hashed from their items' content hashes, and compared
with what was published."""

import hashlib

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tiktok_pipelines.core.catalog_diff import (
    ProductHashes,
    diff_catalogs,
    product_hashes,
    product_hashes_of_parquet,
    product_hashes_of_table,
    product_key,
)


def h(text: str) -> str:
    """A content hash as the feed parser writes it (32 hex digits)."""
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


ROWS = [
    ("P1-M", "P1", h("P1-M v1")),
    ("P1-G", "P1", h("P1-G v1")),
    ("S9", None, h("S9 v1")),
    ("P2-U", "P2", h("P2-U v1")),
]


def test_a_product_is_its_item_group_or_its_lone_item():
    assert product_key("P1-M", "P1") == "P1"
    assert product_key("S9", None) == "S9"
    assert product_key("S9", "") == "S9"
    hashes = product_hashes(ROWS)
    assert sorted(hashes) == ["P1", "P2", "S9"]
    assert hashes["P1"].seller_skus == ("P1-G", "P1-M")
    assert hashes["S9"].seller_skus == ("S9",)


def test_the_hash_does_not_depend_on_the_order_of_the_items():
    assert product_hashes(ROWS)["P1"].hash == product_hashes(list(reversed(ROWS)))["P1"].hash


def test_any_variant_changed_added_or_removed_changes_the_product_and_only_it():
    before = product_hashes(ROWS)
    changed = product_hashes([(s, g, h("P1-G v2") if s == "P1-G" else c) for s, g, c in ROWS])
    added = product_hashes([*ROWS, ("P1-P", "P1", h("P1-P v1"))])
    removed = product_hashes([r for r in ROWS if r[0] != "P1-G"])
    for after in (changed, added, removed):
        assert after["P1"].hash != before["P1"].hash
        assert after["P2"].hash == before["P2"].hash and after["S9"].hash == before["S9"].hash


def test_hashes_wrap_at_128_bits_and_print_as_32_hex_digits():
    hashes = ProductHashes()
    hashes.add("A", "G", "f" * 32)
    hashes.add("B", "G", "0" * 31 + "2")
    assert hashes.hexdigests() == {"G": "0" * 31 + "1"}
    assert len(hashes) == 1


def test_a_content_hash_that_is_not_hexadecimal_is_refused():
    with pytest.raises(ValueError):
        product_hashes([("A", None, "not-a-hash")])


def test_the_parquet_file_and_the_table_give_the_same_hashes(tmp_path):
    table = pa.table(
        {
            "seller_sku": [r[0] for r in ROWS],
            "item_group_id": [r[1] for r in ROWS],
            "content_hash": [r[2] for r in ROWS],
            "title": ["t"] * len(ROWS),
        }
    )
    path = tmp_path / "feed_products.parquet"
    pq.write_table(table, path)
    from_file = product_hashes_of_parquet(path, batch_rows=1)  # products split across batches too
    assert from_file == {k: p.hash for k, p in product_hashes_of_table(table).items()}


def test_the_diff_sorts_products_into_new_changed_removed_and_unchanged():
    published = {"A": "1", "B": "2", "C": "3", "gone": "9"}
    current = {"C": "3", "B": "2b", "A": "1", "new-2": "5", "new-1": "4"}
    diff = diff_catalogs(published, current)
    assert diff.new == ["new-1", "new-2"]
    assert diff.changed == ["B"]
    assert diff.removed == ["gone"]
    assert diff.unchanged == ["A", "C"]
    assert diff.counts == {"new": 2, "changed": 1, "removed": 1, "unchanged": 2}
    assert diff.status_of() == {
        "new-1": "new",
        "new-2": "new",
        "B": "changed",
        "gone": "removed",
        "A": "unchanged",
        "C": "unchanged",
    }


def test_a_product_never_published_is_new_and_an_empty_feed_removes_everything():
    assert diff_catalogs({}, {"A": "1"}).new == ["A"]
    # A listed product with no recorded feed hash (feed_diff gives it "") is changed, never unchanged.
    assert diff_catalogs({"A": ""}, {"A": "1"}).changed == ["A"]
    emptied = diff_catalogs({"A": "1", "B": "2"}, {})
    assert (emptied.removed, emptied.new, emptied.unchanged) == (["A", "B"], [], [])
