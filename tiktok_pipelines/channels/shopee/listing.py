"""A Shopee item from a core `Product` (a feed item group with its VTEX enrichment): the `add_item` body
and the tier variations and models of its variants, checked against the leaf's attributes and brand rule
before any call (reference §5).

An item holds a name (at most 120 characters), a plain-text description, a leaf category, its attributes
(drop-down values by id), a brand (the platform's "no brand", 0, where the leaf does not require one),
1 to 9 images by uploaded id, its weight (kg) and dimensions (cm), and the logistics channels it ships by.
A product with several variants becomes an item with tier variations (one or two tiers, from the
dimensions that tell the variants apart: colour, size...) and one model per variant, each combination
once, at most 50. Price and stock are the stock and price sync's once a model exists, so they stay out
of the payload hash.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from tiktok_pipelines.core.attribute_rules import Source
from tiktok_pipelines.core.models.categories import CategoryChoice
from tiktok_pipelines.core.models.listings import ListingOptions, PartsDraft
from tiktok_pipelines.core.models.products import VARIANT_DIMENSIONS, Product, Variant
from tiktok_pipelines.core.text import fold, plain_text, truncate_words

NAME_MAX = 120
DESCRIPTION_MAX = 3000
MAX_IMAGES = 9
MAX_MODELS = 50
MAX_TIERS = 2
NO_BRAND_ID = 0
PARTS = (
    "item_name",
    "description",
    "category_id",
    "brand",
    "images",
    "weight",
    "dimension",
    "attribute_list",
)
ALL_PARTS = (*PARTS, "tiers", "models")
_TIER_NAMES = {"color": "Cor", "size": "Tamanho", "material": "Material", "pattern": "Estampa"}


class ShopeeListingDraft(PartsDraft):
    """What would be sent for a product: `parts` by field (images as source URLs), and its models."""

    hashed_parts = ALL_PARTS
    title_part = "item_name"
    skus_part = ("models", "model_sku")

    @property
    def has_models(self) -> bool:
        return bool(self.parts.get("tiers"))

    def image_refs(self) -> list[tuple[str, str]]:
        return [(u, "MAIN_IMAGE") for u in self.parts.get("images") or []]


def weight_and_dimension(
    skus: Sequence[Variant], defaults: Mapping[str, Any]
) -> tuple[float | None, dict[str, int] | None]:
    """The item's weight (the heaviest variant's, kg) and dimensions (the largest of each side, whole cm),
    from VTEX and the feed, else the client's `default_package`."""
    weights = [
        Decimal(str(w))
        for s in skus
        if (w := (s.vtex.weight_kg if s.vtex else None) or s.feed.get("shipping_weight_kg"))
    ]
    weight = max(weights) if weights else defaults.get("weight_kg")
    sides: dict[str, int] = {}
    for side in ("length", "width", "height"):
        values = [getattr(s.vtex, f"{side}_cm") for s in skus if s.vtex and getattr(s.vtex, f"{side}_cm")]
        value = max(values) if values else defaults.get(f"{side}_cm")
        if value:
            sides[f"package_{side}"] = max(1, math.ceil(Decimal(str(value))))
    return (float(weight) if weight else None), (sides if len(sides) == 3 else None)


def tiers(skus: Sequence[Variant]) -> tuple[list[dict[str, Any]], list[list[int]], str | None]:
    """The tier variations that tell the variants apart and each variant's tier index; or the problem."""
    if len(skus) == 1:
        return [], [[]], None
    chosen = []
    for name, _ in VARIANT_DIMENSIONS:
        values = [s.dimension(name) for s in skus]
        if all(values) and len(set(map(fold, values))) > 1:  # type: ignore[arg-type]
            chosen.append((name, values))
    for count in range(1, MAX_TIERS + 1):
        for start in range(len(chosen) - count + 1):
            picked = chosen[start : start + count]
            combos = list(zip(*(list(map(fold, v)) for _, v in picked), strict=True))
            if len(set(combos)) == len(skus):
                built, index = [], [[] for _ in skus]
                for name, values in picked:
                    options = list(dict.fromkeys(values))
                    built.append({"name": _TIER_NAMES[name], "option_list": [{"option": o} for o in options]})
                    for n, value in enumerate(values):
                        index[n].append(options.index(value))
                return built, index, None
    return [], [], "the variants are not told apart by one or two of colour, size, material or pattern"


def rule_value(source: Source, skus: Sequence[Variant]) -> str | None:
    """The value a client's attribute rule gives: its constant, or the first variant's feed field or VTEX
    specification that has one."""
    if source.kind == "value":
        return source.name
    for sku in skus:
        found = sku.feed.get(source.name) if source.kind == "feed" else sku.specifications.get(source.name)
        if found not in (None, ""):
            return str(found)
    return None


def attribute_values(
    attributes: Sequence[Mapping[str, Any]],
    skus: Sequence[Variant],
    rule_for: Callable[[Mapping[str, Any]], Source | None] = lambda _: None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """The leaf's attributes the product gives a value for (the client's rule for the attribute, else the
    feed field or VTEX specification of the attribute's name; a drop-down value by its name), and the
    mandatory ones it does not."""
    first = skus[0]
    known = {fold(k): str(v) for k, v in first.specifications.items() if v}
    for name, synonyms in VARIANT_DIMENSIONS:
        value = first.dimension(name)
        if value:
            known.update(dict.fromkeys(synonyms, value))
    chosen, missing = [], []
    for attribute in attributes:
        name = str(attribute.get("original_attribute_name") or "")
        rule = rule_for(attribute)
        value = rule_value(rule, skus) if rule else known.get(fold(name))
        entry = None
        if value:
            options = {
                fold(o.get("original_value_name")): o for o in attribute.get("attribute_value_list") or []
            }
            if fold(value) in options:
                entry = {"value_id": options[fold(value)]["value_id"]}
            elif attribute.get("input_type") != "DROP_DOWN":
                entry = {"value_id": 0, "original_value_name": value}
        if entry:
            chosen.append({"attribute_id": attribute["attribute_id"], "attribute_value_list": [entry]})
        elif attribute.get("is_mandatory"):
            missing.append(name)
    return chosen, missing


def build_draft(
    product: Product,
    category: CategoryChoice,
    brand_id: str | None,
    brand_problem: str | None,
    options: ListingOptions,
    rule_for: Callable[[Mapping[str, Any]], Source | None] = lambda _: None,
) -> ShopeeListingDraft:
    """The Shopee item for a feed item group, checked against its leaf's attributes and brand rule."""
    skus = product.variants
    name, description, problems, warnings = product.listing_text(NAME_MAX, plain_text)
    if len(description) > DESCRIPTION_MAX:
        description = truncate_words(description, DESCRIPTION_MAX)
        warnings.append(("validation", f"description cut to {DESCRIPTION_MAX} characters"))
    if category.problem or not category.leaf_id:
        problems.append(("category", category.problem or "no Shopee category mapped"))
    rules = category.rules or {}
    attributes, missing = attribute_values(category.attributes or [], skus, rule_for)
    for attribute in missing:
        problems.append(("attributes", f"mandatory attribute {attribute!r} has no value in the feed or VTEX"))
    brand: dict[str, Any] = {"brand_id": int(brand_id) if brand_id else NO_BRAND_ID}
    if not brand_id:
        if rules.get("brand_mandatory"):
            problems.append(
                ("brand", brand_problem or "the category requires a brand and the product names none")
            )
        elif brand_problem:
            warnings.append(("brand", f"{brand_problem}; listed with no brand"))
    weight, dimension = weight_and_dimension(skus, options.default_package)
    if not weight:
        problems.append(("package", "no weight in VTEX, the feed or the client's default_package"))
    urls = product.image_urls(min(MAX_IMAGES, options.max_main_images))
    if not urls:
        problems.append(("images", "the product has no image URL"))
    tier_list, index, tier_problem = tiers(skus)
    if tier_problem:
        problems.append(("variants", tier_problem))
    if len(skus) > MAX_MODELS:
        problems.append(("variants", f"{len(skus)} variants, Shopee takes at most {MAX_MODELS} models"))
    prices = {s.seller_sku: s.feed_price(options.currency) for s in skus}
    models = [
        {"model_sku": s.seller_sku, "tier_index": index[n] if n < len(index) else []}
        for n, s in enumerate(skus)
    ]
    parts = {
        "item_name": name,
        "description": description,
        "category_id": int(category.leaf_id) if category.leaf_id else None,
        "brand": brand,
        "images": urls,
        "weight": weight,
        "dimension": dimension,
        "attribute_list": attributes,
        "tiers": tier_list,
        "models": models,
    }
    return ShopeeListingDraft(
        product.product_key,
        parts,
        prices,
        problems,
        warnings,
        {s.seller_sku: s.vtex.vtex_sku_id for s in skus if s.vtex and s.vtex.vtex_sku_id},
    )
