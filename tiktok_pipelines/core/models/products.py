"""Products and their variants, as every channel's listing builder reads them.

A product is a feed item group (`g:item_group_id`), or an item without a group; its variants are the
group's items. A variant is one `feed_products` row joined with what VTEX adds to it
(`core.enrichment.VtexSkuData`: images, package, EAN, brand, category, specifications), when VTEX knows it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tiktok_pipelines.core.enrichment import VtexSkuData
from tiktok_pipelines.core.text import fold, truncate_words

# What tells variants apart, in the order it is looked at, with the names a VTEX specification (or a
# channel's sales attribute) gives it, folded.
VARIANT_DIMENSIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("color", ("cor", "color", "colour")),
    ("size", ("tamanho", "size")),
    ("material", ("material",)),
    ("pattern", ("estampa", "padrao", "pattern")),
)
_DIMENSION_NAMES = dict(VARIANT_DIMENSIONS)


@dataclass
class Variant:
    """One feed item (a `feed_products` row) and its VTEX enrichment, if any."""

    feed: Mapping[str, Any]
    vtex: VtexSkuData | None = None

    @property
    def seller_sku(self) -> str:
        return str(self.feed["seller_sku"])

    @property
    def specifications(self) -> Mapping[str, str]:
        return self.vtex.specifications if self.vtex else {}

    def feed_price(self, currency: str) -> dict[str, Any]:
        """The variant's price as the feed gives it: `amount`, its `sale_price` when it is below its
        `price` (else its `price`); `list_amount`, the `price` a lower sale price is taken from (else
        None); `currency`, the feed's, else `currency`."""
        price, sale = self.feed.get("price"), self.feed.get("sale_price")
        on_sale = sale is not None and price is not None and Decimal(sale) < Decimal(price)
        amount = sale if on_sale else price
        return {
            "amount": Decimal(amount) if amount is not None else None,
            "list_amount": Decimal(price) if on_sale else None,
            "currency": str(self.feed.get("currency") or currency),
        }

    def dimension(self, name: str) -> str | None:
        """The variant's value of a dimension of `VARIANT_DIMENSIONS` (`color`, `size`...): the feed's,
        else a VTEX specification of one of the dimension's names."""
        value = self.feed.get(name)
        if value and str(value).strip():
            return str(value).strip()
        if self.vtex:
            names = _DIMENSION_NAMES[name]
            for key, spec in self.vtex.specifications.items():
                if fold(key) in names and spec.strip():
                    return spec.strip()
        return None


@dataclass
class Product:
    """A feed item group (or a lone item) with its variants, in feed order."""

    product_key: str
    variants: list[Variant]

    @property
    def brand_name(self) -> str | None:
        """The feed's brand of the first variant that names one, else VTEX's."""
        for variant in self.variants:
            if variant.feed.get("brand"):
                return str(variant.feed["brand"]).strip() or None
        for variant in self.variants:
            if variant.vtex and variant.vtex.brand_name:
                return variant.vtex.brand_name
        return None

    @property
    def title(self) -> str:
        return product_title(self.variants)

    @property
    def description(self) -> str | None:
        """The feed's description of the first variant that has one, else VTEX's."""
        for variant in self.variants:
            if variant.feed.get("description"):
                return str(variant.feed["description"])
        return next((v.vtex.description for v in self.variants if v.vtex and v.vtex.description), None)

    def image_urls(self, limit: int) -> list[str]:
        """The product's images in the order a channel shows them, at most `limit`: the first variant's
        main image, its additional ones and VTEX's, then every other variant's main image; http(s) URLs
        only, each once."""
        first = self.variants[0]
        urls = [str(first.feed.get("image_link") or ""), *(first.feed.get("additional_image_links") or [])]
        if first.vtex:
            urls.extend(
                first.vtex.image_urls
            )  # VTEX's additional images (the seed's ADDITIONAL-IMAGES lambda)
        urls.extend(str(v.feed.get("image_link") or "") for v in self.variants[1:])
        found = dict.fromkeys(u.strip() for u in urls)
        return [u for u in found if u.startswith(("http://", "https://"))][:limit]

    def listing_title(self, limit: int) -> tuple[str, list[tuple[str, str]], list[tuple[str, str]]]:
        """The title a channel taking at most `limit` characters shows (cut at a word), with the problem
        (none) or warning (cut) of a draft."""
        title = self.title
        problems, warnings = [], []
        if len(title) > limit:
            title = truncate_words(title, limit)
            warnings.append(("validation", f"title cut to {limit} characters"))
        if not title:
            problems.append(("validation", "the product has no title"))
        return title, problems, warnings

    def listing_text(
        self, title_limit: int, render: Callable[[str | None], str]
    ) -> tuple[str, str, list[tuple[str, str]], list[tuple[str, str]]]:
        """The title (as `listing_title`) and the description in the form the channel takes (`render`:
        plain text, HTML) of a draft, with their problems (no title, no description) and warnings."""
        title, problems, warnings = self.listing_title(title_limit)
        description = render(self.description)
        if not description:
            problems.append(
                ("validation", "the product has no description (neither in the feed nor in VTEX)")
            )
        return title, description, problems, warnings


def product_title(variants: Sequence[Variant]) -> str:
    """A product's title: its one variant's; for variants, VTEX's product name when every variant's title
    starts with it, else what the variants' titles share ("Camiseta Pro Azul M" and "Camiseta Pro Preta
    G" → "Camiseta Pro") without a trailing colour or size they all have, else the first title."""
    titles = [str(v.feed.get("title") or "").strip() for v in variants]
    if len(variants) == 1:
        return titles[0]
    for variant in variants:
        name = (variant.vtex.product_name or "").strip() if variant.vtex else ""
        if name and all(fold(t).startswith(fold(name)) for t in titles):
            return name
    common: list[str] = []
    for column in zip(*(t.split() for t in titles), strict=False):
        if len({fold(w) for w in column}) != 1:
            break
        common.append(column[0])
    shared_values = {
        fold(value)
        for dimension, _ in VARIANT_DIMENSIONS
        for value in (v.dimension(dimension) for v in variants)
        if value
    }
    while len(common) > 2 and fold(common[-1]) in shared_values:
        common.pop()
    prefix = " ".join(common).rstrip(" -–,")
    if len(common) >= 2 and len(prefix) >= 0.4 * len(titles[0]):
        return prefix
    return titles[0]
