"""The client's products as the catalog sees them: feed rows grouped into products (variants by
`g:item_group_id`), joined with their VTEX enrichment, and the per-client settings that shape payloads."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pyarrow as pa

from tiktok_pipelines.catalog.categories import CategoryResolver, ProductCategories
from tiktok_pipelines.domain.attributes import Source, attribute_key, parse_source
from tiktok_pipelines.domain.catalog_diff import product_key
from tiktok_pipelines.domain.categories import CategorySource, category_sources
from tiktok_pipelines.domain.enrichment import VtexSkuData
from tiktok_pipelines.domain.listing import (
    MAX_MAIN_IMAGES,
    ListingDraft,
    ListingSettings,
    ProductInput,
    SkuInput,
    build_draft,
    product_title,
)
from tiktok_pipelines.domain.text import fold
from tiktok_pipelines.state.catalog import AttributeRule, BrandEntry
from tiktok_pipelines.state.registry import Client


def group_products(
    rows: Iterable[Mapping[str, Any]], vtex: Mapping[str, VtexSkuData]
) -> dict[str, ProductInput]:
    """Feed rows (in feed order) → products by product key, each SKU with its enrichment."""
    products: dict[str, ProductInput] = {}
    for row in rows:
        row = dict(row)
        extra = row.get("extra")
        if extra is not None and not isinstance(extra, Mapping):
            row["extra"] = dict(extra)
        key = product_key(row["seller_sku"], row.get("item_group_id"))
        product = products.get(key)
        if product is None:
            product = products[key] = ProductInput(key, [])
        product.skus.append(SkuInput(row, vtex.get(row["seller_sku"])))
    return products


def vtex_rows(table: pa.Table | None) -> dict[str, VtexSkuData]:
    if table is None:
        return {}
    return {r["seller_sku"]: VtexSkuData.from_row(r) for r in table.to_pylist()}


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
    return ProductCategories(
        product.product_key, sources, product_title(product.skus), feed.get("description")
    )


def settings_for(client: Client) -> ListingSettings:
    """The client's payload options (see docs/catalog.md)."""
    certifications = client.option("certifications", {}) or {}
    return ListingSettings(
        currency=str(client.option("currency", "BRL")),
        max_main_images=int(client.option("max_main_images", MAX_MAIN_IMAGES)),
        sku_images=bool(client.option("sku_images", True)),
        default_package=dict(client.option("default_package", {}) or {}),
        certifications={
            str(k): [v] if isinstance(v, str) else list(v) for k, v in dict(certifications).items()
        },
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


def build_drafts(
    client: Client,
    products: Mapping[str, ProductInput],
    resolver: CategoryResolver,
    brands: Mapping[str, BrandEntry],
    rules: Sequence[AttributeRule],
) -> dict[str, ListingDraft]:
    """The payload of every product, with its problems."""
    settings = settings_for(client)
    lookup = rule_lookup(rules)
    drafts = {}
    for key, product in products.items():
        choice, _ = resolver.choose(product_categories(product).sources)
        brand_id, brand_problem = None, None
        name = product.brand_name
        if name:
            entry = brands.get(fold(name))
            if entry is not None and entry.tiktok_brand_id:
                brand_id = entry.tiktok_brand_id
            else:
                reason = entry.last_error if entry is not None and entry.last_error else "not resolved yet"
                brand_problem = f"brand {name!r} is not on TikTok ({reason})"
        drafts[key] = build_draft(product, choice, brand_id, brand_problem, lookup(choice.leaf_id), settings)
    return drafts
