"""Shared pieces of the stock and price tests: a listed shop on the sandbox, runs, emulator state."""

from __future__ import annotations

import copy
import os
from decimal import Decimal

import dagster as dg

from tiktok_pipelines.defs.resources import build_resources
from tiktok_pipelines.defs.stock_price.assets import STOCK_PRICE_ASSETS, tiktok_stock_price_state
from tiktok_pipelines.defs.stock_price.jobs import PUSH_ASSETS, STATE_ASSETS, mode_config
from tiktok_pipelines.sandbox.catalog import generate_catalog
from tiktok_pipelines.sandbox.world import DEMO_ACCOUNT, DEMO_SHOP_CODE, SandboxConfig, SandboxWorld
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.db import StateDB
from tiktok_pipelines.stores.listings import ListingMap

INVENTORY = "POST /product/202309/products/{product_id}/inventory/update"
PRICES = "POST /product/202309/products/{product_id}/prices/update"
SEARCH = "POST /product/202309/products/search"

# The sandbox's own limits are the reference's; tests keep them but let the clients go fast.
FAST = {
    "TIKTOK_RATE_LIMIT_PER_SECOND": "2000",
    "VTEX_RATE_LIMIT_PER_SECOND": "5000",
    "VTEX_MAX_CONCURRENCY": "12",
}


def fast_resources(sandbox: SandboxWorld, **env: str) -> dict:
    """The project's resources on this sandbox, with the rate limits of the emulators raised."""
    os.environ.update({**FAST, **env})
    tiktok = sandbox.tiktok
    tiktok.config.rate_limit_per_second = 2000.0
    tiktok.buckets.clear()
    assert sandbox.vtex is not None
    for family in ("logistics", "pricing-read"):
        sandbox.vtex.set_limit(family, 5000.0, 5000.0)
    return build_resources(Settings.load())


def world_of(products: int, warehouses: tuple[str, ...] = ("1_1",)) -> SandboxWorld:
    """A sandbox world on free ports whose demo store has `products` products in `warehouses`."""
    config = SandboxConfig.on_free_ports()
    catalog = generate_catalog(products, seed=config.seed, account=DEMO_ACCOUNT, warehouses=warehouses)
    return SandboxWorld(config, catalogs={DEMO_ACCOUNT: catalog})


def list_products(
    sandbox: SandboxWorld, db: StateDB, count: int | None = None, client_id: str = "demo"
) -> list[str]:
    """Lists catalog products on the sandbox shop and records them in the listing map, as the
    catalog's `tiktok_listings` would; returns the TikTok product ids."""
    emulator = sandbox.tiktok
    shop = emulator.shop_by_code(DEMO_SHOP_CODE)
    ids = emulator.seed_products(shop, sandbox.demo_catalog, count)
    listings = ListingMap(db)
    for product_id in ids:
        product = shop.products[product_id]
        listings.save_listing(
            client_id,
            f"g:{product['external_product_id']}",
            product_id,
            product["status"],
            None,
            {s["seller_sku"]: s["id"] for s in product["skus"]},
        )
    return ids


def run(
    mode: str,
    instance: dg.DagsterInstance,
    resources: dict,
    client_id: str = "demo",
    *,
    assets=None,
    raise_on_error: bool = True,
    **config,
) -> dg.ExecuteInProcessResult:
    """One stock and price run of `mode` (full adds the TikTok read), as its job would run it."""
    assets = assets or ([*PUSH_ASSETS, tiktok_stock_price_state] if mode == "full" else list(PUSH_ASSETS))
    run_config = mode_config(mode, [a for a in assets if a not in STATE_ASSETS])
    for op in run_config["ops"].values():
        op["config"].update(config)
    return dg.materialize(
        assets,
        partition_key=client_id,
        instance=instance,
        resources=resources,
        run_config=run_config,
        raise_on_error=raise_on_error,
    )


def realtime(instance: dg.DagsterInstance, resources: dict) -> dg.ExecuteInProcessResult:
    """The run the queue sensor asks for the client's pending VTEX notifications, run as the daemon would
    run it (its job, its tags)."""
    from tiktok_pipelines.defs.events.sensors import build_webhook_queue_sensor
    from tiktok_pipelines.defs.stock_price.jobs import stock_price_realtime_job

    sensor = build_webhook_queue_sensor({"stock_price": stock_price_realtime_job})
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        (request,) = sensor(context).run_requests
    defs = dg.Definitions(assets=STOCK_PRICE_ASSETS, jobs=[stock_price_realtime_job], resources=resources)
    return defs.resolve_job_def(request.job_name).execute_in_process(
        partition_key=request.partition_key, instance=instance, tags=request.tags
    )


def metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict:
    return {
        k: v.value
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_python_identifier() == asset
        for k, v in e.materialization.metadata.items()
    }


def tiktok_skus(sandbox: SandboxWorld) -> dict[str, dict]:
    """seller SKU → a copy of the SKU as the sandbox shop holds it now (inventory, price, list price)."""
    shop = sandbox.tiktok.shop_by_code(DEMO_SHOP_CODE)
    with sandbox.tiktok.lock:
        live = {
            s["seller_sku"]: s for p in shop.products.values() if p["status"] != "DELETED" for s in p["skus"]
        }
        return copy.deepcopy(live)


def live_sku(sandbox: SandboxWorld, seller_sku: str) -> dict:
    """The SKU object the emulator itself holds (to edit it as Seller Center would)."""
    shop = sandbox.tiktok.shop_by_code(DEMO_SHOP_CODE)
    return next(s for p in shop.products.values() for s in p["skus"] if s["seller_sku"] == seller_sku)


def shown_stock(sku: dict) -> dict[str, int]:
    return {i["warehouse_id"]: i["quantity"] for i in sku["inventory"]}


def shown_price(sku: dict) -> tuple[Decimal, Decimal | None]:
    listed = (sku.get("list_price") or {}).get("amount")
    return Decimal(sku["price"]["amount"]), Decimal(listed) if listed else None


def vtex_account(sandbox: SandboxWorld):
    assert sandbox.vtex is not None
    return sandbox.vtex.account(DEMO_ACCOUNT)


ALL_ASSETS = STOCK_PRICE_ASSETS
