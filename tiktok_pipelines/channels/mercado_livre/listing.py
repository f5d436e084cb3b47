"""A product as a Mercado Livre item (reference §5): the draft built from a `core.models` product and
checked against its leaf's attributes before any call, and the bodies of its writes.

- `title` at most 60 characters (cut at a word, with a warning); `description` plain text, written
  apart (`/items/{id}/description`);
- `category_id` the leaf chosen by the catalog lane's category mapping (Mercado Livre's prediction,
  reviewed like any channel's); `listing_type_id` the client's option for Mercado Livre;
- attributes: `BRAND` the product's brand, `SELLER_SKU` (and `GTIN` when the SKU has one) per SKU, and
  every attribute the leaf marks `required` taken from the feed, VTEX's specifications or the client's
  attribute rules; a required attribute without a value holds the product back, naming it;
- a product of several SKUs is one item with `variations`, each told apart by the leaf's attributes that
  `allow_variations` (`attribute_combinations`: colour, size...), at one price (the highest of its SKUs:
  Mercado Livre takes one price per item);
- pictures by source URL, as the channel downloads them.

Price and stock are sent at creation only; afterwards they are the stock and price sync's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tiktok_pipelines.core.attribute_rules import Source
from tiktok_pipelines.core.models.categories import CategoryChoice
from tiktok_pipelines.core.models.listings import ListingDraft, ListingOptions
from tiktok_pipelines.core.models.offers import PriceTarget
from tiktok_pipelines.core.models.products import Product, Variant
from tiktok_pipelines.core.text import fold, plain_text

TITLE_MAX = 60
MAX_PICTURES = 12
MAX_VARIATIONS = 100
DEFAULT_LISTING_TYPE = "gold_special"
LISTING_TYPES = ("free", "gold_special", "gold_pro")
# Parts of the item a write sends apart: the item's own fields, and its description.
ITEM_PART, DESCRIPTION_PART = "item", "description"
# Attribute ids filled from what every product carries; others come from the feed or a rule.
DIMENSION_ATTRIBUTES = {"COLOR": "color", "SIZE": "size", "MATERIAL": "material", "PATTERN": "pattern"}
FEED_ATTRIBUTES = {"MODEL": "mpn", "GENDER": "gender", "AGE_GROUP": "age_group", "GTIN": "gtin"}
# The feed's gender (Google's values) as Mercado Livre names it.
GENDER_NAMES = {"male": "Masculino", "female": "Feminino", "unisex": "Sem gênero"}


def _hash(value: Any) -> str:
    data = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.blake2b(data.encode("utf-8"), digest_size=16).hexdigest()


@dataclass
class MercadoLivreDraft(ListingDraft):
    """What would be sent for a product: the item's `body` (price and stock aside), its description, the
    SKUs' prices, and its problems and warnings."""

    product_key: str
    body: dict[str, Any]
    description: str
    prices: dict[str, dict[str, Any]]
    problems: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    vtex_sku_ids: dict[str, str] = field(default_factory=dict)
    skus: list[str] = field(default_factory=list)

    @property
    def seller_skus(self) -> list[str]:
        return list(self.skus)

    @property
    def title(self) -> str | None:
        return self.body.get("title")

    @property
    def category_id(self) -> str | None:
        return self.body.get("category_id")

    def part_hashes(self) -> dict[str, str]:
        return {ITEM_PART: _hash(self.body), DESCRIPTION_PART: _hash(self.description)}

    @property
    def payload_hash(self) -> str:
        return _hash(self.part_hashes())

    def price(self) -> Decimal | None:
        amounts = [p["amount"] for p in self.prices.values() if p.get("amount") is not None]
        return max(amounts) if amounts else None


def _spec(variant: Variant, *names: str) -> str | None:
    folded = {fold(n) for n in names if n}
    for key, value in variant.specifications.items():
        if fold(key) in folded and str(value).strip():
            return str(value).strip()
    return None


def source_value(variant: Variant, source: Source) -> str | None:
    if source.kind == "value":
        return source.name
    if source.kind == "vtex":
        return _spec(variant, source.name)
    name = source.name
    if name.startswith("extra."):
        extra = variant.feed.get("extra") or {}
        raw = (extra if isinstance(extra, Mapping) else dict(extra)).get(name.removeprefix("extra."))
    else:
        raw = variant.feed.get(name)
    return str(raw).strip() if raw not in (None, "") and str(raw).strip() else None


def attribute_value(variant: Variant, attribute: Mapping[str, Any], rule: Source | None) -> str | None:
    """A SKU's value of a leaf attribute: the client's rule, else the feed or VTEX for what they name."""
    attribute_id = str(attribute.get("id"))
    if rule is not None:
        return source_value(variant, rule)
    if attribute_id in DIMENSION_ATTRIBUTES:
        return variant.dimension(DIMENSION_ATTRIBUTES[attribute_id])
    if attribute_id == "GENDER":
        gender = str(variant.feed.get("gender") or "").strip().lower()
        return GENDER_NAMES.get(gender) or _spec(variant, "gênero", "genero", str(attribute.get("name")))
    if attribute_id == "GTIN":
        return (variant.vtex.ean if variant.vtex and variant.vtex.ean else None) or source_value(
            variant, Source("feed", "gtin")
        )
    if attribute_id in FEED_ATTRIBUTES:
        found = source_value(variant, Source("feed", FEED_ATTRIBUTES[attribute_id]))
        if found:
            return found
    return _spec(variant, str(attribute.get("name") or ""), attribute_id)


def build_draft(
    product: Product,
    category: CategoryChoice,
    brand: str | None,
    brand_problem: str | None,
    rule_for: Callable[[Mapping[str, Any]], Source | None],
    options: ListingOptions,
    listing_type: str = DEFAULT_LISTING_TYPE,
) -> MercadoLivreDraft:
    """The Mercado Livre item of a product, checked against its leaf's attributes."""
    skus = product.variants
    title, description, problems, warnings = product.listing_text(TITLE_MAX, plain_text)
    if category.problem:
        problems.append(("category", category.problem))
    if brand_problem:
        problems.append(("brand", brand_problem))
    pictures = product.image_urls(min(options.max_main_images, MAX_PICTURES))
    if not pictures:
        problems.append(("images", "the product has no image (g:image_link)"))
    if len(skus) > MAX_VARIATIONS:
        problems.append(("validation", f"{len(skus)} variants; Mercado Livre takes at most {MAX_VARIATIONS}"))
    if listing_type not in LISTING_TYPES:
        problems.append(
            ("validation", f"listing type {listing_type!r} is not one of {', '.join(LISTING_TYPES)}")
        )

    leaf_attributes = list(category.attributes or [])
    varying = [a for a in leaf_attributes if (a.get("tags") or {}).get("allow_variations")]
    required = [
        a for a in leaf_attributes if (a.get("tags") or {}).get("required") and a.get("id") != "BRAND"
    ]
    attributes: list[dict[str, Any]] = [{"id": "BRAND", "value_name": brand}] if brand else []
    per_sku: dict[str, list[dict[str, Any]]] = {s.seller_sku: [] for s in skus}
    missing: list[str] = []
    if brand is None and any(a.get("id") == "BRAND" for a in leaf_attributes):
        missing.append("BRAND")
    for attribute in required:
        rule = rule_for(attribute)
        values = {s.seller_sku: attribute_value(s, attribute, rule) for s in skus}
        if not all(values.values()):
            missing.append(str(attribute["id"]))
        elif len(skus) > 1 and attribute in varying:
            continue  # told apart per variation, below
        elif len(set(values.values())) == 1:
            attributes.append({"id": attribute["id"], "value_name": values[skus[0].seller_sku]})
        else:
            for sku, value in values.items():
                per_sku[sku].append({"id": attribute["id"], "value_name": value})
    if missing and category.leaf_id is not None:
        problems.append(
            (
                "attributes",
                f"required attribute(s) without a value: {', '.join(missing)} (category {category.leaf_id}); "
                "give them in the feed, in VTEX specifications, or with `tiktok-pipelines attributes set`",
            )
        )

    prices = {s.seller_sku: s.feed_price(options.currency) for s in skus}
    for sku, price in prices.items():
        if price["amount"] is None or price["amount"] <= 0:
            problems.append(("validation", f"SKU {sku}: price must be above zero"))
        if price["currency"] != options.currency:
            problems.append(
                (
                    "validation",
                    f"SKU {sku}: price in {price['currency']}, the shop sells in {options.currency}",
                )
            )
    if len({p["amount"] for p in prices.values()}) > 1:
        warnings.append(
            ("validation", "its SKUs have different prices; Mercado Livre takes one: the highest")
        )

    body: dict[str, Any] = {
        "title": title,
        "category_id": category.leaf_id,
        "currency_id": options.currency,
        "buying_mode": "buy_it_now",
        "condition": "new",
        "listing_type_id": listing_type,
        "pictures": [{"source": u} for u in pictures],
    }
    sku_attributes = {s.seller_sku: [*per_sku[s.seller_sku], *_identifiers(s)] for s in skus}
    if len(skus) == 1:
        body["attributes"] = attributes + sku_attributes[skus[0].seller_sku]
    else:
        body["attributes"] = attributes
        body["variations"] = []
        seen: dict[tuple, str] = {}
        for s in skus:
            combination = [
                {"id": a["id"], "value_name": value}
                for a in varying
                if (value := attribute_value(s, a, rule_for(a)))
            ]
            key = tuple((c["id"], fold(c["value_name"])) for c in combination)
            if not combination or key in seen:
                problems.append(
                    (
                        "validation",
                        f"SKU {s.seller_sku} is not told apart from {seen.get(key, 'the others')} by "
                        f"{', '.join(str(a['id']) for a in varying) or 'any attribute its category lets vary'}",
                    )
                )
            seen[key] = s.seller_sku
            body["variations"].append(
                {
                    "attribute_combinations": combination,
                    "attributes": sku_attributes[s.seller_sku],
                    "picture_ids": [],
                    "seller_custom_field": s.seller_sku,
                }
            )
    vtex_sku_ids = {s.seller_sku: s.vtex.vtex_sku_id for s in skus if s.vtex and s.vtex.vtex_sku_id}
    return MercadoLivreDraft(
        product.product_key,
        body,
        description,
        prices,
        problems,
        warnings,
        vtex_sku_ids,
        [s.seller_sku for s in skus],
    )


def _identifiers(variant: Variant) -> list[dict[str, Any]]:
    out = [{"id": "SELLER_SKU", "value_name": variant.seller_sku}]
    gtin = attribute_value(variant, {"id": "GTIN"}, None)
    if gtin:
        out.append({"id": "GTIN", "value_name": gtin})
    return out


def item_price(draft: MercadoLivreDraft, prices: Mapping[str, PriceTarget]) -> Decimal | None:
    """The one price of an item: its SKUs' by the client's rules on Mercado Livre (`prices`, already
    the one the product shows), else the draft's."""
    given = [prices[sku].price for sku in draft.skus if sku in prices]
    return max(given) if given else draft.price()


def create_body(
    draft: MercadoLivreDraft, stock: Mapping[str, int], prices: Mapping[str, PriceTarget]
) -> dict[str, Any]:
    """The `POST /items` body: the draft with its price and each SKU's units."""
    price = item_price(draft, prices)
    body = dict(draft.body) | {"price": float(price) if price is not None else None}
    if "variations" in body:
        body["variations"] = [
            v | {"available_quantity": int(stock.get(sku, 0))}
            for v, sku in zip(body["variations"], draft.skus, strict=True)
        ]
    else:
        body["available_quantity"] = int(stock.get(draft.skus[0], 0))
    return body


def item_skus(item: Mapping[str, Any]) -> dict[str, str]:
    """seller_sku → the channel's SKU id (the variation's, or the item's own) of an item answer."""
    holders = item.get("variations") or [item]
    found = {}
    for holder in holders:
        sku = next(
            (a.get("value_name") for a in holder.get("attributes") or [] if a.get("id") == "SELLER_SKU"), None
        )
        if not sku and holder is not item:
            sku = holder.get("seller_custom_field")
        if sku:
            found[str(sku)] = str(holder["id"])
    return found
