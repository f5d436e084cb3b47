"""Brands (listed, searched, created) and the category tree (categories, leaf rules and attributes, a
recommendation from a title) as the Product API serves them; the tree itself is in `category_tree`."""

from __future__ import annotations

import re
import zlib
from typing import Any

from tiktok_pipelines.sandbox.tiktok_shop.category_tree import TikTokCategory, category_chain
from tiktok_pipelines.sandbox.tiktok_shop.context import Ctx, json_body, paginate
from tiktok_pipelines.sandbox.tiktok_shop.request_checks import ApiError
from tiktok_pipelines.sandbox.tiktok_shop.routing import ApiRoute


class BrandsMixin:
    """The brands of `TikTokShopEmulator`."""

    def _add_brand(self, name: str, authorized: bool = False) -> dict[str, Any]:
        brand = {
            "id": str(7_000_000_000_000_000_000 + zlib_crc(name.casefold())),
            "name": name,
            "authorized_status": "AUTHORIZED" if authorized else "UNAUTHORIEZD",
            "brand_status": "AVAILABLE",
            "is_t1_brand": False,
        }
        self.brands[name.casefold()] = brand
        return brand


def zlib_crc(text: str) -> int:
    return zlib.crc32(text.encode()) * 1000 + len(text)


def h_get_brands(ctx: Ctx) -> dict[str, Any]:
    brands = sorted(ctx.emulator.brands.values(), key=lambda b: b["name"].casefold())
    name = ctx.query.get("brand_name")
    if name:
        brands = [b for b in brands if name.casefold() in b["name"].casefold()]
    if ctx.query.get("is_authorized") in ("true", "1"):
        brands = [b for b in brands if b["authorized_status"] == "AUTHORIZED"]
    return paginate(ctx, brands, "brands", 1, 100)


def h_create_brand(ctx: Ctx) -> dict[str, Any]:
    name = str(json_body(ctx).get("name") or "").strip()
    if not 2 <= len(name) <= 30:
        raise ApiError(36009004, "invalid param error: name must be 2 to 30 characters")
    if name.casefold() in ctx.emulator.brands:
        raise ApiError(4000, "This brand name already exists.")
    return {"id": ctx.emulator._add_brand(name)["id"]}


def h_categories(ctx: Ctx) -> dict[str, Any]:
    version = ctx.query.get("category_version") or "v1"
    if version not in ("v1", "v2"):
        raise ApiError(36009004, f"invalid param error: category_version {version!r}")
    cats = list(ctx.emulator.categories.values())
    keyword = ctx.query.get("keyword")
    if keyword:
        cats = [c for c in cats if keyword.casefold() in c.local_name.casefold()]
    return {"categories": [c.as_api() for c in cats]}


def _category(ctx: Ctx) -> TikTokCategory:
    cat = ctx.emulator.categories.get(ctx.params["category_id"])
    if cat is None:
        raise ApiError(12052220, f"category {ctx.params['category_id']} does not exist")
    return cat


def h_category_rules(ctx: Ctx) -> dict[str, Any]:
    cat = _category(ctx)
    if not cat.is_leaf:
        raise ApiError(12052024, f"category {cat.id} is not a leaf category")
    return cat.rules()


def h_category_attributes(ctx: Ctx) -> dict[str, Any]:
    cat = _category(ctx)
    if not cat.is_leaf:
        raise ApiError(12052024, f"category {cat.id} is not a leaf category")
    return {"attributes": cat.attributes}


def h_recommend_category(ctx: Ctx) -> dict[str, Any]:
    title = str(json_body(ctx).get("product_title") or "")
    if not title:
        raise ApiError(36009004, "invalid param error: product_title is required")
    words = {w for w in re.findall(r"\w+", title.casefold()) if len(w) > 2}
    best, score = None, 0
    for cat in ctx.emulator.categories.values():
        if not cat.is_leaf:
            continue
        names = set(
            re.findall(
                r"\w+",
                " ".join(c["local_name"] for c in category_chain(ctx.emulator.categories, cat.id)).casefold(),
            )
        )
        stems = {n[:5] for n in names}
        s = sum(1 for w in words if w in names or w[:5] in stems)
        if s > score:
            best, score = cat, s
    if best is None:
        return {"leaf_category_id": "", "categories": []}
    return {"leaf_category_id": best.id, "categories": category_chain(ctx.emulator.categories, best.id)}


ROUTES: tuple[ApiRoute, ...] = (
    ApiRoute("GET", "/product/202309/brands", h_get_brands),
    ApiRoute("POST", "/product/202309/brands", h_create_brand, cipher=False),
    ApiRoute("GET", "/product/202309/categories", h_categories),
    ApiRoute("GET", "/product/202309/categories/{category_id}/rules", h_category_rules),
    ApiRoute("GET", "/product/202309/categories/{category_id}/attributes", h_category_attributes),
    ApiRoute("POST", "/product/202309/categories/recommend", h_recommend_category),
)
