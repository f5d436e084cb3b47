"""Product API: listings created, edited in full or in part, checked, activated, deactivated, deleted,
read and searched, each checked against its category's rules as the platform checks them (reference §3).
Inventory and price updates are in `inventory_prices`; brands, categories and images in their modules."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from tiktok_pipelines.sandbox.tiktok_shop import request_checks as req
from tiktok_pipelines.sandbox.tiktok_shop.answers import sku_view, without_absent
from tiktok_pipelines.sandbox.tiktok_shop.category_tree import category_chain
from tiktok_pipelines.sandbox.tiktok_shop.context import Ctx, id_list, json_body, paginate, time_filter
from tiktok_pipelines.sandbox.tiktok_shop.request_checks import ApiError
from tiktok_pipelines.sandbox.tiktok_shop.routing import ApiRoute
from tiktok_pipelines.sandbox.tiktok_shop.state import Shop, new_id, parse_money, unix_now

PRODUCT_STATUSES = (
    "ALL",
    "DRAFT",
    "PENDING",
    "FAILED",
    "ACTIVATE",
    "SELLER_DEACTIVATED",
    "PLATFORM_DEACTIVATED",
    "FREEZE",
    "DELETED",
    "SCHEDULED",
)


class ProductsMixin:
    """The products of `TikTokShopEmulator`'s shops."""

    def _validate_product(self, shop: Shop, body: dict[str, Any]) -> list[str]:
        """Every reason the platform would refuse this listing (empty when it passes)."""
        problems: list[str] = []
        title = body.get("title")
        if not isinstance(title, str) or not (1 <= len(title) <= 255):
            problems.append("title must be 1-255 characters")
        if not body.get("description"):
            problems.append("description is required")
        category = self.categories.get(str(body.get("category_id") or ""))
        if category is None:
            problems.append(f"category {body.get('category_id')!r} does not exist")
        elif not category.is_leaf:
            raise ApiError(12052024, f"category {category.id} is not a leaf category")
        elif "AVAILABLE" not in category.permission_statuses:
            problems.append(f"the shop has no permission to list in category {category.id}")
        brand_id = body.get("brand_id")
        if brand_id and not any(b["id"] == str(brand_id) for b in self.brands.values()):
            problems.append(f"brand {brand_id} does not exist")
        images = body.get("main_images") or []
        if not 1 <= len(images) <= 9:
            problems.append("main_images must hold 1 to 9 images")
        for image in images:
            if not isinstance(image, dict) or image.get("uri") not in self.images:
                problems.append(
                    f"image uri {image.get('uri') if isinstance(image, dict) else image!r} was not uploaded"
                )
        weight = body.get("package_weight") or {}
        try:
            if Decimal(str(weight.get("value"))) <= 0 or weight.get("unit") not in ("KILOGRAM", "POUND"):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            problems.append("package_weight needs a positive value and unit KILOGRAM or POUND")
        if category is not None and category.rules()["package_dimension"]["is_required"]:
            dims = body.get("package_dimensions") or {}
            if not all(dims.get(k) for k in ("length", "width", "height")) or dims.get("unit") not in (
                "CENTIMETER",
                "INCH",
            ):
                problems.append(
                    "package_dimensions (length, width, height, unit) are required in this category"
                )
        if category is not None:
            given = {str(a.get("id")): a for a in body.get("product_attributes") or [] if isinstance(a, dict)}
            for attr in category.attributes:
                if attr["type"] != "PRODUCT_PROPERTY":
                    continue
                value = given.get(attr["id"])
                if attr["is_requried"] and (value is None or not value.get("values")):
                    problems.append(f"required attribute {attr['name']} ({attr['id']}) is missing")
                if value is not None and attr["values"] and not attr["is_customizable"]:
                    allowed = {v["id"] for v in attr["values"]} | {v["name"] for v in attr["values"]}
                    for v in value.get("values") or []:
                        if str(v.get("id") or v.get("name")) not in allowed:
                            problems.append(
                                f"attribute {attr['name']} has no value {v.get('id') or v.get('name')!r}"
                            )
            for cert in category.rules()["product_certifications"]:
                if cert["is_required"] and not any(
                    str(c.get("id")) == cert["id"]
                    for c in body.get("certifications") or []
                    if isinstance(c, dict)
                ):
                    problems.append(
                        f"certification {cert['name']} ({cert['id']}) is required in this category"
                    )
        skus = body.get("skus") or []
        if not 1 <= len(skus) <= 100:
            problems.append("a product needs 1 to 100 skus")
        seen_skus: set[str] = set()
        combos: set[tuple] = set()
        warehouses = set(shop.sales_warehouse_ids)
        for sku in skus:
            seller_sku = str(sku.get("seller_sku") or "")
            if seller_sku:
                if seller_sku in seen_skus:
                    problems.append(f"seller_sku {seller_sku} repeats")
                seen_skus.add(seller_sku)
            price = sku.get("price") or {}
            try:
                if parse_money(price.get("amount")) <= 0:
                    problems.append(f"sku {seller_sku}: price must be positive")
            except ApiError:
                problems.append(f"sku {seller_sku}: price amount {price.get('amount')!r} is not a number")
            if price.get("currency") != shop.currency:
                problems.append(f"sku {seller_sku}: currency must be {shop.currency}")
            inventory = sku.get("inventory") or []
            if not inventory:
                problems.append(f"sku {seller_sku}: inventory is required")
            for inv in inventory:
                if str(inv.get("warehouse_id")) not in warehouses:
                    problems.append(
                        f"sku {seller_sku}: warehouse {inv.get('warehouse_id')} is not a sales warehouse of the shop"
                    )
                if not isinstance(inv.get("quantity"), int) or not 0 <= inv["quantity"] <= 99_999:
                    problems.append(f"sku {seller_sku}: quantity must be an integer from 0 to 99999")
            combo = tuple(
                sorted(
                    (str(a.get("id") or a.get("name")), str(a.get("value_id") or a.get("value_name")))
                    for a in sku.get("sales_attributes") or []
                )
            )
            if len(skus) > 1 and not combo:
                problems.append(
                    f"sku {seller_sku}: sales_attributes are required when a product has several skus"
                )
            if combo and combo in combos:
                problems.append(f"sku {seller_sku}: repeats the sales attributes of another sku")
            combos.add(combo)
        return problems

    def _build_skus(
        self, shop: Shop, skus: list[dict[str, Any]], old: list[dict[str, Any]] | None = None
    ) -> list[dict[str, Any]]:
        by_seller_sku = {s["seller_sku"]: s for s in old or []}
        by_id = {s["id"]: s for s in old or []}
        out = []
        for sku in skus:
            previous = by_id.get(str(sku.get("id") or "")) or by_seller_sku.get(
                str(sku.get("seller_sku") or "")
            )
            sku_id = previous["id"] if previous else new_id(self.rng)
            attrs = [
                {
                    "id": str(a.get("id") or _vid_name(a.get("name"))),
                    "name": a.get("name") or "",
                    "value_id": str(a.get("value_id") or _vid_name(a.get("value_name"))),
                    "value_name": a.get("value_name") or "",
                }
                for a in sku.get("sales_attributes") or []
            ]
            out.append(
                {
                    "id": sku_id,
                    "seller_sku": str(sku.get("seller_sku") or ""),
                    "external_sku_id": sku.get("external_sku_id") or "",
                    "price": stored_price(sku["price"], parse_money(sku["price"]["amount"])),
                    "list_price": sku.get("list_price") or {},
                    "inventory": [
                        {"warehouse_id": str(i["warehouse_id"]), "quantity": int(i["quantity"])}
                        for i in sku.get("inventory") or []
                    ],
                    "committed": {},
                    "sales_attributes": attrs,
                    "identifier_code": sku.get("identifier_code") or {},
                }
            )
        return out

    def _create_product(self, shop: Shop, body: dict[str, Any]) -> dict[str, Any]:
        key = body.get("idempotency_key")
        if key and key in shop.idempotency and shop.idempotency[key] in shop.products:
            return self._create_answer(shop.products[shop.idempotency[key]])
        problems = self._validate_product(shop, body)
        if problems:
            raise ApiError(12052990, "product check failed: " + "; ".join(problems))
        now = unix_now()
        product_id = new_id(self.rng)
        brand = next((b for b in self.brands.values() if b["id"] == str(body.get("brand_id"))), None)
        product = {
            "id": product_id,
            "title": body["title"],
            "description": body["description"],
            "status": "DRAFT" if body.get("save_mode") == "AS_DRAFT" else "ACTIVATE",
            "category_id": str(body["category_id"]),
            "brand": {"id": brand["id"], "name": brand["name"]} if brand else None,
            "main_images": [self._image_view(i["uri"]) for i in body["main_images"]],
            "skus": self._build_skus(shop, body["skus"]),
            "product_attributes": body.get("product_attributes") or [],
            "certifications": body.get("certifications") or [],
            "package_weight": body.get("package_weight"),
            "package_dimensions": body.get("package_dimensions"),
            "external_product_id": body.get("external_product_id") or "",
            "is_cod_allowed": bool(body.get("is_cod_allowed", False)),
            "create_time": now,
            "update_time": now,
            "audit": {"status": "APPROVED"},
            "sales_regions": [shop.region],
        }
        shop.products[product_id] = product
        if key:
            shop.idempotency[key] = product_id
        return self._create_answer(product)

    @staticmethod
    def _create_answer(product: dict[str, Any]) -> dict[str, Any]:
        return {
            "product_id": product["id"],
            "skus": [
                {
                    "id": s["id"],
                    "seller_sku": s["seller_sku"],
                    "external_sku_id": s["external_sku_id"],
                    "sales_attributes": [
                        {"id": a["id"], "value_id": a["value_id"]} for a in s["sales_attributes"]
                    ],
                }
                for s in product["skus"]
            ],
            "warnings": [],
        }

    def _image_view(self, uri: str) -> dict[str, Any]:
        image = self.images[uri]
        return {
            "uri": uri,
            "urls": [image["url"]],
            "thumb_urls": [image["url"]],
            "width": image["width"],
            "height": image["height"],
        }

    def product_view(self, product: dict[str, Any], shop: Shop) -> dict[str, Any]:
        """A product as get product answers it: absent objects (no brand, no dimensions) are left out."""
        view = without_absent({k: v for k, v in product.items() if k != "category_id"})
        view["category_chains"] = category_chain(self.categories, product["category_id"])
        view["skus"] = [sku_view(s) for s in product["skus"]]
        return view

    def product_of(self, shop: Shop, product_id: str) -> dict[str, Any]:
        product = shop.products.get(str(product_id))
        if product is None or product["status"] == "DELETED":
            raise ApiError(12052032, f"product {product_id} not found")
        return product


def stored_price(price: dict[str, Any], amount: Decimal) -> dict[str, Any]:
    """A SKU's price as a write set it: `amount` (a local seller's display price) and, when given, the
    `sale_price` a global seller sets."""
    stored = {"amount": str(amount), "currency": price["currency"]}
    if price.get("sale_price") is not None:
        stored["sale_price"] = str(parse_money(price["sale_price"]))
    return stored


def _vid_name(name: Any) -> str:
    return str(6_000_000 + zlib.crc32(str(name or "").encode()) % 1_000_000)


def _product_write(ctx: Ctx) -> dict[str, Any]:
    """The body of a product create, edit or check, its fields of the wrong type or range refused."""
    body = json_body(ctx)
    req.check_fields(body, req.PRODUCT_WRITE)
    return body


def h_create_product(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    return ctx.emulator._create_product(ctx.shop, _product_write(ctx))


def h_edit_product(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    emu, shop = ctx.emulator, ctx.shop
    product = emu.product_of(shop, ctx.params["product_id"])
    body = _product_write(ctx)
    problems = emu._validate_product(shop, body)
    if problems:
        raise ApiError(12052990, "product check failed: " + "; ".join(problems))
    brand = next((b for b in emu.brands.values() if b["id"] == str(body.get("brand_id"))), None)
    # A full edit replaces the product: SKUs left out are deleted.
    product.update(
        title=body["title"],
        description=body["description"],
        category_id=str(body["category_id"]),
        brand={"id": brand["id"], "name": brand["name"]} if brand else None,
        main_images=[emu._image_view(i["uri"]) for i in body["main_images"]],
        skus=emu._build_skus(shop, body["skus"], product["skus"]),
        product_attributes=body.get("product_attributes") or [],
        certifications=body.get("certifications") or [],
        package_weight=body.get("package_weight"),
        package_dimensions=body.get("package_dimensions"),
        update_time=unix_now(),
    )
    return ProductsMixin._create_answer(product)


def h_partial_edit_product(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    emu, shop = ctx.emulator, ctx.shop
    product = emu.product_of(shop, ctx.params["product_id"])
    body = _product_write(ctx)
    merged = {
        "title": product["title"],
        "description": product["description"],
        "category_id": product["category_id"],
        "brand_id": (product.get("brand") or {}).get("id"),
        "main_images": [{"uri": i["uri"]} for i in product["main_images"]],
        "package_weight": product["package_weight"],
        "package_dimensions": product["package_dimensions"],
        "product_attributes": product["product_attributes"],
        "certifications": product.get("certifications") or [],
        "skus": [
            {**s, "price": {"amount": s["price"]["amount"], "currency": s["price"]["currency"]}}
            for s in product["skus"]
        ],
    }
    unknown = set(body) - set(merged) - {"external_product_id", "video", "size_chart"}
    if unknown:
        raise ApiError(36009004, f"invalid param error: unknown fields {sorted(unknown)}")
    merged.update(body)
    problems = emu._validate_product(shop, merged)
    if problems:
        raise ApiError(12052990, "product check failed: " + "; ".join(problems))
    if "skus" in body:
        product["skus"] = emu._build_skus(shop, body["skus"], product["skus"])
    for key in (
        "title",
        "description",
        "product_attributes",
        "certifications",
        "package_weight",
        "package_dimensions",
    ):
        if key in body:
            product[key] = body[key]
    if "category_id" in body:
        product["category_id"] = str(body["category_id"])
    if "main_images" in body:
        product["main_images"] = [emu._image_view(i["uri"]) for i in body["main_images"]]
    product["update_time"] = unix_now()
    return ProductsMixin._create_answer(product)


def h_delete_products(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    ids = id_list(json_body(ctx), "product_ids")
    if not ids or len(ids) > 20:
        raise ApiError(36009004, "invalid param error: product_ids must hold 1 to 20 ids")
    errors = []
    for pid in ids:
        product = ctx.shop.products.get(str(pid))
        if product is None or product["status"] == "DELETED":
            errors.append(
                {"code": 12052032, "message": "product not found", "detail": {"product_id": str(pid)}}
            )
        else:
            product["status"] = "DELETED"
            product["update_time"] = unix_now()
    return {"errors": errors}


def _set_status(new: str, allowed_from: tuple[str, ...]) -> Callable[[Ctx], dict[str, Any]]:
    def handler(ctx: Ctx) -> dict[str, Any]:
        assert ctx.shop
        errors = []
        for pid in json_body(ctx).get("product_ids") or []:
            product = ctx.shop.products.get(str(pid))
            if product is None or product["status"] not in allowed_from:
                errors.append(
                    {
                        "code": 12052032,
                        "message": "product not found or not in a state for this change",
                        "detail": {"product_id": str(pid)},
                    }
                )
            else:
                product["status"] = new
                product["update_time"] = unix_now()
        return {"errors": errors}

    return handler


def h_get_product(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    return ctx.emulator.product_view(ctx.emulator.product_of(ctx.shop, ctx.params["product_id"]), ctx.shop)


def h_search_products(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    body = json_body(ctx)
    status = body.get("status") or "ALL"
    if status not in PRODUCT_STATUSES:
        raise ApiError(36009004, f"invalid param error: status {status!r}")
    items = [
        p
        for p in ctx.shop.products.values()
        if (p["status"] == status) or (status == "ALL" and p["status"] != "DELETED")
    ]
    if body.get("seller_skus"):
        wanted = set(body["seller_skus"])
        items = [p for p in items if any(s["seller_sku"] in wanted for s in p["skus"])]
    items = time_filter(items, body, lt="le")
    items = sorted(items, key=lambda p: (p["create_time"], p["id"]))
    page = paginate(ctx, items, "products", 1, 100)  # summaries of the page only: a large shop pages fast
    page["products"] = [
        {
            "id": p["id"],
            "title": p["title"],
            "status": p["status"],
            "sales_regions": p["sales_regions"],
            "skus": [
                sku_view(s, ("id", "seller_sku", "price", "list_price", "inventory")) for s in p["skus"]
            ],
            "create_time": p["create_time"],
            "update_time": p["update_time"],
        }
        for p in page["products"]
    ]
    return page


def h_search_products_202502(ctx: Ctx) -> dict[str, Any]:
    """Product search 202502: the 202309 search, with at most 10 seller SKUs per filter."""
    seller_skus = json_body(ctx).get("seller_skus")
    if isinstance(seller_skus, list) and len(seller_skus) > 10:
        raise ApiError(12019027, "The maximum count of “seller_skus” in the search filter is 10.")
    return h_search_products(ctx)


def h_listing_check(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    body = _product_write(ctx)
    try:
        problems = ctx.emulator._validate_product(ctx.shop, body)
    except ApiError as exc:
        problems = [exc.message]
    return {
        "check_result": "FAIL" if problems else "PASS",
        "fail_reasons": [{"code": 12052990, "reasons": problems}] if problems else [],
        "listing_quality": {
            "current_tier": "GOOD" if not problems else "POOR",
            "remaining_recommendations": 0,
        },
    }


ROUTES: tuple[ApiRoute, ...] = (
    ApiRoute("POST", "/product/202309/products", h_create_product),
    ApiRoute("DELETE", "/product/202309/products", h_delete_products),
    ApiRoute("PUT", "/product/202309/products/{product_id}", h_edit_product),
    ApiRoute("GET", "/product/202309/products/{product_id}", h_get_product),
    ApiRoute("POST", "/product/202309/products/{product_id}/partial_edit", h_partial_edit_product),
    ApiRoute("POST", "/product/202309/products/search", h_search_products),
    ApiRoute("POST", "/product/202502/products/search", h_search_products_202502),
    ApiRoute("PUT", "/product/202509/products/{product_id}", h_edit_product),
    ApiRoute("POST", "/product/202509/products/{product_id}/partial_edit", h_partial_edit_product),
    ApiRoute("POST", "/product/202309/products/listing_check", h_listing_check),
    ApiRoute(
        "POST", "/product/202309/products/activate", _set_status("ACTIVATE", ("SELLER_DEACTIVATED", "DRAFT"))
    ),
    ApiRoute("POST", "/product/202309/products/deactivate", _set_status("SELLER_DEACTIVATED", ("ACTIVATE",))),
)
