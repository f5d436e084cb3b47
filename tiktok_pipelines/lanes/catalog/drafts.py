"""Drafts of the client's products: built by the channel with the client's listing options and attribute
rules, for the leaf the category mapping gives and the brand the brand map gives."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tiktok_pipelines.channels.base.catalog import CatalogApi
from tiktok_pipelines.core.attribute_rules import AttributeRule
from tiktok_pipelines.core.models.brands import brand_key
from tiktok_pipelines.core.models.listings import ListingDraft
from tiktok_pipelines.core.models.products import Product
from tiktok_pipelines.lanes.catalog.categories import CategoryResolver
from tiktok_pipelines.lanes.catalog.products import listing_options, product_categories
from tiktok_pipelines.stores.catalog import BrandEntry
from tiktok_pipelines.stores.registry import Client


class DraftBuilder:
    """Builds products' drafts with the client's options, category mapping, brand map and rules."""

    def __init__(
        self,
        catalog: CatalogApi,
        client: Client,
        resolver: CategoryResolver,
        brands: Mapping[str, BrandEntry],
        rules: Sequence[AttributeRule],
    ):
        self.build = catalog.listing_builder(listing_options(client), rules)
        self.resolver = resolver
        self.brands = brands

    def __call__(self, product: Product) -> ListingDraft:
        choice, _ = self.resolver.choose(product_categories(product).sources)
        brand_id, brand_problem = None, None
        name = product.brand_name
        if name:
            entry = self.brands.get(brand_key(name))
            if entry is not None and entry.channel_brand_id:
                brand_id = entry.channel_brand_id
            else:
                reason = entry.last_error if entry is not None and entry.last_error else "not resolved yet"
                brand_problem = f"brand {name!r} is not on TikTok ({reason})"
        return self.build(product, choice, brand_id, brand_problem)
