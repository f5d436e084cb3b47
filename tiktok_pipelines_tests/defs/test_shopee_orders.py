"""Shopee orders end to end: a shop connected through the receiver's callback, the emulator's buyers and
signed pushes to the real receiver (each delivered more than once), the queue sensor, the orders runs,
and the VTEX emulator: a paid order placed once under Shopee's affiliate, an UNPAID one never, a
cancellation mirrored."""

from __future__ import annotations

import io
import json
import time
from decimal import Decimal

import duckdb
import httpx
import pyarrow.parquet as pq
import pytest

from tiktok_pipelines.analytics.refresh import refresh
from tiktok_pipelines.channels.base.catalog import ListingWrite
from tiktok_pipelines.channels.shopee.client import push_signature
from tiktok_pipelines.core.models.listings import ListingOptions
from tiktok_pipelines.core.models.offers import ONE_STOCK
from tiktok_pipelines.core.models.products import Product, Variant
from tiktok_pipelines.defs.events.sensors import build_webhook_queue_sensor
from tiktok_pipelines.defs.orders.assets import shopee_orders, tiktok_orders, vtex_orders
from tiktok_pipelines.defs.orders.jobs import orders_job
from tiktok_pipelines.sandbox.demo import connect_demo_shopee
from tiktok_pipelines.sandbox.world import DEMO_ACCOUNT, DEMO_SHOPEE_SHOP_ID
from tiktok_pipelines_tests.channels.shopee.test_channel import Images, moda_leaf
from tiktok_pipelines_tests.flows import tick_and_run

pytestmark = pytest.mark.e2e

sensor = build_webhook_queue_sensor({"orders": orders_job})
ASSETS = {"orders_job": [tiktok_orders, shopee_orders, vtex_orders]}


@pytest.fixture
def shopee_shop(demo_client, receiver, resources, sandbox):
    """The demo client's Shopee shop, connected as `make run` does (consent, the receiver's callback, the
    store's VTEX taking Shopee's orders under their affiliate), with one item of the demo catalog listed
    (its VTEX SKU id as the seller SKU) and 5 in stock."""
    assert connect_demo_shopee(sandbox.config) == str(DEMO_SHOPEE_SHOP_ID)
    return list_on_shopee(resources, sandbox.demo_catalog.skus()[0], 5)


def list_on_shopee(resources, sku, stock: int) -> int:
    """The demo catalog's `sku` listed on the connected Shopee shop with `stock` units; its item id."""
    shopee = resources["shopee"]
    product = Product(
        str(sku.sku_id),
        [
            Variant(
                {
                    "seller_sku": str(sku.sku_id),
                    "title": "Camiseta da loja demo",
                    "description": "Camiseta de algodão.",
                    "image_link": "https://img.example.com/demo.png",
                    "price": sku.price,
                    "material": "Algodão",
                    "shipping_weight_kg": Decimal("0.3"),
                }
            )
        ],
    )
    with shopee.session("demo") as session:
        draft = session.listing_builder(ListingOptions(), [])(product, moda_leaf(session), None, None)
        result = session.create_listing(
            draft, ListingWrite(Images(session), {str(sku.sku_id): {ONE_STOCK: stock}}, [], "k")
        )
    assert result.ok, result.message
    return int(result.channel_product_id)


def vtex_orders_of(sandbox):
    orders = list(sandbox.vtex.account(DEMO_ACCOUNT).orders.values())
    by_id = {o["marketplaceOrderId"]: o for o in orders}
    assert len(by_id) == len(orders), "a Shopee order was placed twice in VTEX"
    return by_id


def until(predicate, instance, resources, tries=40):
    """Sensor ticks and their runs, as the daemon would, until `predicate()` holds."""
    for _ in range(tries):
        tick_and_run(instance, resources, sensor, ASSETS)
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError("not reached")


def repeat_pushes(sandbox, order_sn):
    """Shopee sends a push again until it reads an empty 2xx: every order push of `order_sn`, twice more."""
    env = sandbox.environment()
    for status in ("UNPAID", "INVOICE_PENDING"):
        order = sandbox.shopee.shops[DEMO_SHOPEE_SHOP_ID].orders[order_sn]
        data = {"items": [], "ordersn": order_sn, "status": status, "completed_scenario": ""}
        message = {"data": data | {"update_time": order["update_time"]}, "shop_id": DEMO_SHOPEE_SHOP_ID}
        body = json.dumps(
            message | {"code": 3, "timestamp": int(time.time())}, separators=(",", ":")
        ).encode()
        for _ in range(2):
            signed = {
                "Authorization": push_signature(env["SHOPEE_PARTNER_KEY"], env["SHOPEE_PUSH_URL"], body)
            }
            assert httpx.post(env["SHOPEE_PUSH_URL"], content=body, headers=signed).content == b""


def test_a_paid_order_is_placed_once_unpaid_never_and_a_cancellation_is_mirrored(
    shopee_shop, sandbox, instance, resources, state_db, tmp_path
):
    emu = sandbox.shopee
    paid = emu.create_order(DEMO_SHOPEE_SHOP_ID, [(shopee_shop, 0, 1)], status="INVOICE_PENDING")
    unpaid = emu.create_order(DEMO_SHOPEE_SHOP_ID, [(shopee_shop, 0, 1)])
    repeat_pushes(sandbox, paid)
    until(lambda: paid in vtex_orders_of(sandbox), instance, resources)
    placed = vtex_orders_of(sandbox)[paid]
    assert placed["orderId"].startswith("SHP-")
    for _ in range(3):
        tick_and_run(instance, resources, sensor, ASSETS)
    assert set(vtex_orders_of(sandbox)) == {paid}  # once, and never the UNPAID one

    emu.request_cancellation(paid)
    emu.answer_cancellation(emu.shops[DEMO_SHOPEE_SHOP_ID], paid, "ACCEPT")
    until(lambda: vtex_orders_of(sandbox)[paid]["status"] in ("canceled", "cancel"), instance, resources)
    assert unpaid not in vtex_orders_of(sandbox)
    lake = resources["lake"]
    rows = [
        row
        for key in lake.parts("orders", "demo")
        for row in pq.read_table(io.BytesIO(lake.objects.get_bytes(key))).to_pylist()
    ]
    assert {(r["channel"], r["status"]) for r in rows if r["order_id"] == paid} >= {
        ("shopee", "INVOICE_PENDING"),
        ("shopee", "CANCELLED"),
    }
    analytics = tmp_path / "analytics.duckdb"
    refresh(lake, state_db, analytics)
    con = duckdb.connect(str(analytics), read_only=True)
    try:
        found = con.execute("SELECT channel, status FROM orders WHERE order_id = ?", [paid]).fetchall()
    finally:
        con.close()
    assert found == [("shopee", "CANCELLED")]


def test_a_client_without_a_shopee_shop_gets_a_green_run_that_says_so(demo_client, instance, resources):
    import dagster as dg

    result = dg.materialize([shopee_orders], partition_key="demo", instance=instance, resources=resources)
    assert result.success
    [materialization] = result.asset_materializations_for_node("shopee__orders")
    assert "no shop on Shopee" in materialization.metadata["skipped"].value


def test_an_invoice_pending_order_gets_its_nfe_from_vtex_then_ships(
    shopee_shop, sandbox, instance, resources, vtex_control, state_db, registry
):
    """Shopee takes an NF-e whose total is the order's: the order goes to VTEX at the channel's prices."""
    import dagster as dg

    from tiktok_pipelines.defs.fulfilment.assets import shopee_invoices, shopee_shipments
    from tiktok_pipelines.stores.fulfilment import FulfilmentStore

    registry.update("demo", options={**registry.get("demo").options, "order_price_source": "tiktok"})
    emu = sandbox.shopee
    order_sn = emu.create_order(DEMO_SHOPEE_SHOP_ID, [(shopee_shop, 0, 1)], status="INVOICE_PENDING")
    until(lambda: order_sn in vtex_orders_of(sandbox), instance, resources)
    vtex_control.invoice(f"SHP-{order_sn}", tracking=False)
    config = {"ops": {f"shopee__{name}": {"config": {"scan": True}} for name in ("invoices", "shipments")}}
    result = dg.materialize(
        [shopee_invoices, shopee_shipments],
        partition_key="demo",
        instance=instance,
        resources=resources,
        run_config=config,
    )
    assert result.success
    order = emu.shops[DEMO_SHOPEE_SHOP_ID].orders[order_sn]
    assert order["invoice_data"]["access_key"]  # Shopee took the NF-e VTEX issued for the order
    assert order["order_status"] == "PROCESSED" and order["tracking_number"]
    assert not FulfilmentStore(state_db, "shopee").open_dead_letters("demo", "invoice")
