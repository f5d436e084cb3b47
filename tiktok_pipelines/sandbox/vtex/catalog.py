"""Catalog API: SKU and product records, ids by page and sales channel, lookups by EAN and RefId, brands,
the category tree and categories, sales channels (their shapes are in `catalog_records`)."""

from __future__ import annotations

from starlette.responses import Response

from tiktok_pipelines.sandbox.vtex.catalog_records import (
    CATEGORY_NODES,
    SALES_CHANNELS,
    brand_record,
    category_record,
    category_tree,
    product_record,
    sales_channel_records,
    sku_context,
    sku_record,
)
from tiktok_pipelines.sandbox.vtex.errors import ApiError
from tiktok_pipelines.sandbox.vtex.resources import CATALOG_READ
from tiktok_pipelines.sandbox.vtex.routing import JSON, Ctx, Router, query_int, sku_of

router = Router()


@router.api("GET", "/api/catalog_system/pvt/sku/stockkeepingunitids", "catalog", CATALOG_READ)
async def sku_ids(ctx: Ctx) -> Response:
    page = query_int(ctx, "page")
    size = query_int(ctx, "pagesize")
    if page < 1 or not 1 <= size <= 1000:
        raise ApiError(400, "page must be 1 or more and pagesize between 1 and 1000")
    ids = sorted(s.sku_id for s in ctx.account.catalog.skus())
    return JSON(ids[(page - 1) * size : page * size])


@router.api("GET", "/api/catalog_system/pvt/sku/stockkeepingunitidsbysaleschannel", "catalog", CATALOG_READ)
async def sku_ids_by_channel(ctx: Ctx) -> Response:
    sc = ctx.query.get("sc", "1")
    if sc not in SALES_CHANNELS:
        return JSON([])
    page = query_int(ctx, "page", 1)
    size = query_int(ctx, "pageSize", 100)
    only_assigned = ctx.query.get("onlyAssigned", "true").lower() != "false"
    ids = sorted(
        s.sku_id
        for p in ctx.account.catalog.products
        for s in p.skus
        if not only_assigned or (s.active and p.active)
    )
    return JSON(ids[(page - 1) * size : page * size])


@router.api("GET", "/api/catalog_system/pvt/sku/stockkeepingunitbyid/{sku_id}", "catalog", CATALOG_READ)
async def sku_by_id(ctx: Ctx) -> Response:
    product, sku = sku_of(ctx)
    return JSON(
        sku_context(ctx.account.catalog, product, sku, ctx.emulator.image_base_url, ctx.account.weight_unit)
    )


@router.api("GET", "/api/catalog_system/pvt/sku/stockkeepingunitbyean/{ean}", "catalog", CATALOG_READ)
async def sku_by_ean(ctx: Ctx) -> Response:
    for product in ctx.account.catalog.products:
        for sku in product.skus:
            if sku.ean == ctx.path["ean"]:
                return JSON(
                    sku_context(
                        ctx.account.catalog,
                        product,
                        sku,
                        ctx.emulator.image_base_url,
                        ctx.account.weight_unit,
                    )
                )
    raise ApiError(404, f"No SKU with EAN {ctx.path['ean']}")


@router.api("GET", "/api/catalog_system/pvt/sku/stockkeepingunitidbyrefid/{ref_id}", "catalog", CATALOG_READ)
async def sku_by_ref(ctx: Ctx) -> Response:
    for sku in ctx.account.catalog.skus():
        if sku.ref_id == ctx.path["ref_id"]:
            return JSON(str(sku.sku_id))
    raise ApiError(404, f"No SKU with RefId {ctx.path['ref_id']}")


@router.api(
    "GET", "/api/catalog_system/pvt/sku/stockkeepingunitByProductId/{product_id}", "catalog", CATALOG_READ
)
async def skus_of_product(ctx: Ctx) -> Response:
    product = ctx.account.product(ctx.path["product_id"])
    return JSON([sku_record(product, s, ctx.account.weight_unit) for s in product.skus])


@router.api("GET", "/api/catalog/pvt/stockkeepingunit/{sku_id}/ean", "catalog", CATALOG_READ)
async def sku_eans(ctx: Ctx) -> Response:
    _, sku = sku_of(ctx)
    return JSON([sku.ean])


@router.api("GET", "/api/catalog/pvt/product/{product_id}", "catalog", CATALOG_READ)
async def product(ctx: Ctx) -> Response:
    return JSON(product_record(ctx.account.product(ctx.path["product_id"])))


@router.api("GET", "/api/catalog_system/pvt/products/productget/{product_id}", "catalog", CATALOG_READ)
async def product_get(ctx: Ctx) -> Response:
    return JSON(product_record(ctx.account.product(ctx.path["product_id"]), with_stores=True))


@router.api("GET", "/api/catalog_system/pvt/products/GetProductAndSkuIds", "catalog", CATALOG_READ)
async def product_and_skus(ctx: Ctx) -> Response:
    first = query_int(ctx, "_from", 1)
    last = query_int(ctx, "_to", 10)
    if first < 1 or last < first or last - first + 1 > 250:
        raise ApiError(400, "_from and _to must select between 1 and 250 products")
    category = ctx.query.get("categoryId")
    products = sorted(ctx.account.catalog.products, key=lambda p: p.product_id)
    if category:
        products = [p for p in products if str(p.category.id) == category]
    chunk = products[first - 1 : last]
    return JSON(
        {
            "data": {str(p.product_id): [s.sku_id for s in p.skus] for p in chunk},
            "range": {"total": len(products), "from": first, "to": last},
        }
    )


@router.api("GET", "/api/catalog_system/pvt/brand/list", "catalog", CATALOG_READ)
async def brands(ctx: Ctx) -> Response:
    return JSON([brand_record(b.id, b.name) for b in ctx.account.catalog.brands])


@router.api("GET", "/api/catalog_system/pvt/brand/pagedlist", "catalog", CATALOG_READ)
async def brands_paged(ctx: Ctx) -> Response:
    size = query_int(ctx, "pageSize")
    page = query_int(ctx, "page")
    if size < 1 or page < 1:
        raise ApiError(400, "page and pageSize must be positive")
    all_brands = ctx.account.catalog.brands
    chunk = all_brands[(page - 1) * size : page * size]
    return JSON(
        {
            "items": [brand_record(b.id, b.name) for b in chunk],
            "paging": {
                "page": page,
                "perPage": size,
                "total": len(all_brands),
                "pages": -(-len(all_brands) // size),
            },
        }
    )


@router.api("GET", "/api/catalog_system/pvt/brand/{brand_id}", "catalog", CATALOG_READ)
async def brand(ctx: Ctx) -> Response:
    for b in ctx.account.catalog.brands:
        if str(b.id) == ctx.path["brand_id"]:
            return JSON(brand_record(b.id, b.name))
    raise ApiError(404, f"Brand {ctx.path['brand_id']} not found")


@router.api("GET", "/api/catalog_system/pub/category/tree/{levels}", "catalog", None)
async def tree(ctx: Ctx) -> Response:
    try:
        levels = int(ctx.path["levels"])
    except ValueError:
        raise ApiError(400, "levels must be a number") from None
    return JSON(category_tree(ctx.account.catalog.store_url, max(1, levels)))


@router.api("GET", "/api/catalog/pvt/category/{category_id}", "catalog", CATALOG_READ)
async def category(ctx: Ctx) -> Response:
    try:
        node = CATEGORY_NODES[int(ctx.path["category_id"])]
    except (KeyError, ValueError):
        raise ApiError(404, f"Category {ctx.path['category_id']} not found") from None
    google = next(
        (c.google_product_category for c in ctx.account.catalog.categories if c.id == node.id), None
    )
    return JSON(category_record(node, google))


@router.api("GET", "/api/catalog_system/pvt/saleschannel/list", "catalog", CATALOG_READ)
async def sales_channels(ctx: Ctx) -> Response:
    return JSON(sales_channel_records())
