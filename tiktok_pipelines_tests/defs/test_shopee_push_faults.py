"""Shopee's pushes under fault, end to end: the emulator's signed pushes (and a forger's) to the real
receiver, the event queue, `webhook_queue_sensor`, `shopee_lost_push_sensor`, the orders runs and the
VTEX emulator. Five identical order pushes make one VTEX order; a storm of genuine pushes with 30 %
forged ones queues every genuine push once and no forged one, answered fast enough that Shopee keeps the
subscription; 20 % of Shopee's answers made errors while orders flow leave every paid order in VTEX
once, no UNPAID one, and the cancellation mirrored; and with pushes disabled by Shopee's health policy,
the orders still reach VTEX through the lost-push list and the order search."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import dagster as dg
import httpx
import pytest

from tiktok_pipelines.channels.shopee.client import push_signature
from tiktok_pipelines.defs.events.lost_pushes import shopee_lost_push_sensor
from tiktok_pipelines.defs.orders.assets import shopee_orders, tiktok_orders, vtex_orders
from tiktok_pipelines.sandbox.demo import connect_demo_shopee
from tiktok_pipelines.sandbox.world import DEMO_SHOPEE_SHOP_ID
from tiktok_pipelines.stores.events import EventLog
from tiktok_pipelines.stores.queue import DbEventQueue
from tiktok_pipelines_tests.defs.test_shopee_orders import list_on_shopee, sensor, vtex_orders_of

pytestmark = pytest.mark.e2e

ORDERS = [tiktok_orders, shopee_orders, vtex_orders]
POLL = {"ops": {"shopee__orders": {"config": {"poll": True}}}}


@pytest.fixture
def item(demo_client, receiver, resources, sandbox):
    """The demo client's Shopee shop connected, one item of the demo catalog listed with plenty of stock
    on Shopee and in VTEX; its item id."""
    assert connect_demo_shopee(sandbox.config) == str(DEMO_SHOPEE_SHOP_ID)
    sku = sandbox.demo_catalog.skus()[0]
    sku.stock = {warehouse: 1000 for warehouse in sku.stock}
    return list_on_shopee(resources, sku, 1000)


def runs(instance, resources, *, poll: bool = False) -> int:
    """One queue sensor tick and the orders runs it asks (and, with `poll`, the schedule's search run),
    as the daemon would; a run that fails (Shopee's injected errors) leaves its orders for the next.
    Returns the runs that failed."""
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        result = sensor(context)
    configs = [None for _ in result.run_requests or []] + ([POLL] if poll else [])
    failed = 0
    for config in configs:
        outcome = dg.materialize(
            ORDERS,
            partition_key="demo",
            instance=instance,
            resources=resources,
            run_config=config,
            raise_on_error=False,
        )
        failed += not outcome.success
    return failed


def lost_pushes_taken(instance, resources) -> str:
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        result = shopee_lost_push_sensor(context)
    return result.skip_reason.skip_message if result.skip_reason else ""


def settle(predicate, instance, resources, *, poll: bool = False, tries: int = 30) -> None:
    for _ in range(tries):
        runs(instance, resources, poll=poll)
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("the orders did not settle")


def pushes_done(emu, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while emu.pushes.pending():
        assert time.monotonic() < deadline, "the emulator's pushes did not finish"
        time.sleep(0.05)


def push_body(order_sn: str, status: str, update_time: int) -> bytes:
    data = {"items": [], "ordersn": order_sn, "status": status, "completed_scenario": ""}
    message = {"data": data | {"update_time": update_time}, "shop_id": DEMO_SHOPEE_SHOP_ID, "code": 3}
    return json.dumps(message | {"timestamp": int(time.time())}, separators=(",", ":")).encode()


def test_five_identical_order_pushes_make_one_vtex_order(item, sandbox, instance, resources, state_db):
    emu, env = sandbox.shopee, sandbox.environment()
    order_sn = emu.create_order(DEMO_SHOPEE_SHOP_ID, [(item, 0, 1)], status="INVOICE_PENDING")
    pushes_done(emu)
    order = emu.shops[DEMO_SHOPEE_SHOP_ID].orders[order_sn]
    body = push_body(order_sn, "INVOICE_PENDING", order["update_time"])
    signed = {"Authorization": push_signature(env["SHOPEE_PARTNER_KEY"], env["SHOPEE_PUSH_URL"], body)}
    for _ in range(5):
        answer = httpx.post(env["SHOPEE_PUSH_URL"], content=body, headers=signed)
        assert (answer.status_code, answer.content) == (200, b"")
    settle(lambda: order_sn in vtex_orders_of(sandbox), instance, resources)
    for _ in range(3):
        runs(instance, resources)
    assert list(vtex_orders_of(sandbox)) == [order_sn]
    event_id = f"3:{order_sn}:INVOICE_PENDING:{order['update_time']}"
    assert EventLog(state_db).count(source="shopee", event_id=event_id) == 1


def test_a_push_storm_with_thirty_percent_forged_queues_every_genuine_push_once_and_keeps_pushes_on(
    item, sandbox, state_db
):
    emu, env = sandbox.shopee, sandbox.environment()
    pushes_done(emu)
    emu.config.push_health_min_pushes = 100  # the health policy judges the storm
    queue = DbEventQueue(state_db)
    already = {q.event.event_id for q in queue.take(10_000)}
    genuine, forged_count = 400, 172  # 572 pushes, 30 % forged

    def forge(n: int) -> int:
        body = push_body(f"FORGED{n:06d}", "READY_TO_SHIP", int(time.time()))
        bad = {"Authorization": push_signature("not-the-partner-key", env["SHOPEE_PUSH_URL"], body)}
        return httpx.post(env["SHOPEE_PUSH_URL"], content=body, headers=bad, timeout=10).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        forged = pool.map(forge, range(forged_count))
        order_sns = [emu.create_order(DEMO_SHOPEE_SHOP_ID, [(item, 0, 1)]) for _ in range(genuine)]
        assert set(forged) == {401}
    pushes_done(emu)

    health = emu.pushes.health()
    storm = [d for d in emu.pushes.deliveries if d.code == 3][-genuine:]
    assert {d.state for d in storm} == {"delivered"}
    slowest = max(a["ms"] for d in storm for a in d.attempts)
    assert slowest < emu.config.push_timeout_s * 1000  # every push answered within Shopee's patience
    assert health["window_pushes"] > emu.config.push_health_min_pushes
    assert health["success_rate"] > 0.7 and not health["disabled"]

    orders = emu.shops[DEMO_SHOPEE_SHOP_ID].orders
    wanted = {f"3:{sn}:UNPAID:{orders[sn]['update_time']}" for sn in order_sns}
    taken = [q.event for q in queue.take(10_000) if q.event.event_id not in already]
    assert sorted(e.event_id for e in taken if e.event_type == "3") == sorted(wanted)  # each once
    assert not [e for e in taken if "FORGED" in e.body]  # nothing forged was queued


def test_orders_flow_into_vtex_exactly_once_with_twenty_percent_of_shopees_answers_errors(
    item, sandbox, instance, resources
):
    emu = sandbox.shopee
    shop = emu.shops[DEMO_SHOPEE_SHOP_ID]
    emu.switches.error_rate = 0.1  # "System error" (error_server, HTTP 500)
    emu.switches.throttle_rate = 0.1  # "Too many requests" (HTTP 429)
    paid = [emu.create_order(DEMO_SHOPEE_SHOP_ID, [(item, 0, 1)], status="INVOICE_PENDING") for _ in range(5)]
    unpaid = [emu.create_order(DEMO_SHOPEE_SHOP_ID, [(item, 0, 1)]) for _ in range(2)]
    cancelled = paid[0]
    settle(lambda: set(paid) <= set(vtex_orders_of(sandbox)), instance, resources, poll=True)
    emu.request_cancellation(cancelled)
    emu.answer_cancellation(shop, cancelled, "ACCEPT")
    later = emu.create_order(DEMO_SHOPEE_SHOP_ID, [(item, 0, 1)], status="INVOICE_PENDING")
    paid.append(later)

    def settled() -> bool:
        placed = vtex_orders_of(sandbox)
        return set(paid) <= set(placed) and placed[cancelled]["status"] in ("canceled", "cancel")

    settle(settled, instance, resources, poll=True)
    for _ in range(2):
        runs(instance, resources, poll=True)
    placed = vtex_orders_of(sandbox)  # each order once (vtex_orders_of checks)
    assert set(placed) == set(paid) and not set(unpaid) & set(placed)
    assert placed[cancelled]["status"] in ("canceled", "cancel")
    stats = emu.stats()
    answers = [(code, n) for by_code in stats["answers"].values() for code, n in by_code.items()]
    errors = sum(n for code, n in answers if code == "error_server")
    share = errors / sum(n for _, n in answers)
    assert stats["http_429"] and 0.1 < share < 0.35  # about 20 % of Shopee's answers were errors


def test_orders_reach_vtex_through_the_lost_push_list_and_the_search_when_shopee_disables_pushes(
    item, sandbox, instance, resources, state_db
):
    emu, env = sandbox.shopee, sandbox.environment()
    pushes_done(emu)
    emu.config.push_url = env["SHOPEE_PUSH_URL"].replace("/webhooks/shopee", "/webhooks/nowhere")  # 404s
    emu.config.push_health_min_pushes = 8
    emu.config.push_retry_schedule = ()  # a failed push is lost at once
    early = [
        emu.create_order(DEMO_SHOPEE_SHOP_ID, [(item, 0, 1)], status="INVOICE_PENDING") for _ in range(5)
    ]
    pushes_done(emu)
    assert emu.pushes.health()["disabled"]  # fewer than 30 % of more than 8 pushes succeeded
    listed = {json.loads(m["data"])["data"]["ordersn"] for m in emu.pushes.lost}
    assert listed and listed < set(early)  # some pushes failed and were lost before pushes were disabled
    later = [
        emu.create_order(DEMO_SHOPEE_SHOP_ID, [(item, 0, 1)], status="INVOICE_PENDING") for _ in range(2)
    ]
    unpaid = emu.create_order(DEMO_SHOPEE_SHOP_ID, [(item, 0, 1)])
    pushes_done(emu)
    assert {d.state for d in emu.pushes.deliveries[-6:]} == {"not_sent"}  # never sent, nor listed
    emu.config.push_url = env["SHOPEE_PUSH_URL"]

    lost = len(emu.pushes.lost)
    taken = lost_pushes_taken(instance, resources)
    assert taken.startswith(f"{lost} lost push(es) in 1 page(s): {lost} new on the event queue")
    settle(lambda: listed <= set(vtex_orders_of(sandbox)), instance, resources)
    searched = set(early) - listed | set(later)  # no push arrived, none is listed: the search finds them
    assert not searched & set(vtex_orders_of(sandbox))
    assert lost_pushes_taken(instance, resources) == "Shopee lists no lost push"

    settle(lambda: searched <= set(vtex_orders_of(sandbox)), instance, resources, poll=True)
    runs(instance, resources, poll=True)
    assert set(vtex_orders_of(sandbox)) == set(early) | set(later)  # each once, the UNPAID one never
    assert unpaid not in vtex_orders_of(sandbox)
