"""The client's products as the catalog sees them: feed rows grouped into products (variants by
`g:item_group_id`), joined with their VTEX enrichment, and the per-client settings that shape payloads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tiktok_pipelines.channels.tiktok_shop.attributes import Source, attribute_key, parse_source
from tiktok_pipelines.channels.tiktok_shop.categories import CategorySource, category_sources
from tiktok_pipelines.channels.tiktok_shop.listing import (
    ListingDraft,
    ListingSettings,
    ProductInput,
    SkuInput,
    build_draft,
    product_title,
)
from tiktok_pipelines.core.catalog_diff import product_key
from tiktok_pipelines.core.enrichment import VtexSkuData
from tiktok_pipelines.core.text import fold
from tiktok_pipelines.lanes.catalog.categories import CategoryResolver, ProductCategories
from tiktok_pipelines.stores.catalog import AttributeRule, BrandEntry
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
) -> Iterator[ProductInput]:
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
    pending: dict[str, list[SkuInput]] = {}
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
                pending.setdefault(key, []).append(
                    SkuInput(_feed_row(row), enrichment.get(row["seller_sku"]))
                )
            if remaining[key] == 0 and key in pending:
                yield ProductInput(key, pending.pop(key))


def product_categories(product: ProductInput) -> ProductCategories:
    first = product.skus[0]
    vtex = next((s.vtex for s in product.skus if s.vtex and s.vtex.category_id), None)
    feed = first.feed
    sources: list[CategorySource] = category_sources(
        product.product_key,
        product_title(product.skus),
        feed.get("product_type"),
        feed.get("google_product_category"),
        vtex.category_id if vtex else None,
        vtex.category_label if vtex else None,
    )
    description = feed.get("description")
    # A sample of the text is enough for TikTok's recommendation, and keeps a large catalog's list small.
    return ProductCategories(
        product.product_key, sources, product_title(product.skus), description[:500] if description else None
    )


def settings_for(client: Client) -> ListingSettings:
    """The client's payload options (see docs/catalog.md)."""
    return ListingSettings(
        currency=client.option("currency"),
        max_main_images=client.option("max_main_images"),
        sku_images=client.option("sku_images"),
        default_package=client.option("default_package"),
        certifications=client.option("certifications"),
    )


def rule_lookup(
    rules: Sequence[AttributeRule],
) -> Callable[[str | None], Callable[[Mapping[str, Any]], Source | None]]:
    """For a leaf, a function giving the rule (if any) of an attribute definition: a rule for that leaf
    beats a rule for every leaf ("*"); a rule may name the attribute by id or by name."""
    table: dict[tuple[str, str], Source] = {}
    for rule in rules:
        table[(rule.category_id, rule.attribute_key)] = parse_source(rule.source)

    def for_leaf(leaf_id: str | None) -> Callable[[Mapping[str, Any]], Source | None]:
        def find(attr: Mapping[str, Any]) -> Source | None:
            keys = (str(attr.get("id")), attribute_key(str(attr.get("name") or "")))
            for scope in (leaf_id or "", "*"):
                for key in keys:
                    if (scope, key) in table:
                        return table[(scope, key)]
            return None

        return find

    return for_leaf


class DraftBuilder:
    """Builds products' payloads with the client's settings, category mapping, brand map and rules."""

    def __init__(
        self,
        client: Client,
        resolver: CategoryResolver,
        brands: Mapping[str, BrandEntry],
        rules: Sequence[AttributeRule],
    ):
        self.settings = settings_for(client)
        self.resolver = resolver
        self.brands = brands
        self.lookup = rule_lookup(rules)

    def __call__(self, product: ProductInput) -> ListingDraft:
        choice, _ = self.resolver.choose(product_categories(product).sources)
        brand_id, brand_problem = None, None
        name = product.brand_name
        if name:
            entry = self.brands.get(fold(name))
            if entry is not None and entry.tiktok_brand_id:
                brand_id = entry.tiktok_brand_id
            else:
                reason = entry.last_error if entry is not None and entry.last_error else "not resolved yet"
                brand_problem = f"brand {name!r} is not on TikTok ({reason})"
        return build_draft(
            product, choice, brand_id, brand_problem, self.lookup(choice.leaf_id), self.settings
        )
