"""Orders end to end: the emulator's buyers, signed webhooks to the real receiver, the queue sensor,
the orders runs, and the VTEX emulator."""

import time

import dagster as dg
import httpx
import pytest

from tiktok_pipelines.channels.tiktok_shop.client import webhook_signature as tiktok_signature
from tiktok_pipelines.defs.events.sensors import build_webhook_queue_sensor
from tiktok_pipelines.defs.orders.assets import tiktok_orders, vtex_orders
from tiktok_pipelines.defs.orders.jobs import orders_job
from tiktok_pipelines.receiver.app import create_app
from tiktok_pipelines.sandbox.server import ServerThread
from tiktok_pipelines.sandbox.tiktok_shop import SANDBOX_APP_KEY, SANDBOX_APP_SECRET
from tiktok_pipelines.sandbox.world import DEMO_ACCOUNT, DEMO_SHOP_CODE
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.events import DbEventQueue, EventLog
from tiktok_pipelines.stores.orders import OrderStore
from tiktok_pipelines_tests.flows import tick_and_run, wait_delivered

pytestmark = pytest.mark.e2e

sensor = build_webhook_queue_sensor({"orders": orders_job})


def drain_and_run(instance, resources, client_id="demo"):
    """What the daemon does: a sensor tick, then the runs it asked for."""
    return len(
        tick_and_run(instance, resources, sensor, {"orders_job": [tiktok_orders, vtex_orders]}, client_id)
    )


def run_orders(instance, resources, poll=False, client_id="demo"):
    config = {"ops": {"tiktok_shop__orders": {"config": {"poll": poll}}}}
    result = dg.materialize(
        [tiktok_orders, vtex_orders],
        partition_key=client_id,
        instance=instance,
        resources=resources,
        run_config=config,
    )
    assert result.success
    return result


def vtex_orders_of(sandbox):
    """VTEX orders by marketplace order id; fails if any marketplace order has two VTEX orders."""
    orders = list(sandbox.vtex.account(DEMO_ACCOUNT).orders.values())
    by_id = {o["marketplaceOrderId"]: o for o in orders}
    assert len(by_id) == len(orders), "a TikTok order was placed twice in VTEX"
    return by_id


@pytest.mark.backends
def test_every_order_reaches_vtex_exactly_once(
    shop, sandbox, receiver, instance, resources, state_db, vtex_control
):
    first = shop.create_orders(DEMO_SHOP_CODE, 4, status="AWAITING_SHIPMENT")
    wait_delivered(shop)
    # TikTok delivers at least once: every webhook comes twice more.
    for delivery in list(shop.webhooks.deliveries):
        body = delivery.body
        for _ in range(2):
            answer = httpx.post(
                delivery.url,
                content=body,
                headers={"Authorization": tiktok_signature(SANDBOX_APP_KEY, SANDBOX_APP_SECRET, body)},
            )
            assert answer.status_code == 200
    assert drain_and_run(instance, resources) >= 1

    # The receiver restarts while buyers keep ordering; TikTok's retries bring the webhooks later.
    receiver.stop()
    second = shop.create_orders(DEMO_SHOP_CODE, 3, status="AWAITING_SHIPMENT")
    time.sleep(0.1)
    restarted = ServerThread(
        create_app(Settings.load(), db=state_db), host=receiver.host, port=receiver.port
    ).start()
    try:
        wait_delivered(shop)
        drain_and_run(instance, resources)
    finally:
        restarted.stop()
    run_orders(instance, resources, poll=True)  # more runs change nothing

    in_vtex = vtex_orders_of(sandbox)
    assert sorted(in_vtex) == sorted(first + second)
    # Placed once each: VTEX would forgive a second placement, but the order map never makes one.
    assert vtex_control.count("POST", "/api/fulfillment/pvt/orders") == len(first + second)
    assert all(o["status"] not in ("order-accepted", "waiting-ffmt-authorization") for o in in_vtex.values())
    store = OrderStore(state_db)
    for order_id in first + second:
        record = store.get("demo", order_id)
        assert record.state == "authorized" and record.vtex_order_id == f"TTS-{order_id}"
    log = EventLog(state_db)
    assert log.count(status="pending") == 0
    assert log.count(event_type="99") == len(first + second)


def test_an_unpaid_order_waits_and_a_cancelled_one_is_cancelled_in_vtex(
    shop, sandbox, instance, resources, state_db
):
    unpaid, paid = shop.create_orders(DEMO_SHOP_CODE, 1, status="UNPAID") + shop.create_orders(
        DEMO_SHOP_CODE, 1, status="AWAITING_SHIPMENT"
    )
    wait_delivered(shop)
    drain_and_run(instance, resources)
    assert set(vtex_orders_of(sandbox)) == {paid}
    shop.set_order_status(paid, "CANCELLED")
    shop.set_order_status(unpaid, "CANCELLED")
    wait_delivered(shop)
    drain_and_run(instance, resources)
    assert vtex_orders_of(sandbox)[paid]["status"] in ("canceled", "cancel")
    assert set(vtex_orders_of(sandbox)) == {paid}  # the unpaid one never reached VTEX
    store = OrderStore(state_db)
    assert store.get("demo", paid).state == "cancelled"
    assert store.get("demo", unpaid).state == "not_placed"


def test_an_order_whose_webhooks_never_came_is_recovered_by_polling(shop, sandbox, instance, resources):
    shop.config.webhook_url = None
    shop.config.webhook_url = "http://127.0.0.1:9/unreachable"
    shop.config.webhook_retry_schedule = ()  # dropped after the first failure
    lost = shop.create_orders(DEMO_SHOP_CODE, 2, status="AWAITING_SHIPMENT")
    wait_delivered(shop)
    assert all(d.state == "dropped" for d in shop.webhooks.deliveries)
    assert drain_and_run(instance, resources) == 0
    result = run_orders(instance, resources, poll=True)
    assert set(vtex_orders_of(sandbox)) == set(lost)
    meta = {
        k: v.value
        for e in result.get_asset_materialization_events()
        if e.asset_key.path == ["tiktok_shop", "orders"]
        for k, v in e.materialization.metadata.items()
    }
    assert meta["new_from_poll"] >= len(lost)


def test_forged_webhooks_are_refused_by_the_real_receiver(shop, receiver, state_db):
    body = b'{"type":1,"tts_notification_id":"1","shop_id":"2","timestamp":1,"data":{"order_id":"3"}}'
    forged = httpx.post(
        f"{receiver.url}/webhooks/tiktok",
        content=body,
        headers={"Authorization": tiktok_signature(SANDBOX_APP_KEY, "not-the-secret", body)},
    )
    assert forged.status_code == 401
    assert DbEventQueue(state_db).depth() == 0


def test_a_crash_after_vtex_took_the_order_is_repaired_without_a_second_order(
    shop, sandbox, instance, resources, state_db, vtex_control, monkeypatch
):
    (order_id,) = shop.create_orders(DEMO_SHOP_CODE, 1, status="AWAITING_SHIPMENT")
    wait_delivered(shop)
    original = OrderStore.update

    def crash_when_recording_placement(self, client_id, oid, **values):
        if values.get("state") == "placed":
            raise RuntimeError("the run died here")
        return original(self, client_id, oid, **values)

    monkeypatch.setattr(OrderStore, "update", crash_when_recording_placement)
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        sensor(context)
    crashed = dg.materialize(
        [tiktok_orders, vtex_orders],
        partition_key="demo",
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )
    assert OrderStore(state_db).get("demo", order_id).state in ("placing", "failed")
    assert not crashed.success or OrderStore(state_db).get("demo", order_id).state != "authorized"
    monkeypatch.setattr(OrderStore, "update", original)
    run_orders(instance, resources)
    assert OrderStore(state_db).get("demo", order_id).state == "authorized"
    assert list(vtex_orders_of(sandbox)) == [order_id]
    assert vtex_control.count("POST", "/api/fulfillment/pvt/orders") == 1


def test_the_sqs_queue_path(moto_server, monkeypatch, shop, sandbox, state_db, instance):
    import boto3

    from tiktok_pipelines.defs.resources import build_resources

    sqs = boto3.client("sqs", endpoint_url=moto_server, region_name="us-east-1")
    url = sqs.create_queue(QueueName="ttp-events.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    monkeypatch.setenv("TIKTOK_PIPELINES_QUEUE", "sqs")
    monkeypatch.setenv("TIKTOK_PIPELINES_SQS_QUEUE_URL", url)
    monkeypatch.setenv("TIKTOK_PIPELINES_SQS_ENDPOINT_URL", moto_server)
    settings = Settings.load()
    with ServerThread(create_app(settings, db=state_db)) as sqs_receiver:
        shop.config.webhook_url = f"{sqs_receiver.url}/webhooks/tiktok"
        orders = shop.create_orders(DEMO_SHOP_CODE, 2, status="AWAITING_SHIPMENT")
        wait_delivered(shop)
    assert DbEventQueue(state_db).depth() == 0  # nothing went to the state DB queue
    assert drain_and_run(instance, build_resources(settings)) >= 1
    assert set(vtex_orders_of(sandbox)) == set(orders)
    assert (
        int(
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"
            ]["ApproximateNumberOfMessages"]
        )
        == 0
    )


def test_vtex_order_hook_reaches_the_order_map(
    shop, sandbox, receiver, instance, resources, state_db, vtex_api
):
    from click.testing import CliRunner

    from tiktok_pipelines.cli.main import main

    result = CliRunner().invoke(main, ["vtex", "hook", "demo", "--receiver-url", receiver.url])
    assert result.exit_code == 0, result.output
    (order_id,) = shop.create_orders(DEMO_SHOP_CODE, 1, status="AWAITING_SHIPMENT")
    wait_delivered(shop)
    drain_and_run(instance, resources)
    vtex_order_id = f"TTS-{order_id}"
    deadline = time.monotonic() + 10
    while DbEventQueue(state_db).depth() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)  # VTEX's hook posts the status changes the placement caused
    drain_and_run(instance, resources)
    record = OrderStore(state_db).get("demo", order_id)
    assert record.vtex_status == vtex_api.order(vtex_order_id)["status"]
    listed = CliRunner().invoke(main, ["events", "list", "--client", "demo", "--type", "vtex:order_hook"])
    assert "vtex_order_status" in listed.output


def test_an_order_the_seller_cancels_in_vtex_is_cancelled_on_tiktok(
    shop, sandbox, instance, resources, state_db, vtex_api
):
    (order_id,) = shop.create_orders(DEMO_SHOP_CODE, 1, status="AWAITING_SHIPMENT")
    wait_delivered(shop)
    drain_and_run(instance, resources)
    vtex_api.cancel_order(f"TTS-{order_id}", reason="Sem estoque no CD")
    deadline = time.monotonic() + 10  # VTEX calls the marketplace back about the cancellation
    while DbEventQueue(state_db).depth() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    drain_and_run(instance, resources)
    tiktok_order = shop.shop_by_code(DEMO_SHOP_CODE).orders[order_id]
    assert tiktok_order["status"] == "CANCELLED"
    assert tiktok_order["cancellation_initiator"] == "SELLER"
    assert OrderStore(state_db).get("demo", order_id).state == "cancelled"
    wait_delivered(shop)  # TikTok's own webhooks about it change nothing more
    drain_and_run(instance, resources)
    assert OrderStore(state_db).get("demo", order_id).state == "cancelled"


@pytest.mark.parametrize("source", ["id", "link"])
def test_orders_reach_vtex_under_the_vtex_sku_of_the_clients_sku_id_source(
    source, shop, sandbox, instance, resources, registry
):
    """With `link`, the feed's g:id (the seller SKU on TikTok) is a RefId: VTEX must get the SKU id that
    enrichment found in the item's link, as the stock lane does."""
    import pyarrow as pa

    from tiktok_pipelines.core.enrichment import VtexSkuData
    from tiktok_pipelines.core.tables import VTEX_CATALOG

    live = [s for p in shop.shop_by_code(DEMO_SHOP_CODE).products.values() for s in p["skus"]]
    vtex_id_of = {}
    for sku in live:
        if source == "link":
            sku["seller_sku"] = f"REF-{sku['seller_sku']}"  # the sandbox catalog's RefIds
        vtex_id_of[sku["seller_sku"]] = sku["seller_sku"].removeprefix("REF-")
    if source == "link":
        registry.update("demo", options={**registry.get("demo").options, "vtex_sku_id_source": "link"})
        rows = [VtexSkuData(s, v, "ok").as_row("demo") for s, v in vtex_id_of.items()]
        resources["lake"].write_table("vtex_catalog", "demo", pa.Table.from_pylist(rows, schema=VTEX_CATALOG))
    orders = shop.create_orders(DEMO_SHOP_CODE, 3, status="AWAITING_SHIPMENT", items_per_order=2)
    wait_delivered(shop)
    drain_and_run(instance, resources)
    in_vtex = vtex_orders_of(sandbox)
    assert sorted(in_vtex) == sorted(orders)
    for order_id in orders:
        sold = shop.shop_by_code(DEMO_SHOP_CODE).orders[order_id]["line_items"]
        assert {i["id"] for i in in_vtex[order_id]["items"]} == {vtex_id_of[li["seller_sku"]] for li in sold}


def test_a_rejected_order_fails_its_clients_check_until_it_is_reprocessed(
    shop, sandbox, instance, resources, state_db
):
    import json

    from click.testing import CliRunner

    from tiktok_pipelines.cli.main import main
    from tiktok_pipelines.core.nfe import cpf_with_check_digits

    good, bad = shop.create_orders(DEMO_SHOP_CODE, 2, status="AWAITING_SHIPMENT")
    sold = shop.shop_by_code(DEMO_SHOP_CODE).orders[bad]
    sold["cpf"] = "123"  # VTEX cannot take an order without a valid CPF
    wait_delivered(shop)
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        sensor(context)

    def failed_orders_check(result):
        (check,) = [c for c in result.get_asset_check_evaluations() if c.check_name == "failed_orders_empty"]
        assert check.partition == "demo"  # each client's state, not whichever client ran last
        return check

    first = failed_orders_check(run_orders(instance, resources))
    assert not first.passed and first.metadata["failed_orders"].value == 1
    assert bad in first.metadata["orders"].value and "CPF" in first.metadata["orders"].value
    assert set(vtex_orders_of(sandbox)) == {good}

    cli = CliRunner()
    listed = cli.invoke(main, ["orders", "list", "demo", "--failed", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [r["order_id"] for r in json.loads(listed.output)] == [bad]
    shown = cli.invoke(main, ["orders", "show", "demo", bad])
    assert shown.exit_code == 0 and "no valid CPF" in shown.output
    assert sold["recipient_address"]["name"] not in shown.output  # no personal data in a terminal
    refused = cli.invoke(main, ["orders", "reprocess", "demo", good])
    assert refused.exit_code == 2  # placed: nothing to send again

    sold["cpf"] = cpf_with_check_digits("529982247")  # corrected on TikTok's side
    again = cli.invoke(main, ["orders", "reprocess", "demo", "--all-failed"])
    assert again.exit_code == 0, again.output
    second = failed_orders_check(run_orders(instance, resources))
    assert second.passed
    assert set(vtex_orders_of(sandbox)) == {good, bad}
    assert OrderStore(state_db).get("demo", bad).state == "authorized"
