"""Inventory and prices: stock updates per warehouse (every warehouse of a SKU listed, 12019028 per SKU
inside code 0), inventory search, price updates (locked prices refused with 12019045), and the shop's
warehouses (Logistics API)."""

from __future__ import annotations

from typing import Any

from tiktok_pipelines.sandbox.tiktok_shop import request_checks as req
from tiktok_pipelines.sandbox.tiktok_shop.context import Ctx, id_list, json_body
from tiktok_pipelines.sandbox.tiktok_shop.products import stored_price
from tiktok_pipelines.sandbox.tiktok_shop.request_checks import ApiError
from tiktok_pipelines.sandbox.tiktok_shop.routing import ApiRoute
from tiktok_pipelines.sandbox.tiktok_shop.state import parse_money, unix_now


def h_update_inventory(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    product = ctx.emulator.product_of(ctx.shop, ctx.params["product_id"])
    skus = json_body(ctx).get("skus")
    if not isinstance(skus, list) or not skus:
        raise ApiError(36009004, "invalid param error: skus is required")
    by_id = {s["id"]: s for s in product["skus"]}
    valid_warehouses = set(ctx.shop.sales_warehouse_ids)
    errors = []
    for item in skus:
        sku = by_id.get(str(item.get("id")))
        if sku is None:
            errors.append(
                {
                    "code": 12019150,
                    "message": "sku not found in this product",
                    "detail": {"sku_id": str(item.get("id"))},
                }
            )
            continue
        given = {str(i.get("warehouse_id")): i.get("quantity") for i in item.get("inventory") or []}
        extra_errors = []
        for inv in sku["inventory"]:
            if inv["warehouse_id"] not in given:
                extra_errors.append(
                    {
                        "warehouse_id": inv["warehouse_id"],
                        "code": 12019028,
                        "message": "all warehouses of the sku must be listed",
                    }
                )
        for wid, qty in given.items():
            if wid not in valid_warehouses:
                extra_errors.append(
                    {
                        "warehouse_id": wid,
                        "code": 12019029,
                        "message": "warehouse is not a sales warehouse of the shop",
                    }
                )
            elif not isinstance(qty, int) or isinstance(qty, bool) or not 0 <= qty <= 99_999:
                extra_errors.append(
                    {
                        "warehouse_id": wid,
                        "code": 12019030,
                        "message": "quantity must be an integer from 0 to 99999",
                    }
                )
        if extra_errors:
            code = 12019028 if any(e["code"] == 12019028 for e in extra_errors) else extra_errors[0]["code"]
            errors.append(
                {
                    "code": code,
                    "message": "inventory update failed for this sku",
                    "detail": {"sku_id": sku["id"], "extra_errors": extra_errors},
                }
            )
            continue
        sku["inventory"] = [{"warehouse_id": wid, "quantity": qty} for wid, qty in given.items()]
    product["update_time"] = unix_now()
    return {"errors": errors}


def h_search_inventory(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    body = json_body(ctx)
    product_ids, sku_ids = id_list(body, "product_ids"), id_list(body, "sku_ids")
    if bool(product_ids) == bool(sku_ids):
        raise ApiError(36009004, "invalid param error: give product_ids or sku_ids")
    out = []
    for product in ctx.shop.products.values():
        if product["status"] == "DELETED" or (product_ids and product["id"] not in product_ids):
            continue
        skus = [s for s in product["skus"] if not sku_ids or s["id"] in sku_ids]
        if not skus:
            continue
        out.append(
            {
                "product_id": product["id"],
                "skus": [
                    {
                        "id": s["id"],
                        "seller_sku": s["seller_sku"],
                        "total_available_quantity": sum(i["quantity"] for i in s["inventory"]),
                        "total_committed_quantity": sum(s["committed"].values()),
                        "warehouse_inventory": [
                            {
                                "warehouse_id": i["warehouse_id"],
                                "available_quantity": i["quantity"],
                                "committed_quantity": s["committed"].get(i["warehouse_id"], 0),
                            }
                            for i in s["inventory"]
                        ],
                    }
                    for s in skus
                ],
            }
        )
    return {"inventory": out}


def h_update_prices(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    shop = ctx.shop
    product = ctx.emulator.product_of(shop, ctx.params["product_id"])
    body = json_body(ctx)
    req.check_fields(body, req.PRICE_UPDATE)
    skus = body.get("skus")
    if not isinstance(skus, list) or not skus:
        raise ApiError(36009004, "invalid param error: skus is required")
    by_id = {s["id"]: s for s in product["skus"]}
    changes = []
    for item in skus:
        sku = by_id.get(str(item.get("id")))
        if sku is None:
            raise ApiError(12019150, f"sku {item.get('id')} not found in product {product['id']}")
        if sku["id"] in shop.price_locks:
            raise ApiError(12019045, f"the price of sku {sku['id']} is locked by an ongoing promotion")
        price = item.get("price") or {}
        amount = parse_money(price.get("amount"))
        if amount <= 0 or price.get("currency") != shop.currency:
            raise ApiError(12052990, f"sku {sku['id']}: price must be a positive amount in {shop.currency}")
        list_price = item.get("list_price")
        if list_price and parse_money(list_price.get("amount")) < amount:
            raise ApiError(12052990, f"sku {sku['id']}: list_price is below the price")
        changes.append((sku, amount, price, list_price))
    for sku, amount, price, list_price in changes:
        sku["price"] = stored_price(price, amount)
        if list_price:
            sku["list_price"] = {
                "amount": str(parse_money(list_price["amount"])),
                "currency": list_price.get("currency", shop.currency),
            }
    product["update_time"] = unix_now()
    return {}


def h_warehouses(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    return {"warehouses": ctx.shop.warehouses}


ROUTES: tuple[ApiRoute, ...] = (
    ApiRoute("POST", "/product/202309/products/{product_id}/inventory/update", h_update_inventory),
    ApiRoute("POST", "/product/202309/inventory/search", h_search_inventory),
    ApiRoute("POST", "/product/202309/products/{product_id}/prices/update", h_update_prices),
    ApiRoute("GET", "/logistics/202309/warehouses", h_warehouses),
)
