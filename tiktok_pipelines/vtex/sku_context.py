"""VTEX's SKU context (`GET /api/catalog_system/pvt/sku/stockkeepingunitbyid/{id}`) read into what VTEX
adds to a feed item (`core.enrichment.VtexSkuData`).

VTEX leaves the weight unit to the store (grams is common; some stores use kilograms), so the unit is
a per-client setting; dimensions are centimetres.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from tiktok_pipelines.core.enrichment import VtexSkuData

WEIGHT_UNITS = {
    "g": Decimal("0.001"),
    "kg": Decimal(1),
    "lb": Decimal("0.45359237"),
    "oz": Decimal("0.028349523125"),
}
_GRAM = Decimal("0.001")
_CENT = Decimal("0.01")


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
