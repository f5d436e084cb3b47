"""What VTEX adds to a feed item: images, package dimensions and weight (in kilograms and centimetres),
EAN, brand, category and specifications; one row of the lake table `vtex_catalog`. VTEX's SKU context is
read into it by `vtex.sku_context`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
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
        row = {"client_id": client_id} | {f.name: getattr(self, f.name) for f in fields(self)}
        row["specifications"] = list(self.specifications.items())
        return row

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> VtexSkuData:
        values = {f.name: row.get(f.name) for f in fields(cls)}
        specs = row.get("specifications") or []
        values.update(
            seller_sku=row["seller_sku"],
            status=row.get("status") or "failed",
            image_urls=list(row.get("image_urls") or []),
            specifications=dict(specs.items() if isinstance(specs, Mapping) else specs),
        )
        return cls(**values)
