"""What VTEX adds to a feed item: images, package dimensions and weight (in kilograms and centimetres),
EAN, brand, category and specifications; one row of the lake table `vtex_catalog`. VTEX's SKU context is
read into it by `vtex.sku_context`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


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
