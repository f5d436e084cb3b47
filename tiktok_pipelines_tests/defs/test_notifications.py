"""Notifications end to end through Dagster: a buyer's order in the sandbox, placed into VTEX by the
orders run, reaches a real SMTP server and a chat webhook on loopback through the sender sensor; a
failed run becomes a notice linked to it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from tiktok_pipelines.core.notifications import Notice
from tiktok_pipelines.defs.notifications.assets import notification_outbox
from tiktok_pipelines.defs.notifications.sensors import (
    check_failure_notice_sensor,
    notification_sender_sensor,
    run_failure_notice_sensor,
)
from tiktok_pipelines.defs.resources.notifications import Notifier
from tiktok_pipelines.lanes.notifications.sender import NotificationSender, SenderOptions
from tiktok_pipelines.sandbox.notification_sinks import Inbox, MailSink, create_chat_sink_app
from tiktok_pipelines.sandbox.server import ServerThread
from tiktok_pipelines.sandbox.world import DEMO_SHOP_CODE
from tiktok_pipelines.stores.notification_destinations import NotificationDestinations
from tiktok_pipelines.stores.notifications import NotificationOutbox
from tiktok_pipelines_tests.defs.test_orders import drain_and_run, vtex_orders_of
from tiktok_pipelines_tests.flows import wait_delivered

pytestmark = pytest.mark.e2e


@pytest.fixture
def inbox():
    box = Inbox()
    mail = MailSink(box).start()
    chat = ServerThread(create_chat_sink_app(box)).start()
    box.urls = (mail.apprise_url(), f"json://127.0.0.1:{chat.port}/hooks/ops")
    yield box
    chat.stop()
    mail.stop()


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.02)
    return predicate()


def test_an_order_placed_in_the_sandbox_arrives_as_an_email_and_a_chat_message(
    shop, sandbox, instance, resources, state_db, inbox
):
    destinations = NotificationDestinations(state_db)
    destinations.add("demo", "email", inbox.urls[0], kinds=["order_placed"])
    destinations.add("demo", "chat", inbox.urls[1])
    resources = {**resources, "notifier": Notifier(digest_seconds=0, ui_base_url="http://127.0.0.1:3000")}

    (order_id,) = shop.create_orders(DEMO_SHOP_CODE, 1, status="AWAITING_SHIPMENT")
    wait_delivered(shop)
    drain_and_run(instance, resources)
    assert order_id in vtex_orders_of(sandbox)

    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        notification_sender_sensor(context)

    assert wait_for(lambda: len(inbox.mail) == 1 and len(inbox.chat) == 1)
    mail = inbox.mail[0]
    assert mail["subject"] == "[demo] Novo pedido · TikTok Shop"
    assert f"Pedido {order_id} → VTEX TTS-{order_id}" in mail["body"]
    assert "http://127.0.0.1:3000/runs/" in mail["body"]
    assert order_id in inbox.chat[0]["payload"]["message"]

    # Another orders run changes nothing: the order is not announced twice.
    drain_and_run(instance, resources)
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        notification_sender_sensor(context)
    assert NotificationOutbox(state_db).counts("demo")["delivered"] == 2
    assert len(inbox.mail) == 1


def test_an_orders_run_whose_destination_is_broken_still_places_the_order(
    shop, sandbox, instance, resources, state_db
):
    NotificationDestinations(state_db).add("demo", "chat", "json://127.0.0.1:9/nowhere")
    resources = {**resources, "notifier": Notifier(digest_seconds=0)}
    (order_id,) = shop.create_orders(DEMO_SHOP_CODE, 1, status="AWAITING_SHIPMENT")
    wait_delivered(shop)
    drain_and_run(instance, resources)
    assert order_id in vtex_orders_of(sandbox)

    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        result = notification_sender_sensor(context)

    assert NotificationOutbox(state_db).counts("demo")["pending"] == 1  # to retry later
    assert result is not None  # the tick itself did not fail


def test_a_failed_run_is_recorded_with_a_link_to_it_and_a_given_up_delivery_fails_the_check(
    demo_client, instance, resources, state_db
):
    @dg.op
    def breaks():
        raise RuntimeError("VTEX answered 500 three times")

    @dg.job(tags={"dagster/partition": "demo"})
    def broken_job():
        breaks()

    result = broken_job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    failure = next(
        e for e in instance.all_logs(result.run_id) if e.dagster_event and e.dagster_event.is_run_failure
    )
    with dg.build_run_status_sensor_context(
        sensor_name="run_failure_notice_sensor",
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id),
        dagster_event=failure.dagster_event,
        resources=resources,
    ) as context:
        run_failure_notice_sensor(context.for_run_failure())

    (row,) = NotificationOutbox(state_db).listing("demo")
    assert row["kind"] == "run_failed" and row["dedup_key"] == f"run_failed:{result.run_id}"

    # A delivery given up (its destination never came back within the maximum age) fails the check.
    NotificationDestinations(state_db).add("demo", "chat", "json://127.0.0.1:9/nowhere")
    NotificationOutbox(state_db).record([Notice("demo", "test", "check:1", {})])
    clock = datetime.now(UTC) + timedelta(hours=49)
    NotificationSender(state_db, SenderOptions(digest_seconds=0), clock=lambda: clock).run()
    outcome = dg.materialize(
        [notification_outbox],
        partition_key="demo",
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )
    (check,) = outcome.get_asset_check_evaluations()
    assert not check.passed and check.metadata["failed"].value == 1


def test_a_check_of_error_severity_is_told_when_it_starts_failing_and_again_only_after_it_passed(
    demo_client, instance, resources, state_db
):
    outcomes = iter([False, False, False, True, False])  # the first run is before the sensor starts

    @dg.asset(
        partitions_def=dg.StaticPartitionsDefinition(["demo"]),
        check_specs=[
            dg.AssetCheckSpec("stock_in_step", asset="stock"),
            dg.AssetCheckSpec("soft", asset="stock"),
        ],
    )
    def stock():
        yield dg.Output(1)
        yield dg.AssetCheckResult(
            check_name="stock_in_step",
            passed=next(outcomes),
            severity=dg.AssetCheckSeverity.ERROR,
            description="12 SKUs differ from VTEX",
        )
        yield dg.AssetCheckResult(check_name="soft", passed=False, severity=dg.AssetCheckSeverity.WARN)

    def tick():
        with dg.build_sensor_context(instance=instance, resources=resources, cursor=cursor[0]) as context:
            check_failure_notice_sensor(context)
            cursor[0] = context.cursor

    cursor = [None]
    dg.materialize([stock], partition_key="demo", instance=instance)  # before the sensor: history
    tick()
    runs = [dg.materialize([stock], partition_key="demo", instance=instance).run_id for _ in range(4)]
    tick()
    tick()

    rows = NotificationOutbox(state_db).listing("demo")
    assert {r["kind"] for r in rows} == {"check_failed"}  # the WARN check is never told
    assert sorted(r["dedup_key"] for r in rows) == sorted(
        f"check_failed:stock:stock_in_step:{run_id}" for run_id in (runs[0], runs[3])
    )
