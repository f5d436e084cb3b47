"""What changed in a catalog, product by product.

A TikTok product is a feed item group (`g:item_group_id`), its SKUs the group's items; an item without
a group is a product of one SKU. A product's hash covers the content hashes of all of its SKUs, so a
change to any variant, or a variant added or removed, changes the product.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def product_key(seller_sku: str, item_group_id: str | None) -> str:
    return item_group_id or seller_sku


@dataclass(frozen=True)
class ProductHash:
    product_key: str
    hash: str
    seller_skus: tuple[str, ...]


_MASK = (1 << 128) - 1


class ProductHashes:
    """Product hashes built while items stream by, in constant memory per product.

    A product's hash is the sum (mod 2^128) of its SKUs' content hashes, which already cover each SKU's
    seller SKU and group: the same whatever the order of the items, and different when any variant
    changes, comes or goes.
    """

    def __init__(self) -> None:
        self._sums: dict[str, int] = {}

    def add(self, seller_sku: str, item_group_id: str | None, content_hash: str) -> None:
        key = item_group_id or seller_sku
        self._sums[key] = (self._sums.get(key, 0) + int(content_hash, 16)) & _MASK

    def __len__(self) -> int:
        return len(self._sums)

    def hexdigests(self) -> dict[str, str]:
        return {key: format(value, "032x") for key, value in self._sums.items()}


def product_hashes(rows: Iterable[tuple[str, str | None, str]]) -> dict[str, ProductHash]:
    """(seller_sku, item_group_id, content_hash) rows → one hash per product, with its SKUs."""
    hashes = ProductHashes()
    skus: dict[str, list[str]] = {}
    for sku, group, content_hash in rows:
        hashes.add(sku, group, content_hash)
        skus.setdefault(product_key(sku, group), []).append(sku)
    return {
        key: ProductHash(key, digest, tuple(sorted(skus[key]))) for key, digest in hashes.hexdigests().items()
    }


def product_hashes_of_parquet(path: str | Path, batch_rows: int = 10_000) -> dict[str, str]:
    """Product hashes (product key → hash) of a `feed_products` Parquet file, three columns read a
    batch at a time (no read-ahead, no threads: the point is a small footprint)."""
    hashes = ProductHashes()
    add = hashes.add
    parquet = pq.ParquetFile(str(path), pre_buffer=False)
    columns = ["seller_sku", "item_group_id", "content_hash"]
    for batch in parquet.iter_batches(batch_size=batch_rows, columns=columns, use_threads=False):
        for sku, group, content_hash in zip(
            batch.column(0).to_pylist(), batch.column(1).to_pylist(), batch.column(2).to_pylist(), strict=True
        ):
            add(sku, group, content_hash)
    pa.default_memory_pool().release_unused()
    return hashes.hexdigests()


def product_hashes_of_table(table: pa.Table) -> dict[str, ProductHash]:
    """Product hashes of a `feed_products` table (only three columns are read)."""
    return product_hashes(
        zip(
            table.column("seller_sku").to_pylist(),
            table.column("item_group_id").to_pylist(),
            table.column("content_hash").to_pylist(),
            strict=True,
        )
    )


@dataclass
class CatalogDiff:
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "new": len(self.new),
            "changed": len(self.changed),
            "removed": len(self.removed),
            "unchanged": len(self.unchanged),
        }

    def status_of(self) -> dict[str, str]:
        out = {k: "new" for k in self.new}
        out.update({k: "changed" for k in self.changed})
        out.update({k: "removed" for k in self.removed})
        out.update({k: "unchanged" for k in self.unchanged})
        return out


def diff_catalogs(previous: Mapping[str, str], current: Mapping[str, str]) -> CatalogDiff:
    """Compares product hashes (product key → hash) of the published catalog and of the current one."""
    diff = CatalogDiff()
    for key, h in current.items():
        old = previous.get(key)
        if old is None:
            diff.new.append(key)
        elif old != h:
            diff.changed.append(key)
        else:
            diff.unchanged.append(key)
    diff.removed = [k for k in previous if k not in current]
    for part in (diff.new, diff.changed, diff.removed, diff.unchanged):
        part.sort()
    return diff
