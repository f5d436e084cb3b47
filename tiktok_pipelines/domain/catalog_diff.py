"""What changed in a catalog, product by product.

A TikTok product is a feed item group (`g:item_group_id`), its SKUs the group's items; an item without
a group is a product of one SKU. A product's hash covers the content hashes of all of its SKUs, so a
change to any variant, or a variant added or removed, changes the product.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
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


def product_hashes(rows: Iterable[tuple[str, str | None, str]]) -> dict[str, ProductHash]:
    """(seller_sku, item_group_id, content_hash) rows → one hash per product."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for sku, group, content_hash in rows:
        groups.setdefault(product_key(sku, group), []).append((sku, content_hash))
    out = {}
    for key, skus in groups.items():
        skus.sort()
        digest = hashlib.blake2b(digest_size=16)
        for sku, content_hash in skus:
            digest.update(sku.encode())
            digest.update(b"\x1f")
            digest.update(content_hash.encode())
            digest.update(b"\x1e")
        out[key] = ProductHash(key, digest.hexdigest(), tuple(s for s, _ in skus))
    return out


def product_hashes_of_parquet(path: str | Path, batch_rows: int = 65_536) -> dict[str, ProductHash]:
    """Product hashes of a `feed_products` Parquet file, read three columns at a time in batches."""
    parquet = pq.ParquetFile(str(path))

    def rows() -> Iterator[tuple[str, str | None, str]]:
        for batch in parquet.iter_batches(
            batch_size=batch_rows, columns=["seller_sku", "item_group_id", "content_hash"]
        ):
            yield from zip(
                batch.column(0).to_pylist(),
                batch.column(1).to_pylist(),
                batch.column(2).to_pylist(),
                strict=True,
            )

    return product_hashes(rows())


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
