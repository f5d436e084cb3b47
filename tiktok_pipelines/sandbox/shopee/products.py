"""Items, their tier variations and models, stock and prices (reference §5): `add_item` (required fields,
a leaf category and its mandatory attributes, a brand where the category requires one, uploaded image ids,
enabled logistics channels), `update_item`, `unlist_item`, `delete_item`, `get_item_list` (offset paging,
`item_status` repeated), `get_item_base_info` (at most 50 ids; no `price_info` once the item has models),
`init_tier_variation` and `get_model_list` (at most 50 models, each tier combination once), and
`update_stock` / `update_price` per model (1–50 entries; model_id 0 for an item without models; stock not
below what orders reserve), answered with `success_list` and `failure_list`."""

from __future__ import annotations

import itertools
from typing import Any

from tiktok_pipelines.sandbox.shopee.catalog_data import NO_BRAND_ID, check_attributes
from tiktok_pipelines.sandbox.shopee.context import Ctx, Endpoints, int_ids, need, of_kind
from tiktok_pipelines.sandbox.shopee.errors import ApiError, param_error
from tiktok_pipelines.sandbox.shopee.logistics import check_logistics
from tiktok_pipelines.sandbox.shopee.state import Shop, unix_now

ITEM_STATUSES = ("NORMAL", "BANNED", "UNLIST", "REVIEWING", "SELLER_DELETE", "SHOPEE_DELETE")
MAX_NAME = 120
MAX_IMAGES = 9
MAX_MODELS = 50
# The most units of a model: not in the reference (UNCONFIRMED), Seller Centre's 999,999 assumed.
MAX_STOCK = 999_999


def item_not_found(item_id: Any) -> ApiError:
    return ApiError("product.error_item_not_found", f"Item {item_id} is not found.")


class ProductsMixin:
    """Items of the shops of `ShopeeEmulator`."""

    def init_products(self) -> None:
        self._item_ids = itertools.count(800_000_001)
        self._model_ids = itertools.count(900_000_001)

    def item(self, shop: Shop, item_id: Any, *, writable: bool = True) -> dict[str, Any]:
        try:
            item = shop.items[int(item_id)]
        except (KeyError, TypeError, ValueError):
            raise item_not_found(item_id) from None
        if writable and item["item_status"] in ("SELLER_DELETE", "SHOPEE_DELETE"):
            raise item_not_found(item_id)
        return item

    def add_item(self, shop: Shop, body: dict[str, Any]) -> dict[str, Any]:
        now = unix_now()
        item: dict[str, Any] = {
            "item_id": next(self._item_ids),
            "create_time": now,
            "update_time": now,
            "item_status": "NORMAL",
            "has_model": False,
            "tier_variation": [],
            "models": {},
            "stock": 0,
            "reserved": 0,
            "condition": "NEW",
            "item_sku": "",
            "attribute_list": [],
            "brand": {"brand_id": NO_BRAND_ID, "original_brand_name": "NoBrand"},
            "dimension": None,
            "gtin_code": "",
        }
        for key in (
            "original_price",
            "description",
            "weight",
            "item_name",
            "category_id",
            "image",
            "logistic_info",
        ):
            need(body, key, object)
        self._apply(shop, item, body, creating=True)
        shop.items[item["item_id"]] = item
        return self.item_view(item) | {"item_id": item["item_id"]}

    def _apply(self, shop: Shop, item: dict[str, Any], body: dict[str, Any], creating: bool) -> None:
        """Checks every field `body` gives, then writes them all (a refused call changes nothing)."""
        changes: dict[str, Any] = {}
        if "item_name" in body:
            name = of_kind(body["item_name"], "item_name", str).strip()
            if not name or len(name) > MAX_NAME:
                raise ApiError("product.error_param", f"item_name must have 1 to {MAX_NAME} characters.")
            changes["item_name"] = name
        if "description" in body:
            if not of_kind(body["description"], "description", str).strip():
                raise ApiError("product.error_param", "description is required.")
            changes["description"] = body["description"]
        category = self.leaf(body.get("category_id", item.get("category_id")))
        changes["category_id"] = category.category_id
        if "attribute_list" in body or "category_id" in body:
            changes["attribute_list"] = check_attributes(
                category, body.get("attribute_list", item["attribute_list"])
            )
        brand = body.get("brand", item["brand"] if not creating else None) or {"brand_id": NO_BRAND_ID}
        brand_id = brand.get("brand_id") if isinstance(brand, dict) else None
        if brand_id != NO_BRAND_ID and brand_id not in self.brands:
            raise ApiError("product.error_param", f"brand_id {brand_id} is invalid.")
        if category.brand_mandatory and brand_id == NO_BRAND_ID:
            raise ApiError("product.error_param", "brand is mandatory for this category.")
        changes["brand"] = {
            "brand_id": brand_id,
            "original_brand_name": self.brands[brand_id]["original_brand_name"] if brand_id else "NoBrand",
        }
        if "original_price" in body:
            if item["has_model"]:
                raise ApiError("product.error_param", "The item has models: update the price of its models.")
            changes["price"] = _price(body["original_price"], "original_price")
        if "weight" in body:
            weight = of_kind(body["weight"], "weight", (int, float))
            if weight <= 0:
                raise ApiError("product.error_param", "weight must be greater than 0.")
            changes["weight"] = float(weight)
        if "image" in body:
            image_ids = (
                (body["image"] or {}).get("image_id_list") if isinstance(body["image"], dict) else None
            )
            if not isinstance(image_ids, list) or not 1 <= len(image_ids) <= MAX_IMAGES:
                raise ApiError(
                    "product.error_param", f"image.image_id_list must hold 1 to {MAX_IMAGES} image ids."
                )
            unknown = [i for i in image_ids if i not in self.images]
            if unknown:
                raise ApiError("product.error_param", f"image_id {unknown[0]} is invalid.")
            changes["image_ids"] = list(image_ids)
        weight_kg = changes.get("weight", item.get("weight", 0.0))
        if "logistic_info" in body or "weight" in body:
            changes["logistic_info"] = check_logistics(
                shop, body.get("logistic_info", item.get("logistic_info")), weight_kg
            )
        if "item_status" in body:
            if body["item_status"] not in ("NORMAL", "UNLIST"):
                raise param_error("item_status must be NORMAL or UNLIST")
            changes["item_status"] = body["item_status"]
        if "condition" in body:
            if body["condition"] not in ("NEW", "USED"):
                raise param_error("condition must be NEW or USED")
            changes["condition"] = body["condition"]
        if "seller_stock" in body:
            if item["has_model"]:
                raise ApiError("product.error_param", "The item has models: update the stock of its models.")
            changes["stock"] = _stock(body["seller_stock"], item["reserved"])
        for key in ("item_sku", "gtin_code"):
            if key in body:
                changes[key] = of_kind(body[key], key, str)
        if "dimension" in body:
            dim = body["dimension"]
            if not isinstance(dim, dict) or any(
                not isinstance(dim.get(k), int | float) or dim.get(k) <= 0
                for k in ("package_length", "package_width", "package_height")
            ):
                raise ApiError(
                    "product.error_param",
                    "dimension needs package_length, package_width, package_height > 0.",
                )
            changes["dimension"] = dim
        item.update(changes)
        item["update_time"] = unix_now()

    def item_view(self, item: dict[str, Any]) -> dict[str, Any]:
        cfg = self.config
        view: dict[str, Any] = {
            "item_id": item["item_id"],
            "category_id": item["category_id"],
            "item_name": item["item_name"],
            "description": item["description"],
            "item_sku": item["item_sku"],
            "create_time": item["create_time"],
            "update_time": item["update_time"],
            "attribute_list": item["attribute_list"],
            "image": {
                "image_id_list": item["image_ids"],
                "image_url_list": [f"{cfg.base_url}/_sandbox/images/{i}" for i in item["image_ids"]],
            },
            "weight": f"{item['weight']:g}",
            "dimension": item["dimension"],
            "logistic_info": item["logistic_info"],
            "pre_order": {"is_pre_order": False, "days_to_ship": 2},
            "condition": item["condition"],
            "item_status": item["item_status"],
            "has_model": item["has_model"],
            "brand": item["brand"],
            "gtin_code": item["gtin_code"],
        }
        if item["has_model"]:
            models = item["models"].values()
            stock, reserved = sum(m["stock"] for m in models), sum(m["reserved"] for m in models)
        else:
            view["price_info"] = [_price_info(item["price"], cfg.currency)]
            stock, reserved = item["stock"], item["reserved"]
        view["stock_info_v2"] = _stock_info(stock, reserved)
        return {k: v for k, v in view.items() if v is not None}

    def model_view(self, model: dict[str, Any]) -> dict[str, Any]:
        return {
            "model_id": model["model_id"],
            "tier_index": model["tier_index"],
            "model_sku": model["model_sku"],
            "model_status": "MODEL_NORMAL",
            "price_info": [_price_info(model["price"], self.config.currency)],
            "stock_info_v2": _stock_info(model["stock"], model["reserved"]),
        }

    def init_tier_variation(self, shop: Shop, body: dict[str, Any]) -> dict[str, Any]:
        item = self.item(shop, need(body, "item_id", int))
        if item["has_model"]:
            raise ApiError("product.error_param", "The tier variation of this item is already initialized.")
        tiers = need(body, "tier_variation", list)
        if not 1 <= len(tiers) <= 2:
            raise ApiError("product.error_param", "tier_variation must have 1 or 2 tiers.")
        sizes = []
        for tier in tiers:
            options = tier.get("option_list") if isinstance(tier, dict) else None
            if (
                not isinstance(tier.get("name"), str)
                or not tier["name"]
                or not isinstance(options, list)
                or not options
            ):
                raise ApiError("product.error_param", "each tier needs a name and an option_list.")
            names = [o.get("option") for o in options]
            if any(not isinstance(n, str) or not n for n in names) or len(set(names)) != len(names):
                raise ApiError("product.error_param", "tier options must be distinct, non-empty strings.")
            sizes.append(len(options))
        models = need(body, "model", list)
        if not 1 <= len(models) <= MAX_MODELS:
            raise ApiError("product.error_param", f"model must have 1 to {MAX_MODELS} entries.")
        seen, built = set(), []
        for model in models:
            index = model.get("tier_index") if isinstance(model, dict) else None
            if (
                not isinstance(index, list)
                or len(index) != len(sizes)
                or any(not isinstance(i, int) or not 0 <= i < n for i, n in zip(index, sizes, strict=False))
            ):
                raise ApiError("product.error_param", f"tier_index {index!r} is invalid.")
            if tuple(index) in seen:
                raise ApiError("product.error_param", f"tier_index {index!r} is duplicated.")
            seen.add(tuple(index))
            built.append(
                {
                    "model_id": next(self._model_ids),
                    "tier_index": index,
                    "model_sku": str(model.get("model_sku") or ""),
                    "price": _price(model.get("original_price"), "original_price"),
                    "stock": _stock(model.get("seller_stock") or [{"stock": 0}], 0),
                    "reserved": 0,
                }
            )
        item["tier_variation"] = [{"name": t["name"], "option_list": t["option_list"]} for t in tiers]
        item["models"] = {m["model_id"]: m for m in built}
        item["has_model"] = True
        item["update_time"] = unix_now()
        return {
            "item_id": item["item_id"],
            "tier_variation": item["tier_variation"],
            "model": [
                {"tier_index": m["tier_index"], "model_id": m["model_id"], "model_sku": m["model_sku"]}
                for m in built
            ],
        }

    def update_per_model(self, shop: Shop, body: dict[str, Any], kind: str) -> dict[str, Any]:
        """`update_stock` (kind "stock") or `update_price` (kind "price"): each entry succeeds or fails alone."""
        item = self.item(shop, need(body, "item_id", int))
        entries = need(body, "stock_list" if kind == "stock" else "price_list", list)
        if not 1 <= len(entries) <= 50:
            raise param_error(f"{kind}_list must have 1 to 50 entries")
        success, failure = [], []
        for entry in entries:
            model_id = entry.get("model_id", 0) if isinstance(entry, dict) else None
            target = item if model_id == 0 and not item["has_model"] else item["models"].get(model_id)
            if target is None:
                failure.append({"model_id": model_id, "failed_reason": f"model_id {model_id} is invalid."})
                continue
            try:
                if kind == "stock":
                    target["stock"] = _stock(entry.get("seller_stock"), target["reserved"])
                    location = (entry.get("seller_stock") or [{}])[0].get("location_id", "")
                    success.append({"model_id": model_id, "location_id": location, "stock": target["stock"]})
                else:
                    if (item["item_id"], model_id) in self.price_locks:
                        raise ApiError(
                            "error_cannot_update_price_in_promotion", "The price is locked by a promotion."
                        )
                    target["price"] = _price(entry.get("original_price"), "original_price")
                    success.append({"model_id": model_id, "original_price": target["price"]})
            except ApiError as exc:
                failure.append({"model_id": model_id, "failed_reason": exc.message})
        if success:
            item["update_time"] = unix_now()
        return {"success_list": success, "failure_list": failure}


def _price(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ApiError("product.error_param", f"{key} must be a number greater than 0.")
    return round(float(value), 2)


def _stock(seller_stock: Any, reserved: int) -> int:
    if not isinstance(seller_stock, list) or not seller_stock:
        raise param_error("seller_stock must be a list with the stock")
    total = 0
    for entry in seller_stock:
        stock = entry.get("stock") if isinstance(entry, dict) else None
        if isinstance(stock, bool) or not isinstance(stock, int) or not 0 <= stock <= MAX_STOCK:
            raise ApiError("product.error_param", f"stock must be an integer from 0 to {MAX_STOCK}.")
        total += stock
    if total < reserved:
        raise ApiError("product.error_param", f"stock {total} is lower than the reserved stock {reserved}.")
    return total


def _price_info(price: float, currency: str) -> dict[str, Any]:
    return {"currency": currency, "original_price": price, "current_price": price}


def _stock_info(stock: int, reserved: int) -> dict[str, Any]:
    return {
        "summary_info": {"total_reserved_stock": reserved, "total_available_stock": stock},
        "seller_stock": [{"location_id": "", "stock": stock}],
        "shopee_stock": [],
    }


# ---------------------------------------------------------------------- endpoints
endpoints = Endpoints()


@endpoints.post("product/update_item")
def h_update_item(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop is not None
    body = ctx.json()
    item = ctx.emulator.item(ctx.shop, need(body, "item_id", int))
    ctx.emulator._apply(ctx.shop, item, body, creating=False)
    return {"item_id": item["item_id"]} | {k: v for k, v in body.items() if k != "item_id"}


@endpoints.post("product/unlist_item")
def h_unlist_item(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop is not None
    entries = need(ctx.json(), "item_list", list)
    if not 1 <= len(entries) <= 50:
        raise param_error("item_list must have 1 to 50 entries")
    success, failure = [], []
    for entry in entries:
        item_id = entry.get("item_id") if isinstance(entry, dict) else None
        try:
            item = ctx.emulator.item(ctx.shop, item_id)
        except ApiError as exc:
            failure.append({"item_id": item_id, "failed_reason": exc.message})
            continue
        unlist = bool(entry.get("unlist"))
        item["item_status"] = "UNLIST" if unlist else "NORMAL"
        item["update_time"] = unix_now()
        success.append({"item_id": item["item_id"], "unlist": unlist})
    return {"success_list": success, "failure_list": failure}


@endpoints.post("product/delete_item")
def h_delete_item(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop is not None
    item = ctx.emulator.item(ctx.shop, need(ctx.json(), "item_id", int))
    item["item_status"] = "SELLER_DELETE"
    item["update_time"] = unix_now()
    return {}


@endpoints.get("product/get_item_list")
def h_get_item_list(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop is not None
    offset = ctx.q_int("offset", low=0)
    page_size = ctx.q_int("page_size", low=1, high=100)
    statuses = ctx.q_list("item_status")
    unknown = [s for s in statuses if s not in ITEM_STATUSES]
    if unknown:
        raise param_error(f"item_status {unknown[0]} is invalid")
    since = ctx.q_int("update_time_from", required=False, default=0)
    until = ctx.q_int("update_time_to", required=False, default=2**62)
    items = [
        i
        for i in ctx.shop.items.values()
        if i["item_status"] in statuses and since <= i["update_time"] <= until
    ]
    chunk = items[offset : offset + page_size]
    more = offset + page_size < len(items)
    return {
        "item": [
            {
                "item_id": i["item_id"],
                "item_status": i["item_status"],
                "update_time": i["update_time"],
                "tag": {"kit": False},
            }
            for i in chunk
        ],
        "total_count": len(items),
        "has_next_page": more,
        "next_offset": offset + page_size if more else 0,
    }


@endpoints.get("product/get_item_base_info")
def h_get_item_base_info(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop is not None
    ids = int_ids(ctx.q_list("item_id_list"), "item_id_list")
    if len(ids) > 50:
        raise param_error("item_id_list must have at most 50 ids")
    found = [ctx.shop.items[i] for i in ids if i in ctx.shop.items]
    missing = [i for i in ids if i not in ctx.shop.items]
    if missing:
        ctx.warning = f"item_id {', '.join(map(str, missing))} not found"
    return {"item_list": [ctx.emulator.item_view(i) for i in found]}


@endpoints.get("product/get_model_list")
def h_get_model_list(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop is not None
    item = ctx.emulator.item(ctx.shop, ctx.q_int("item_id"), writable=False)
    return {
        "tier_variation": item["tier_variation"],
        "model": [ctx.emulator.model_view(m) for m in item["models"].values()],
    }


def _shop_write(write: str, *args: Any) -> Any:
    """The handler of a write the emulator makes with the shop and the body: `emulator.<write>(shop, body, *args)`."""

    def handler(ctx: Ctx) -> dict[str, Any]:
        assert ctx.shop is not None
        return getattr(ctx.emulator, write)(ctx.shop, ctx.json(), *args)

    handler.__name__ = f"h_{write}"
    return handler


h_add_item = endpoints.post("product/add_item")(_shop_write("add_item"))
h_init_tier_variation = endpoints.post("product/init_tier_variation")(_shop_write("init_tier_variation"))
h_update_stock = endpoints.post("product/update_stock")(_shop_write("update_per_model", "stock"))
h_update_price = endpoints.post("product/update_price")(_shop_write("update_per_model", "price"))

ROUTES = endpoints.routes
