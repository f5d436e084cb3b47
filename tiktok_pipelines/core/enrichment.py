"""What VTEX adds to a feed item: images, package dimensions and weight, EAN, brand, category and
specifications, read from the SKU context (`stockkeepingunitbyid`).

VTEX leaves the weight unit to the store (grams is common; some stores use kilograms), so the unit is
a per-client setting; dimensions are centimetres.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

WEIGHT_UNITS = {
    "g": Decimal("0.001"),
    "kg": Decimal(1),
    "lb": Decimal("0.45359237"),
    "oz": Decimal("0.028349523125"),
}
_GRAM = Decimal("0.001")
_CENT = Decimal("0.01")


@dataclass
class VtexSkuData:
    """The enrichment of one feed item (one row of the `vtex_catalog` table)."""

    seller_sku: str
    vtex_sku_id: str | None
    status: str  # ok | not_found | failed | no_sku_id
    vtex_product_id: str | None = None
    product_name: str | None = None
    sku_name: str | None = None
    description: str | None = None
    brand_id: str | None = None
    brand_name: str | None = None
    category_id: str | None = None
    category_path: str | None = None  # "/1/11/"
    category_label: str | None = None  # "Moda > Camisetas"
    global_category_id: str | None = None
    ean: str | None = None
    ref_id: str | None = None
    image_urls: list[str] = field(default_factory=list)
    weight_kg: Decimal | None = None
    height_cm: Decimal | None = None
    width_cm: Decimal | None = None
    length_cm: Decimal | None = None
    specifications: dict[str, str] = field(default_factory=dict)
    is_active: bool | None = None
    feed_hash: str | None = None
    fetched_at: datetime | None = None
    error: str | None = None

    def as_row(self, client_id: str) -> dict[str, Any]:
        return {
            "client_id": client_id,
            "seller_sku": self.seller_sku,
            "vtex_sku_id": self.vtex_sku_id,
            "status": self.status,
            "vtex_product_id": self.vtex_product_id,
            "product_name": self.product_name,
            "sku_name": self.sku_name,
            "description": self.description,
            "brand_id": self.brand_id,
            "brand_name": self.brand_name,
            "category_id": self.category_id,
            "category_path": self.category_path,
            "category_label": self.category_label,
            "global_category_id": self.global_category_id,
            "ean": self.ean,
            "ref_id": self.ref_id,
            "image_urls": self.image_urls,
            "weight_kg": self.weight_kg,
            "height_cm": self.height_cm,
            "width_cm": self.width_cm,
            "length_cm": self.length_cm,
            "specifications": list(self.specifications.items()),
            "is_active": self.is_active,
            "feed_hash": self.feed_hash,
            "fetched_at": self.fetched_at,
            "error": self.error,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> VtexSkuData:
        specs = row.get("specifications") or []
        return cls(
            seller_sku=row["seller_sku"],
            vtex_sku_id=row.get("vtex_sku_id"),
            status=row.get("status") or "failed",
            vtex_product_id=row.get("vtex_product_id"),
            product_name=row.get("product_name"),
            sku_name=row.get("sku_name"),
            description=row.get("description"),
            brand_id=row.get("brand_id"),
            brand_name=row.get("brand_name"),
            category_id=row.get("category_id"),
            category_path=row.get("category_path"),
            category_label=row.get("category_label"),
            global_category_id=row.get("global_category_id"),
            ean=row.get("ean"),
            ref_id=row.get("ref_id"),
            image_urls=list(row.get("image_urls") or []),
            weight_kg=row.get("weight_kg"),
            height_cm=row.get("height_cm"),
            width_cm=row.get("width_cm"),
            length_cm=row.get("length_cm"),
            specifications=dict(specs.items() if isinstance(specs, Mapping) else specs),
            is_active=row.get("is_active"),
            feed_hash=row.get("feed_hash"),
            fetched_at=row.get("fetched_at"),
            error=row.get("error"),
        )


def _decimal(value: Any, quantum: Decimal) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number <= 0:
        return None
    return number.quantize(quantum, rounding=ROUND_HALF_UP)


def weight_kg(value: Any, unit: str) -> Decimal | None:
    """A VTEX weight in the store's unit, in kilograms; None when absent or not positive."""
    if unit not in WEIGHT_UNITS:
        raise ValueError(f"vtex_weight_unit must be one of {', '.join(WEIGHT_UNITS)}, got {unit!r}")
    number = _decimal(value, Decimal("0.000001"))
    if number is None:
        return None
    return (number * WEIGHT_UNITS[unit]).quantize(_GRAM, rounding=ROUND_HALF_UP) or None


def _first_positive(*values: Any) -> Any:
    for value in values:
        if _decimal(value, _CENT) is not None:
            return value
    return None


def _specifications(context: Mapping[str, Any]) -> dict[str, str]:
    specs: dict[str, str] = {}
    # SKU specifications (colour, size) win over product ones of the same name.
    for key in ("ProductSpecifications", "SkuSpecifications"):
        for spec in context.get(key) or []:
            name = str(spec.get("FieldName") or "").strip()
            values = [str(v).strip() for v in spec.get("FieldValues") or [] if str(v).strip()]
            if name and values:
                specs[name] = ", ".join(values)
    return specs


def _category(context: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    path = str(context.get("ProductCategoryIds") or "").strip()
    ids = [part for part in path.split("/") if part]
    names = context.get("ProductCategories") or {}
    label = " > ".join(str(names.get(i) or names.get(int(i)) or i) for i in ids) if ids else None
    return (ids[-1] if ids else None), (path or None), label


def _ean(context: Mapping[str, Any]) -> str | None:
    alternate = context.get("AlternateIds") or {}
    ean = str(alternate.get("Ean") or "").strip()
    if ean:
        return ean
    for value in context.get("AlternateIdValues") or []:
        text = str(value).strip()
        if re.fullmatch(r"\d{8}|\d{12,14}", text):
            return text
    return None


def parse_sku_context(
    seller_sku: str, context: Mapping[str, Any], weight_unit: str, feed_hash: str | None, now: datetime
) -> VtexSkuData:
    """The enrichment of a feed item from its VTEX SKU context."""
    dims = context.get("Dimension") or {}
    real = context.get("RealDimension") or {}
    category_id, category_path, category_label = _category(context)
    images = []
    for image in context.get("Images") or []:
        url = str(image.get("ImageUrl") or "").strip()
        if url and url not in images:
            images.append(url)
    global_category = context.get("ProductGlobalCategoryId")
    return VtexSkuData(
        seller_sku=seller_sku,
        vtex_sku_id=str(context.get("Id") or "") or None,
        status="ok",
        vtex_product_id=str(context.get("ProductId") or "") or None,
        product_name=(context.get("ProductName") or None),
        sku_name=(context.get("SkuName") or None),
        description=(context.get("ProductDescription") or None),
        brand_id=str(context.get("BrandId") or "") or None,
        brand_name=(str(context.get("BrandName") or "").strip() or None),
        category_id=category_id,
        category_path=category_path,
        category_label=category_label,
        global_category_id=str(global_category) if global_category else None,
        ean=_ean(context),
        ref_id=str((context.get("AlternateIds") or {}).get("RefId") or "") or None,
        image_urls=images,
        # The package (Dimension) is what TikTok asks for; the product's own size is a fallback.
        weight_kg=weight_kg(_first_positive(dims.get("weight"), real.get("realWeight")), weight_unit),
        height_cm=_decimal(_first_positive(dims.get("height"), real.get("realHeight")), _CENT),
        width_cm=_decimal(_first_positive(dims.get("width"), real.get("realWidth")), _CENT),
        length_cm=_decimal(_first_positive(dims.get("length"), real.get("realLength")), _CENT),
        specifications=_specifications(context),
        is_active=bool(context.get("IsActive")) if "IsActive" in context else None,
        feed_hash=feed_hash,
        fetched_at=now,
    )
