"""A TikTok product from a core `Product` (a feed item group with its VTEX enrichment): the payload,
checked against the leaf category's rules before any call is made, and what an edit has to send.

The catalog owns a product's content: title, description, category, brand, images, package weight and
dimensions, attributes, certifications and its set of SKUs (seller SKU, sales attributes, identifier
code). Price and stock are set when a product or SKU is created and belong to the stock and price sync
afterwards, so they are kept out of the payload hash and never sent by an edit of an existing SKU.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tiktok_pipelines.channels.tiktok_shop.attributes import SkuFacts, Source, resolve_product_attributes
from tiktok_pipelines.core.models.categories import CategoryChoice
from tiktok_pipelines.core.models.listings import ListingOptions, PartsDraft
from tiktok_pipelines.core.models.offers import PriceTarget
from tiktok_pipelines.core.models.products import VARIANT_DIMENSIONS, Product, Variant
from tiktok_pipelines.core.text import description_html, fold, plain_length

MAX_MAIN_IMAGES = 9  # reference §3: main_images ≤ 9
MAX_SKUS = 100
MAX_SALES_ATTRIBUTES = 3
TITLE_MAX = 255
DESCRIPTION_MAX = 10_000
PRODUCT_FIELDS = (
    "title",
    "description",
    "category_id",
    "brand_id",
    "main_images",
    "package_weight",
    "package_dimensions",
    "product_attributes",
    "certifications",
)
ALL_PARTS = (*PRODUCT_FIELDS, "skus")

# The names TikTok gives the variant dimensions (`core.models.products.VARIANT_DIMENSIONS`) as sales
# attributes, in that order.
_SALES_ATTRIBUTE_NAMES = {"color": "Cor", "size": "Tamanho", "material": "Material", "pattern": "Estampa"}


class TikTokListingDraft(PartsDraft):
    """What would be sent for a product: `parts` by field (images as source URLs), prices per SKU,
    and problems (errors hold it back; warnings are reported and it goes anyway)."""

    hashed_parts = ALL_PARTS

    def image_refs(self) -> list[tuple[str, str]]:
        """(url, use case) of every image the payload needs."""
        refs = [(u, "MAIN_IMAGE") for u in self.parts.get("main_images") or []]
        for sku in self.parts.get("skus") or []:
            for attr in sku.get("sales_attributes") or []:
                if attr.get("sku_img"):
                    refs.append((attr["sku_img"], "ATTRIBUTE_IMAGE"))
        for cert in self.parts.get("certifications") or []:
            refs.extend((u, "CERTIFICATION_IMAGE") for u in cert.get("images") or [])
        return list(dict.fromkeys(refs))


# ---------------------------------------------------------------- pieces
def gtin_type(code: str) -> str | None:
    """TikTok's identifier type for a valid GTIN (check digit verified), else None."""
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return None
    digits = [int(d) for d in code]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    if (10 - total % 10) % 10 != digits[-1]:
        return None
    return {8: "EAN", 12: "UPC", 13: "EAN", 14: "GTIN"}[len(code)]


def _title_suffix(sku: Variant, product: str) -> str | None:
    """What a variant's title adds to the product's ("Kit Panelas 3 peças" → "3 peças"), else VTEX's SKU name."""
    title = str(sku.feed.get("title") or "").strip()
    if fold(title).startswith(fold(product)) and len(title) > len(product):
        suffix = title[len(product) :].strip(" -–,")
        if suffix:
            return suffix
    if sku.vtex and sku.vtex.sku_name:
        return sku.vtex.sku_name
    return None


def _leaf_sales_attribute(
    attributes: Sequence[Mapping[str, Any]], synonyms: tuple[str, ...]
) -> Mapping[str, Any] | None:
    for attr in attributes:
        if attr.get("type") != "SALES_PROPERTY":
            continue
        name = fold(str(attr.get("name")))
        if name in synonyms or any(name.startswith(s + " ") for s in synonyms):
            return attr
    return None


def sales_attributes(
    skus: Sequence[Variant], leaf_attributes: Sequence[Mapping[str, Any]], product: str
) -> tuple[list[list[dict[str, Any]]], list[str], list[str]]:
    """Per SKU, the sales attributes that tell the variants apart; (per-SKU lists, problems, warnings)."""
    if len(skus) == 1:
        return [[]], [], []
    chosen: list[tuple[str, str, tuple[str, ...], list[str]]] = []
    for dimension, names in VARIANT_DIMENSIONS:
        values = [s.dimension(dimension) for s in skus]
        if all(values) and len({fold(v) for v in values if v}) > 1:
            chosen.append((dimension, _SALES_ATTRIBUTE_NAMES[dimension], names, [v for v in values if v]))
    chosen = chosen[:MAX_SALES_ATTRIBUTES]
    warnings: list[str] = []
    combos = {tuple(fold(vals[i]) for *_, vals in chosen) for i in range(len(skus))}
    if not chosen or len(combos) < len(skus):
        # The variants differ in nothing the feed or VTEX names: tell them apart by what their titles add.
        suffixes = [_title_suffix(s, product) for s in skus]
        if not all(suffixes) or len({fold(v or "") for v in suffixes}) < len(skus):
            return (
                [[] for _ in skus],
                ["two variants have the same colour, size and title: buyers could not tell them apart"],
                [],
            )
        chosen = [("variant", "Variação", ("variacao",), [v for v in suffixes if v])]
        warnings.append(
            "variants have no colour or size that tells them apart; sent as 'Variação' with their title suffix"
        )
    out: list[list[dict[str, Any]]] = [[] for _ in skus]
    for dimension, label, names, values in chosen:
        attr = _leaf_sales_attribute(leaf_attributes, names) if dimension != "variant" else None
        listed = {fold(str(v.get("name"))): v for v in (attr or {}).get("values") or []}
        for i, value in enumerate(values):
            entry: dict[str, Any] = {"name": str(attr["name"]) if attr else label, "value_name": value}
            if attr:
                entry["id"] = str(attr["id"])
                known = listed.get(fold(value))
                if known:
                    entry["value_id"] = str(known["id"])
                    entry["value_name"] = str(known["name"])
            out[i].append(entry)
    return out, [], warnings


def _weight_text(kg: Decimal) -> str:
    return format(kg.quantize(Decimal("0.001")).normalize(), "f")


def package(
    skus: Sequence[Variant], defaults: Mapping[str, Any]
) -> tuple[dict[str, str] | None, dict[str, str] | None, list[str]]:
    """The package weight (the heaviest SKU's) and dimensions (the largest of each side, whole cm)."""
    notes: list[str] = []
    weights = []
    for s in skus:
        w = (s.vtex.weight_kg if s.vtex else None) or s.feed.get("shipping_weight_kg")
        if w:
            weights.append(Decimal(str(w)))
    weight = None
    if weights:
        weight = {"value": _weight_text(max(weights)), "unit": "KILOGRAM"}
    elif defaults.get("weight_kg"):
        weight = {"value": _weight_text(Decimal(str(defaults["weight_kg"]))), "unit": "KILOGRAM"}
        notes.append("package weight from the client's default_package")
    sides = {}
    for side in ("length", "width", "height"):
        values = [getattr(s.vtex, f"{side}_cm") for s in skus if s.vtex and getattr(s.vtex, f"{side}_cm")]
        if values:
            sides[side] = max(values)
        elif defaults.get(f"{side}_cm"):
            sides[side] = Decimal(str(defaults[f"{side}_cm"]))
            notes.append(f"package {side} from the client's default_package")
    dims = None
    if len(sides) == 3:
        dims = {k: str(max(1, math.ceil(v))) for k, v in sides.items()} | {"unit": "CENTIMETER"}
    return weight, dims, notes


# ---------------------------------------------------------------- the draft
def build_draft(
    product: Product,
    category: CategoryChoice,
    brand_id: str | None,
    brand_problem: str | None,
    rule_for: Callable[[Mapping[str, Any]], Source | None],
    settings: ListingOptions,
) -> TikTokListingDraft:
    """The TikTok product for a feed item group, checked against the leaf's rules."""
    skus = product.variants
    title, description, problems, warnings = product.listing_text(TITLE_MAX, description_html)
    if description and plain_length(description) > DESCRIPTION_MAX:
        problems.append(
            (
                "validation",
                f"description has {plain_length(description)} characters; TikTok takes at most {DESCRIPTION_MAX}",
            )
        )

    if category.problem:
        problems.append(("category", category.problem))
    leaf_attributes = list(category.attributes or [])
    rules = dict(category.rules or {})

    if brand_problem:
        problems.append(("brand", brand_problem))

    images = product.image_urls(min(settings.max_main_images, MAX_MAIN_IMAGES))
    if not images:
        problems.append(("images", "the product has no image (g:image_link)"))

    weight, dims, package_notes = package(skus, settings.default_package)
    warnings.extend(("validation", n) for n in package_notes)
    if weight is None:
        problems.append(
            ("validation", "no package weight: VTEX has none and the feed has no g:shipping_weight")
        )
    if dims is None and (rules.get("package_dimension") or {}).get("is_required", False):
        problems.append(("validation", "package dimensions are required in this category and VTEX has none"))

    attribute_values: list[dict[str, Any]] = []
    if category.leaf_id is not None and category.attributes is not None:
        facts = [SkuFacts(s.feed, s.specifications) for s in skus]
        resolved = resolve_product_attributes(leaf_attributes, facts, rule_for)
        attribute_values = resolved.values
        if resolved.missing:
            problems.append(
                (
                    "attributes",
                    "required attribute(s) without a value: "
                    + ", ".join(resolved.missing)
                    + f" (category {category.leaf_id}); give them in the feed, in VTEX specifications, or with "
                    "`tiktok-pipelines attributes set`",
                )
            )
        problems.extend(("attributes", p) for p in resolved.problems)

    certifications = []
    for cert in rules.get("product_certifications") or []:
        if not cert.get("is_required"):
            continue
        urls = list(settings.certifications.get(str(cert.get("id"))) or [])
        if urls:
            certifications.append({"id": str(cert["id"]), "images": urls})
        else:
            problems.append(
                (
                    "attributes",
                    f"certification {cert.get('name')} ({cert.get('id')}) is required in this category: "
                    "give its image in the client option `certifications`",
                )
            )

    if len(skus) > MAX_SKUS:
        problems.append(("validation", f"{len(skus)} variants; TikTok takes at most {MAX_SKUS} per product"))
    per_sku_attrs, attr_problems, attr_warnings = sales_attributes(skus, leaf_attributes, title)
    problems.extend(("validation", p) for p in attr_problems)
    warnings.extend(("validation", w) for w in attr_warnings)

    sku_parts: list[dict[str, Any]] = []
    prices: dict[str, dict[str, Any]] = {}
    vtex_sku_ids: dict[str, str] = {}
    with_sku_images = settings.sku_images and len(skus) > 1 and all(s.feed.get("image_link") for s in skus)
    for sku, attrs in zip(skus, per_sku_attrs, strict=True):
        feed = sku.feed
        if with_sku_images and attrs:
            attrs = [{**attrs[0], "sku_img": str(feed["image_link"]).strip()}, *attrs[1:]]
        entry: dict[str, Any] = {"seller_sku": sku.seller_sku, "sales_attributes": attrs}
        code = (sku.vtex.ean if sku.vtex and sku.vtex.ean else None) or feed.get("gtin")
        if code:
            kind = gtin_type(str(code).strip())
            if kind:
                entry["identifier_code"] = {"code": str(code).strip(), "type": kind}
            else:
                warnings.append(("validation", f"SKU {sku.seller_sku}: {code} is not a valid GTIN; not sent"))
        if sku.vtex and sku.vtex.vtex_sku_id:
            entry["external_sku_id"] = sku.vtex.vtex_sku_id
            vtex_sku_ids[sku.seller_sku] = sku.vtex.vtex_sku_id
        sku_parts.append(entry)

        price = sku.feed_price(settings.currency)
        amount, currency = price["amount"], price["currency"]
        if amount is None or amount <= 0:
            problems.append(("validation", f"SKU {sku.seller_sku}: price must be above zero"))
        if currency != settings.currency:
            problems.append(
                (
                    "validation",
                    f"SKU {sku.seller_sku}: price in {currency}, the shop sells in {settings.currency}",
                )
            )
        prices[sku.seller_sku] = price
        if sku.vtex is not None and sku.vtex.is_active is False:
            warnings.append(("validation", f"SKU {sku.seller_sku} is inactive in VTEX"))

    parts = {
        "title": title,
        "description": description,
        "category_id": category.leaf_id,
        "brand_id": brand_id,
        "main_images": images,
        "package_weight": weight,
        "package_dimensions": dims,
        "product_attributes": attribute_values,
        "certifications": certifications,
        "skus": sku_parts,
    }
    return TikTokListingDraft(product.product_key, parts, prices, problems, warnings, vtex_sku_ids)


# ---------------------------------------------------------------- API bodies
def _money(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


def _with_uris(value: Any, uris: Mapping[tuple[str, str], str], use_case: str) -> Any:
    return [{"uri": uris[(u, use_case)]} for u in value if (u, use_case) in uris]


def product_fields(
    draft: TikTokListingDraft, uris: Mapping[tuple[str, str], str], names: Sequence[str]
) -> dict[str, Any]:
    """The product-level fields `names` as the API takes them (image URLs replaced by uploaded uris)."""
    body: dict[str, Any] = {}
    for name in names:
        value = draft.parts.get(name)
        if name == "main_images":
            # Two URLs with the same bytes share one uri: send it once.
            images = _with_uris(value or [], uris, "MAIN_IMAGE")
            body[name] = list({i["uri"]: i for i in images}.values())
        elif name == "certifications":
            body[name] = [
                {"id": c["id"], "images": _with_uris(c["images"], uris, "CERTIFICATION_IMAGE")}
                for c in value or []
            ]
        elif value is not None:
            body[name] = value
    return body


def sku_body(
    draft: TikTokListingDraft,
    sku: Mapping[str, Any],
    uris: Mapping[tuple[str, str], str],
    *,
    tiktok_sku_id: str | None = None,
    price: Mapping[str, Any] | None = None,
    list_price: Mapping[str, Any] | None = None,
    inventory: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """One SKU of a create or full edit. A new SKU gets the price and stock the caller gives (the client's
    rules on TikTok Shop, else the feed's price); an existing one keeps the price and stock TikTok has
    (given by the caller), since those belong to the stock and price sync."""
    out: dict[str, Any] = {"seller_sku": sku["seller_sku"]}
    if tiktok_sku_id:
        out["id"] = tiktok_sku_id
    attrs = []
    for attr in sku.get("sales_attributes") or []:
        entry = {k: v for k, v in attr.items() if k != "sku_img"}
        if attr.get("sku_img") and (attr["sku_img"], "ATTRIBUTE_IMAGE") in uris:
            entry["sku_img"] = {"uri": uris[(attr["sku_img"], "ATTRIBUTE_IMAGE")]}
        attrs.append(entry)
    out["sales_attributes"] = attrs
    if sku.get("identifier_code"):
        out["identifier_code"] = dict(sku["identifier_code"])
    if sku.get("external_sku_id"):
        out["external_sku_id"] = sku["external_sku_id"]
    if price is None:
        feed_price = draft.prices[sku["seller_sku"]]
        price = {"amount": _money(feed_price["amount"]), "currency": feed_price["currency"]}
        if feed_price["list_amount"] is not None:
            list_price = {"amount": _money(feed_price["list_amount"]), "currency": feed_price["currency"]}
    out["price"] = dict(price)
    if list_price:
        out["list_price"] = dict(list_price)
    out["inventory"] = [dict(i) for i in inventory or []]
    return out


def price_fields(target: PriceTarget | None) -> dict[str, Any]:
    """`sku_body`'s price and list price of a new SKU priced by the client's rules (none: the feed's)."""
    if target is None:
        return {}
    price = {"amount": _money(target.price), "currency": target.currency}
    listed = {"amount": _money(target.list_price), "currency": target.currency}
    return {"price": price, "list_price": listed if target.list_price > target.price else None}


def create_body(
    draft: TikTokListingDraft,
    uris: Mapping[tuple[str, str], str],
    inventory: Mapping[str, Sequence[Mapping[str, Any]]],
    idempotency_key: str,
    prices: Mapping[str, PriceTarget] | None = None,
) -> dict[str, Any]:
    body = product_fields(draft, uris, PRODUCT_FIELDS)
    body["skus"] = [
        sku_body(
            draft,
            s,
            uris,
            inventory=inventory[s["seller_sku"]],
            **price_fields((prices or {}).get(s["seller_sku"])),
        )
        for s in draft.parts["skus"]
    ]
    body["external_product_id"] = draft.product_key
    body["save_mode"] = "LISTING"
    body["idempotency_key"] = idempotency_key
    return body


@dataclass(frozen=True)
class EditPlan:
    kind: str  # none | partial | full
    fields: tuple[str, ...] = ()


def plan_edit(draft: TikTokListingDraft, pushed: Mapping[str, str] | None) -> EditPlan:
    """What an edit must send: only the product fields that changed (a partial edit), or everything
    (a full edit) when the set of SKUs or their attributes changed, or when what was pushed is unknown."""
    current = draft.part_hashes()
    if not pushed or any(name not in pushed for name in ALL_PARTS):
        return EditPlan("full", ALL_PARTS)
    changed = [name for name in ALL_PARTS if current[name] != pushed[name]]
    if not changed:
        return EditPlan("none")
    if "skus" in changed or any(draft.parts.get(name) is None for name in changed):
        return EditPlan("full", ALL_PARTS)
    fields = set(changed)
    if "category_id" in fields:
        fields |= {"product_attributes", "certifications"}  # they are the new leaf's
    return EditPlan("partial", tuple(n for n in PRODUCT_FIELDS if n in fields))
