"""The real-time path: a VTEX SKU notification reaches the real receiver, the queue, the queue sensor, and
a run of `stock_price_realtime_job` that reads and pushes only the notified SKUs."""

import time
from decimal import Decimal

import dagster as dg
import pytest

from tiktok_pipelines.defs.events.sensors import build_webhook_queue_sensor
from tiktok_pipelines.defs.orders.jobs import orders_job
from tiktok_pipelines.defs.stock_price.assets import STOCK_PRICE_ASSETS
from tiktok_pipelines.defs.stock_price.jobs import stock_price_realtime_job
from tiktok_pipelines.partitions import client_write_tags
from tiktok_pipelines.sandbox.demo import start_vtex_walk
from tiktok_pipelines.sandbox.world import DEMO_VTEX_WEBHOOK_SECRET, VTEX_WEBHOOK_PATH
from tiktok_pipelines.stores.events import EventLog
from tiktok_pipelines_tests.stock_price_support import (
    INVENTORY,
    PRICES,
    fast_resources,
    list_products,
    metadata,
    run,
    shown_price,
    shown_stock,
    tiktok_skus,
    vtex_account,
)

pytestmark = pytest.mark.e2e

sensor = build_webhook_queue_sensor({"orders": orders_job, "stock_price": stock_price_realtime_job})


def run_requested(request: dg.RunRequest, instance, resources) -> dg.ExecuteInProcessResult:
    """What the daemon does with the sensor's request: a run of the requested job, with its tags."""
    defs = dg.Definitions(assets=STOCK_PRICE_ASSETS, jobs=[stock_price_realtime_job], resources=resources)
    return defs.resolve_job_def(request.job_name).execute_in_process(
        partition_key=request.partition_key, instance=instance, tags=request.tags
    )


@pytest.mark.backends
def test_a_vtex_notification_reaches_tiktok(
    tiktok_client, sandbox, receiver, state_db, instance, vtex_control
):
    list_products(sandbox, state_db, count=len(sandbox.demo_catalog.products) - 1)  # one product unlisted
    resources = fast_resources(sandbox)
    run("incremental", instance, resources)
    vtex_control.notify_to(f"{receiver.url}{VTEX_WEBHOOK_PATH}?secret={DEMO_VTEX_WEBHOOK_SECRET}")
    shown = tiktok_skus(sandbox)
    stock_sku, price_sku = sorted(shown)[:2]
    unlisted = str(sandbox.demo_catalog.products[-1].skus[0].sku_id)
    new_stock = sum(shown_stock(shown[stock_sku]).values()) + 17
    new_price = shown_price(shown[price_sku])[0] + 3

    vtex_control.set_stock(stock_sku, available=new_stock)
    vtex_control.set_price(price_sku, new_price, new_price + 10)
    vtex_control.set_stock(unlisted, available=5)
    vtex_control.flush()
    assert all(d["delivered"] for d in vtex_control.deliveries("broadcast"))
    sandbox.tiktok.reset_stats()

    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        result = sensor(context)
    (request,) = result.run_requests
    assert request.job_name == "stock_price_realtime_job"
    assert request.tags == client_write_tags("demo", "stock_price")
    outcome = run_requested(request, instance, resources)

    assert outcome.success
    after = tiktok_skus(sandbox)
    assert sum(shown_stock(after[stock_sku]).values()) == new_stock
    assert shown_price(after[price_sku]) == (new_price, new_price + 10)
    # Only what the notifications named: one SKU read per kind, one call per endpoint.
    assert metadata(outcome, "vtex_stock")["skus_read"] == 1
    assert metadata(outcome, "vtex_prices")["skus_read"] == 1
    calls = sandbox.tiktok.stats()["calls"]
    assert (calls[INVENTORY], calls[PRICES]) == (1, 1)
    log = EventLog(state_db)
    assert log.count(target="stock_price", status="pending") == 0
    assert log.count(target="stock_price", status="handled") == 2
    assert log.count(target="stock_price", status="ignored") == 1  # the unlisted SKU

    # The same notification delivered again changes nothing.
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        assert not sensor(context).run_requests


def test_the_demo_walk_drives_tiktok(tiktok_client, sandbox, receiver, state_db, instance, vtex_control):
    list_products(sandbox, state_db)
    resources = fast_resources(sandbox)
    run("incremental", instance, resources)
    vtex_control.notify_to(f"{receiver.url}{VTEX_WEBHOOK_PATH}?secret={DEMO_VTEX_WEBHOOK_SECRET}")
    before = tiktok_skus(sandbox)

    start_vtex_walk(sandbox.config, 0.05, skus_per_step=2)
    deadline = time.monotonic() + 10
    while sandbox.vtex.walks["demostore"]["steps"] < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    vtex_control.stop_walk()
    vtex_control.flush()
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        (request,) = sensor(context).run_requests
    assert run_requested(request, instance, resources).success

    after, account = tiktok_skus(sandbox), vtex_account(sandbox)
    moved = 0
    for sku in sandbox.demo_catalog.skus():
        computed = account.computed_json(sku.sku_id, "1")
        shown = after[str(sku.sku_id)]
        assert sum(shown_stock(shown).values()) == account.total_available(sku)
        assert shown_price(shown)[0] == Decimal(str(computed["sellingPrice"]))
        moved += shown != before[str(sku.sku_id)]
    assert moved >= 5
