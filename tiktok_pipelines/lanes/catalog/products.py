"""The client's products as the catalog sees them: feed rows grouped into products (variants by
`g:item_group_id`), joined with their VTEX enrichment; their category sources; the client's listing
options."""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tiktok_pipelines.core.catalog_diff import product_key
from tiktok_pipelines.core.category_mapping import category_sources
from tiktok_pipelines.core.enrichment import VtexSkuData
from tiktok_pipelines.core.models.categories import CategorySource
from tiktok_pipelines.core.models.listings import ListingOptions
from tiktok_pipelines.core.models.products import Product, Variant
from tiktok_pipelines.stores.registry import Client


def _feed_row(row: dict) -> dict:
    extra = row.get("extra")
    if extra is not None and not isinstance(extra, Mapping):
        row["extra"] = dict(extra)
    return row


class VtexIndex:
    """The `vtex_catalog` table kept in Arrow, read into Python one batch of SKUs at a time."""

    def __init__(self, table: pa.Table | None):
        self.table = table
        self.rows = (
            {} if table is None else {s: i for i, s in enumerate(table.column("seller_sku").to_pylist())}
        )

    def get_many(self, seller_skus: Iterable[str]) -> dict[str, VtexSkuData]:
        wanted = [(s, self.rows[s]) for s in seller_skus if s in self.rows]
        if not wanted or self.table is None:
            return {}
        rows = self.table.take([i for _, i in wanted]).to_pylist()
        return {s: VtexSkuData.from_row(r) for (s, _), r in zip(wanted, rows, strict=True)}


def iter_products(
    feed: str | Path, vtex: VtexIndex, only: Container[str] | None = None, batch_rows: int = 2_000
) -> Iterator[Product]:
    """The feed's products, each yielded once all its rows are read: the `feed_products` file is read a
    batch at a time, so only products whose variants are still arriving are held (feeds list a product's
    variants together, so that is a handful). `only` keeps the products with these keys."""
    parquet = pq.ParquetFile(str(feed), pre_buffer=False)
    ids = parquet.read(columns=["seller_sku", "item_group_id"])
    keys = [
        product_key(sku, group)
        for sku, group in zip(ids.column(0).to_pylist(), ids.column(1).to_pylist(), strict=True)
    ]
    del ids
    remaining = Counter(keys)
    pending: dict[str, list[Variant]] = {}
    offset = 0
    for batch in parquet.iter_batches(batch_size=batch_rows, use_threads=False):
        batch_keys = keys[offset : offset + batch.num_rows]
        offset += batch.num_rows
        wanted = [i for i, key in enumerate(batch_keys) if only is None or key in only]
        rows_by_index: dict[int, dict] = {}
        enrichment: dict[str, VtexSkuData] = {}
        if wanted:
            rows = (batch if len(wanted) == batch.num_rows else batch.take(wanted)).to_pylist()
            enrichment = vtex.get_many(r["seller_sku"] for r in rows)
            rows_by_index = dict(zip(wanted, rows, strict=True))
        for i, key in enumerate(batch_keys):
            remaining[key] -= 1
            row = rows_by_index.get(i)
            if row is not None:
                pending.setdefault(key, []).append(Variant(_feed_row(row), enrichment.get(row["seller_sku"])))
            if remaining[key] == 0 and key in pending:
                yield Product(key, pending.pop(key))


@dataclass
class ProductCategories:
    """A product's category sources and a sample of its text (for the channel's recommendation)."""

    product_key: str
    sources: list[CategorySource]
    title: str
    description: str | None = None


def product_categories(product: Product) -> ProductCategories:
    first = product.variants[0]
    vtex = next((v.vtex for v in product.variants if v.vtex and v.vtex.category_id), None)
    feed = first.feed
    title = product.title
    sources = category_sources(
        product.product_key,
        title,
        feed.get("product_type"),
        feed.get("google_product_category"),
        vtex.category_id if vtex else None,
        vtex.category_label if vtex else None,
    )
    description = feed.get("description")
    # A sample of the text is enough for the channel's recommendation, and keeps a large catalog's list small.
    return ProductCategories(product.product_key, sources, title, description[:500] if description else None)


def listing_options(client: Client) -> ListingOptions:
    """The client's listing options (see docs/catalog.md)."""
    return ListingOptions(
        currency=client.option("currency"),
        max_main_images=client.option("max_main_images"),
        sku_images=client.option("sku_images"),
        default_package=client.option("default_package"),
        certifications=client.option("certifications"),
        listing_types=client.option("listing_types"),
        shipping_channels=tuple(client.option("shipping_channels")),
    )
