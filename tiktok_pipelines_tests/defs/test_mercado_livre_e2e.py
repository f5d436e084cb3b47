"""Mercado Livre end to end: the demo seller connected through consent → the receiver's callback; the
catalog published from the feed; the emulator's buyers, its notifications (several per sale) to the
real receiver, the queue sensor, the orders runs, and the VTEX emulator."""

import time

import dagster as dg
import httpx
import pytest

from tiktok_pipelines.defs.catalog.assets import (
    feed_diff,
    mercado_livre_brands,
    mercado_livre_categories,
    mercado_livre_listings,
    vtex_catalog,
)
from tiktok_pipelines.defs.catalog.feed import feed_products, feed_xml
from tiktok_pipelines.defs.events.sensors import build_webhook_queue_sensor
from tiktok_pipelines.defs.fulfilment.assets import mercado_livre_shipping_labels
from tiktok_pipelines.defs.orders.assets import mercado_livre_orders, tiktok_orders, vtex_orders
from tiktok_pipelines.defs.orders.jobs import orders_job
from tiktok_pipelines.defs.resources import build_resources
from tiktok_pipelines.sandbox.demo_catalog import configure_demo_mercado_livre
from tiktok_pipelines.sandbox.vtex import Affiliate
from tiktok_pipelines.sandbox.world import (
    DEMO_ACCOUNT,
    DEMO_ML_AFFILIATE,
    DEMO_ML_SELLER,
    SandboxConfig,
    SandboxWorld,
)
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.listings import ListingMap
from tiktok_pipelines.stores.orders import OrderStore
from tiktok_pipelines_tests.flows import tick_and_run

pytestmark = pytest.mark.e2e

sensor = build_webhook_queue_sensor({"orders": orders_job})
ORDERS = [tiktok_orders, mercado_livre_orders, vtex_orders]
CATALOG = [
    feed_xml,
    feed_products,
    feed_diff,
    vtex_catalog,
    mercado_livre_brands,
    mercado_livre_categories,
    mercado_livre_listings,
]


def wait_notified(emulator, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if emulator.notifications.pending() == 0:
            return
        time.sleep(0.05)
    raise AssertionError("notifications still pending")


def vtex_orders_of(sandbox) -> dict:
    orders = list(sandbox.vtex.account(DEMO_ACCOUNT).orders.values())
    by_id = {o["marketplaceOrderId"]: o for o in orders}
    assert len(by_id) == len(orders), "a Mercado Livre order was placed twice in VTEX"
    return by_id


@pytest.fixture
def ml(sandbox, demo_client, receiver, resources):
    """The demo client connected to the DEMOSTORE seller, with items listed and its notifications at the
    receiver (each change told 5 times, retries compressed)."""
    emulator = sandbox.mercado_livre
    emulator.config.orders_v2_per_change = 5
    emulator.config.notification_time_factor = 0.002
    emulator.consenting = DEMO_ML_SELLER
    store = sandbox.vtex.account(DEMO_ACCOUNT)
    store.affiliates[DEMO_ML_AFFILIATE] = Affiliate(DEMO_ML_AFFILIATE, "Mercado Livre", "1")
    answer = httpx.get(
        resources["mercado_livre"].authorization_link(demo_client.client_id),
        follow_redirects=True,
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert resources["mercado_livre"].shop_missing(demo_client.client_id) is None
    return emulator


def test_five_notifications_of_one_sale_give_one_vtex_order_and_a_cart_one_each(
    sandbox, ml, instance, resources, state_db
):
    ml.seed_items(DEMO_ML_SELLER, sandbox.demo_catalog, count=8)
    (sale,) = ml.create_orders(DEMO_ML_SELLER, 1)
    wait_notified(ml)
    orders_v2 = [n for n in ml.notifications.notifications if n.topic == "orders_v2"]
    assert len(orders_v2) == 5 and all(n.state == "delivered" for n in orders_v2)
    # And one of them delivered four times more, byte for byte (the platform's retries).
    body = orders_v2[0].body(ml.config.app_id, 1, orders_v2[0].received)
    for _ in range(4):
        assert httpx.post(orders_v2[0].url, json=body, timeout=5).status_code == 200
    assert tick_and_run(instance, resources, sensor, {"orders_job": ORDERS}) == ["orders_job"]
    placed = vtex_orders_of(sandbox)
    assert list(placed) == [str(sale)]
    assert placed[str(sale)]["affiliateId"] == DEMO_ML_AFFILIATE

    cart = ml.create_orders(DEMO_ML_SELLER, 1, cart_size=2)
    wait_notified(ml)
    tick_and_run(instance, resources, sensor, {"orders_job": ORDERS})
    placed = vtex_orders_of(sandbox)
    assert set(placed) == {str(sale), *map(str, cart)}
    store = OrderStore(state_db, "mercado_livre")
    assert {store.get("demo", str(o)).vtex_order_id for o in cart} == {
        f"{DEMO_ML_AFFILIATE}-{o}" for o in cart
    }

    # The warehouse's labels: one per shipment, the cart's two orders sharing theirs.
    labels = dg.materialize(
        [mercado_livre_shipping_labels], partition_key="demo", instance=instance, resources=resources
    )
    assert labels.success
    shipments = {ml.order_of(o)[1]["shipping"]["id"] for o in (sale, *cart)}
    objects = resources["objects"]
    keys = {f"labels/mercado_livre/demo/{s}.pdf" for s in shipments}
    assert len(shipments) == 2 and all(objects.get_bytes(k).startswith(b"%PDF") for k in keys)

    ml.cancel_order(cart[0])
    wait_notified(ml)
    tick_and_run(instance, resources, sensor, {"orders_job": ORDERS})
    cancelled = vtex_orders_of(sandbox)[str(cart[0])]
    assert cancelled["status"] in ("canceled", "cancellation-requested", "cancel")


@pytest.fixture
def sandbox_world() -> SandboxWorld:
    return SandboxWorld(SandboxConfig.on_free_ports(products=12))


def test_the_feed_catalog_is_listed_on_mercado_livre_once(sandbox, ml, instance, state_db, monkeypatch):
    configure_demo_mercado_livre(state_db, "demo")
    monkeypatch.setenv("MERCADO_LIVRE_RATE_LIMIT_PER_SECOND", "2000")
    monkeypatch.setenv("MERCADO_LIVRE_MAX_CONCURRENCY", "8")
    ml.config.rate_limit_per_second = 2000
    resources = build_resources(Settings.load())
    result = dg.materialize(CATALOG, partition_key="demo", instance=instance, resources=resources)
    assert result.success
    items = [i for i in ml.seller(DEMO_ML_SELLER).items.values() if i["status"] == "active"]
    listings = ListingMap(state_db, "mercado_livre")
    products = [p for p in listings.products("demo").values() if p.channel_product_id]
    assert len(items) == len(products) == 12
    assert {i["id"] for i in items} == {p.channel_product_id for p in products}
    with_variations = [i for i in items if i["variations"]]
    assert with_variations and all(
        all(any(a["id"] == "SELLER_SKU" for a in v["attributes"]) for v in i["variations"])
        for i in with_variations
    )
    assert {i["listing_type_id"] for i in items} == {"gold_special"}

    before = writes(ml)
    again = dg.materialize(CATALOG, partition_key="demo", instance=instance, resources=resources)
    assert again.success
    assert writes(ml) == before  # nothing changed in the feed: not one write


def writes(emulator) -> int:
    return sum(n for k, n in emulator.stats()["calls"].items() if k.startswith(("POST /items", "PUT /items")))


def test_the_demo_links_its_client_to_the_demo_seller_and_starts_its_buyers(
    sandbox, receiver, demo_client, state_db
):
    from tiktok_pipelines.sandbox.demo import connect_demo_mercado_livre
    from tiktok_pipelines.stores.channel_tokens import client_of_seller

    seller = connect_demo_mercado_livre(sandbox.config)
    assert seller == str(sandbox.mercado_livre.seller(DEMO_ML_SELLER).id)
    assert client_of_seller(state_db, seller) == "demo"
    assert connect_demo_mercado_livre(sandbox.config) == seller  # a second `make run` changes nothing


def test_with_a_fifth_of_calls_refused_429_or_5xx_the_catalog_and_orders_converge(
    sandbox, ml, instance, state_db, monkeypatch
):
    configure_demo_mercado_livre(state_db, "demo")
    monkeypatch.setenv("MERCADO_LIVRE_RATE_LIMIT_PER_SECOND", "2000")
    monkeypatch.setenv("MERCADO_LIVRE_MAX_CONCURRENCY", "8")
    ml.config.rate_limit_per_second = 2000
    ml.config.orders_v2_per_change = 3
    ml.switches.error_rate, ml.switches.error_http_status, ml.switches.rate_429 = 0.1, 503, 0.1
    resources = build_resources(Settings.load())
    for _ in range(3):  # what a run leaves (its client's retries spent) the next one takes up
        dg.materialize(
            CATALOG, partition_key="demo", instance=instance, resources=resources, raise_on_error=False
        )
    items = [i for i in ml.seller(DEMO_ML_SELLER).items.values() if i["status"] == "active"]
    assert len(items) == 12  # every product listed, none twice
    assert ml.stats()["http_429"] > 0

    sales = ml.create_orders(DEMO_ML_SELLER, 4)
    wait_notified(ml)
    for _ in range(3):
        with dg.build_sensor_context(instance=instance, resources=resources) as context:
            sensor(context)
        dg.materialize(
            ORDERS, partition_key="demo", instance=instance, resources=resources, raise_on_error=False
        )
    assert set(vtex_orders_of(sandbox)) == {str(s) for s in sales}


def test_a_vtex_stock_change_reaches_mercado_livre_from_the_one_read(
    sandbox, ml, receiver, instance, state_db, monkeypatch, vtex_control
):
    from tiktok_pipelines.defs.stock_price.assets import STOCK_PRICE_ASSETS
    from tiktok_pipelines.defs.stock_price.jobs import stock_price_realtime_job
    from tiktok_pipelines.sandbox.world import DEMO_VTEX_WEBHOOK_SECRET, VTEX_WEBHOOK_PATH

    configure_demo_mercado_livre(state_db, "demo")
    monkeypatch.setenv("MERCADO_LIVRE_RATE_LIMIT_PER_SECOND", "2000")
    ml.config.rate_limit_per_second = 2000
    resources = build_resources(Settings.load())
    assert dg.materialize(CATALOG, partition_key="demo", instance=instance, resources=resources).success
    vtex_control.notify_to(f"{receiver.url}{VTEX_WEBHOOK_PATH}?secret={DEMO_VTEX_WEBHOOK_SECRET}")
    listed = ListingMap(state_db, "mercado_livre").skus("demo")
    sku = sorted(listed.values(), key=lambda s: s.seller_sku)[0]
    vtex_control.set_stock(sku.seller_sku, available=123)
    vtex_control.flush()

    realtime = build_webhook_queue_sensor({"stock_price": stock_price_realtime_job})
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        (request,) = realtime(context).run_requests
    defs = dg.Definitions(assets=STOCK_PRICE_ASSETS, jobs=[stock_price_realtime_job], resources=resources)
    outcome = defs.resolve_job_def(request.job_name).execute_in_process(
        partition_key="demo", instance=instance, tags=request.tags
    )
    assert outcome.success
    item = ml.seller(DEMO_ML_SELLER).items[sku.channel_product_id]
    holder = next((v for v in item["variations"] if str(v["id"]) == sku.channel_sku_id), item)
    assert holder["available_quantity"] == 123
    reads = [e for e in outcome.all_events if e.is_step_materialization and e.step_key == "vtex_stock"]
    assert reads[0].event_specific_data.materialization.metadata["skus_read"].value == 1


def test_a_full_stock_and_price_run_after_a_sync_finds_no_drift_on_mercado_livre(
    sandbox, ml, instance, state_db, monkeypatch
):
    from tiktok_pipelines.defs.stock_price.assets import STOCK_PRICE_ASSETS
    from tiktok_pipelines.defs.stock_price.jobs import stock_price_full_job

    configure_demo_mercado_livre(state_db, "demo")
    monkeypatch.setenv("MERCADO_LIVRE_RATE_LIMIT_PER_SECOND", "2000")
    ml.config.rate_limit_per_second = 2000
    resources = build_resources(Settings.load())
    assert dg.materialize(CATALOG, partition_key="demo", instance=instance, resources=resources).success
    defs = dg.Definitions(assets=STOCK_PRICE_ASSETS, jobs=[stock_price_full_job], resources=resources)
    job = defs.resolve_job_def(stock_price_full_job.name)

    def state_of_mercado_livre() -> dict:
        run = job.execute_in_process(partition_key="demo", instance=instance, raise_on_error=False)
        (state,) = [
            e.event_specific_data.materialization.metadata
            for e in run.all_events
            if e.is_step_materialization and e.step_key == "mercado_livre__stock_price_state"
        ]
        return {k: v.value for k, v in state.items()}

    state_of_mercado_livre()  # the sync: what Mercado Livre shows confirmed, the targets pushed
    state = state_of_mercado_livre()
    assert state["skus_seen"] > 0
    assert (state["stock_drift"], state["price_drift"], state["warehouses_added"]) == (0, 0, 0), state[
        "drift"
    ]
    assert state["missing_on_mercado_livre"] == 0

    # An item edited in Mercado Livre's panel is drift, pushed back by the same run.
    sku = sorted(ListingMap(state_db, "mercado_livre").skus("demo").values(), key=lambda s: s.seller_sku)[0]
    item = ml.seller(DEMO_ML_SELLER).items[sku.channel_product_id]
    holder = next((v for v in item["variations"] if str(v["id"]) == sku.channel_sku_id), item)
    kept = holder["available_quantity"]
    holder["available_quantity"] = kept + 7
    assert state_of_mercado_livre()["stock_drift"] == 1
    assert holder["available_quantity"] == kept
    assert state_of_mercado_livre()["stock_drift"] == 0


def test_a_shipped_mercado_livre_package_has_its_tracking_on_each_vtex_invoice(
    sandbox, ml, instance, resources, state_db, vtex_control
):
    from tiktok_pipelines.defs.fulfilment.assets import mercado_livre_shipments

    ml.seed_items(DEMO_ML_SELLER, sandbox.demo_catalog, count=8)
    cart = ml.create_orders(DEMO_ML_SELLER, 1, cart_size=2)
    wait_notified(ml)
    tick_and_run(instance, resources, sensor, {"orders_job": ORDERS})
    vtex_ids = {o: vtex_orders_of(sandbox)[str(o)]["orderId"] for o in cart}
    (shipment_id,) = {ml.order_of(o)[1]["shipping"]["id"] for o in cart}

    def follow() -> dict:
        run = dg.materialize(
            [mercado_livre_shipments], partition_key="demo", instance=instance, resources=resources
        )
        assert run.success
        return sandbox.vtex.account(DEMO_ACCOUNT).orders

    follow()  # waiting to ship: nothing for VTEX
    shipment = ml.set_shipment_status(shipment_id, "shipped")
    tracking = shipment["tracking_number"]
    assert tracking
    vtex_control.invoice(vtex_ids[cart[0]], tracking=False)
    orders = follow()  # one of the cart's VTEX orders not invoiced yet: both wait
    assert all(
        not p.get("trackingNumber")
        for o in vtex_ids.values()
        for p in orders[o]["packageAttachment"]["packages"]
    )
    vtex_control.invoice(vtex_ids[cart[1]], tracking=False)
    orders = follow()
    for order_id, vtex_id in vtex_ids.items():
        (package,) = orders[vtex_id]["packageAttachment"]["packages"]
        assert package["trackingNumber"] == tracking
        assert package["courier"] == shipment["tracking_method"]
        assert OrderStore(state_db, "mercado_livre").get("demo", str(order_id)).tracking_number == tracking

    ml.set_shipment_status(shipment_id, "delivered")
    follow()
    from tiktok_pipelines.stores.fulfilment import FulfilmentStore

    followed = FulfilmentStore(state_db, "mercado_livre").shipment("demo", str(shipment_id))
    assert followed.package_status == "delivered" and followed.vtex_tracking == tracking
