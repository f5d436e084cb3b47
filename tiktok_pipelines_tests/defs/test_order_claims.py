"""Overlapping orders runs of one client: each order is placed, cancelled or rejected by one run only.

Dagster's one-run-per-client tag is not what keeps orders single: two `vtex_orders` runs started together
(a manual materialization, a backfill, a second deployment) work on the same pending orders against the
VTEX emulator, and what VTEX received is counted. With the state DB on SQLite and on PostgreSQL."""

import dagster as dg
import pytest

from tiktok_pipelines.defs.orders.assets import tiktok_orders, vtex_orders
from tiktok_pipelines.sandbox.world import DEMO_ACCOUNT, DEMO_SHOP_CODE
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.orders import OrderStore
from tiktok_pipelines_tests.clock import store_clock
from tiktok_pipelines_tests.defs.test_orders import drain_and_run, sensor
from tiktok_pipelines_tests.flows import wait_delivered
from tiktok_pipelines_tests.processes import at_once

pytestmark = [pytest.mark.e2e, pytest.mark.each_database]

PLACE = ("POST", "/api/fulfillment/pvt/orders")
AUTHORIZE = ("POST", "/api/fulfillment/pvt/orders/{order_id}/fulfill")
CANCEL = ("POST", "/api/oms/pvt/orders/{order_id}/cancel")


def _meta(result: dg.ExecuteInProcessResult) -> dict:
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key.path == ["vtex_orders"]]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def run_vtex_orders(instance_ref, start, results) -> None:
    """One vtex_orders run of the demo client in its own process, begun when every process is ready."""
    from tiktok_pipelines.defs.resources import build_resources

    with dg.DagsterInstance.from_ref(instance_ref) as instance:
        resources = build_resources(Settings.load())
        start.wait()
        result = dg.materialize(
            [vtex_orders], partition_key="demo", instance=instance, resources=resources, raise_on_error=False
        )
        results.put(_meta(result) if result.success else {"failed": True})


def _together(instance, runs: int = 2) -> list[dict]:
    """`runs` vtex_orders runs of the demo client started at the same moment, each in its own process
    (as the daemon launches runs); returns their metadata."""
    metas = at_once(run_vtex_orders, (instance.get_ref(),), runs)
    assert not any(m.get("failed") for m in metas)
    return metas


def test_two_runs_at_once_place_cancel_and_reject_each_order_once(
    shop, sandbox, instance, resources, state_db, vtex_control
):
    to_cancel = shop.create_orders(DEMO_SHOP_CODE, 2, status="AWAITING_SHIPMENT")
    wait_delivered(shop)
    drain_and_run(instance, resources)
    for order_id in to_cancel:
        shop.set_order_status(order_id, "CANCELLED")
    to_place = shop.create_orders(DEMO_SHOP_CODE, 8, status="AWAITING_SHIPMENT")
    (no_cpf,) = shop.create_orders(DEMO_SHOP_CODE, 1, status="AWAITING_SHIPMENT")
    shop.shop_by_code(DEMO_SHOP_CODE).orders[no_cpf]["cpf"] = "123"
    wait_delivered(shop)
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        sensor(context)
    assert dg.materialize(
        [tiktok_orders], partition_key="demo", instance=instance, resources=resources
    ).success
    vtex_control.reset_calls()
    vtex_control.latency(0.03)  # each VTEX call takes a while, so the two runs overlap
    try:
        metas = _together(instance)
    finally:
        vtex_control.latency(0)

    assert vtex_control.max_in_flight() >= 2, "the two runs did not overlap"
    assert vtex_control.count(*PLACE) == len(to_place)
    assert vtex_control.count(*AUTHORIZE) == len(to_place)
    assert vtex_control.count(*CANCEL) == len(to_cancel)
    placed = {o["marketplaceOrderId"] for o in sandbox.vtex.account(DEMO_ACCOUNT).orders.values()}
    assert placed == set(to_place) | set(to_cancel)
    assert sum(m.get("orders_placed", 0) for m in metas) == len(to_place)
    assert sum(m.get("orders_cancelled", 0) for m in metas) == len(to_cancel)
    assert sum(m.get("orders_rejected", 0) for m in metas) == 1
    store = OrderStore(state_db)
    assert all(store.get("demo", o).state == "authorized" for o in to_place)
    assert all(store.get("demo", o).state == "cancelled" for o in to_cancel)
    rejected = store.get("demo", no_cpf)
    assert rejected.given_up and "CPF" in rejected.last_error
    assert all(r.claimed_by is None for r in store.all("demo")), "a finished run left a claim behind"


def test_the_claim_of_a_run_that_died_is_taken_over_once_its_lease_ran_out(
    shop, sandbox, instance, resources, state_db, vtex_control, registry, monkeypatch
):
    clock = store_clock(monkeypatch, "tiktok_pipelines.stores.orders")
    registry.update("demo", options={**registry.get("demo").options, "order_claim_lease_seconds": 10})
    (order_id,) = shop.create_orders(DEMO_SHOP_CODE, 1, status="AWAITING_SHIPMENT")
    wait_delivered(shop)
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        sensor(context)
    assert dg.materialize(
        [tiktok_orders], partition_key="demo", instance=instance, resources=resources
    ).success
    store = OrderStore(state_db)
    # A run claimed the order and was killed before it could give the claim back.
    assert store.claim("demo", order_id, "run-that-died", lease_seconds=60) is not None

    while_held = dg.materialize([vtex_orders], partition_key="demo", instance=instance, resources=resources)
    assert _meta(while_held)["orders_claimed_by_another_run"] == 1
    assert vtex_control.count(*PLACE) == 0
    assert store.get("demo", order_id).needs_sync  # left for whoever holds it, or the next run

    clock.advance(61)
    after_expiry = dg.materialize([vtex_orders], partition_key="demo", instance=instance, resources=resources)
    assert _meta(after_expiry).get("orders_placed") == 1
    assert vtex_control.count(*PLACE) == 1
    record = store.get("demo", order_id)
    assert record.state == "authorized" and record.claimed_by is None
