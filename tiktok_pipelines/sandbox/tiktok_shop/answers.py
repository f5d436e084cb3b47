"""Objects as the TikTok Shop emulator answers them, shaped as the platform documents them (reference §3):
the envelope of every answer, prices in product answers, SKUs, package search entries. An absent object is
left out, never `null`."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import JSONResponse


def envelope(code: int, message: str, data: Any = None, http_status: int = 200) -> JSONResponse:
    """An answer as the platform wraps it: `code`, `message`, `request_id`, and `data` when there is some."""
    body: dict[str, Any] = {"code": code, "message": message, "request_id": uuid.uuid4().hex.upper()[:32]}
    if data is not None:
        body["data"] = data
    return JSONResponse(body, status_code=http_status)


def price_view(price: dict[str, Any]) -> dict[str, Any]:
    """A SKU's price as product answers (get, search) carry it: `sale_price` (the display price) and
    `tax_exclusive_price`, strings, and no `amount`, which only requests carry. A local shop's display
    price is the amount the seller set, taxes included; a `sale_price` a write gave is shown as such."""
    return {
        "currency": price["currency"],
        "sale_price": price.get("sale_price") or price["amount"],
        "tax_exclusive_price": price["amount"],
    }


def sku_view(sku: dict[str, Any], fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    """A SKU as product answers carry it (all its fields, or `fields`); empty objects are left out."""
    view = {k: v for k, v in sku.items() if k != "committed" and (fields is None or k in fields)}
    view["price"] = price_view(sku["price"])
    return {k: v for k, v in view.items() if v is not None and v != {}}


def without_absent(obj: dict[str, Any]) -> dict[str, Any]:
    """The object without the fields that hold nothing (the platform leaves them out)."""
    return {k: v for k, v in obj.items() if v is not None}


def package_summary(package: dict[str, Any]) -> dict[str, Any]:
    """A package as package search lists it: `id` and `status` (package detail says `package_id` and
    `package_status`)."""
    return {
        "id": package["package_id"],
        "status": package["package_status"],
        "orders": package["orders"],
        "order_line_item_ids": package["order_line_item_ids"],
        "tracking_number": package["tracking_number"],
        "shipping_provider_id": package["shipping_provider_id"],
        "shipping_provider_name": package["shipping_provider_name"],
        "create_time": package["create_time"],
        "update_time": package["update_time"],
    }
