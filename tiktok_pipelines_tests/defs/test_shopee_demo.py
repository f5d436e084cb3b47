"""The demo's Shopee shop without a click: `make run`'s steps connect the demo client's shop through
consent and the receiver's callback and set its reviewed catalog; the catalog job lists the demo store on
it; the emulator's buyers order, pay, and their orders reach VTEX through pushes, the queue sensor and the
orders runs."""

from __future__ import annotations

import time

import dagster as dg
import pytest

from tiktok_pipelines.defs.catalog.assets import CATALOG_ASSETS
from tiktok_pipelines.defs.catalog.feed import feed_products, feed_xml
from tiktok_pipelines.defs.events.sensors import build_webhook_queue_sensor
from tiktok_pipelines.defs.orders.assets import shopee_orders, tiktok_orders, vtex_orders
from tiktok_pipelines.defs.orders.jobs import orders_job
from tiktok_pipelines.sandbox.demo import connect_demo_shopee
from tiktok_pipelines.sandbox.demo_catalog import configure_demo_shopee_catalog
from tiktok_pipelines.sandbox.world import DEMO_ACCOUNT, DEMO_SHOPEE_SHOP_ID, SandboxConfig, SandboxWorld
from tiktok_pipelines_tests.flows import tick_and_run

pytestmark = pytest.mark.e2e

sensor = build_webhook_queue_sensor({"orders": orders_job})


@pytest.fixture
def sandbox_world() -> SandboxWorld:
    return SandboxWorld(SandboxConfig.on_free_ports(products=12))


def test_the_demo_lists_on_shopee_and_its_buyers_orders_reach_vtex(
    demo_client, sandbox, receiver, instance, resources, state_db
):
    configure_demo_shopee_catalog(state_db, "demo")
    assert connect_demo_shopee(sandbox.config) == str(DEMO_SHOPEE_SHOP_ID)

    catalog = dg.materialize(
        [feed_xml, feed_products, *CATALOG_ASSETS],
        partition_key="demo",
        instance=instance,
        resources=resources,
    )
    assert catalog.success
    shop = sandbox.shopee.shops[DEMO_SHOPEE_SHOP_ID]
    assert len(shop.items) == len(sandbox.demo_catalog.products)

    emu = sandbox.shopee
    [order_sn] = emu.autopilot_step(DEMO_SHOPEE_SHOP_ID, cancel_share=0.0)["created"]
    emu.autopilot_step(DEMO_SHOPEE_SHOP_ID, cancel_share=0.0)  # the buyer pays
    assets = {"orders_job": [tiktok_orders, shopee_orders, vtex_orders]}
    for _ in range(40):
        tick_and_run(instance, resources, sensor, assets)
        placed = {o["marketplaceOrderId"] for o in sandbox.vtex.account(DEMO_ACCOUNT).orders.values()}
        if order_sn in placed:
            break
        time.sleep(0.25)
    assert order_sn in placed
