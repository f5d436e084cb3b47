"""The webhook queue sensor: an event it cannot handle never holds back the others. It is tried again a
bounded number of times, then kept in the dead letter with its reason, where the tick log, the
`webhook_dead_letter_empty` check and the CLI show it, and from where it can be put back on the queue."""

import codecs
import json
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import boto3
import dagster as dg
import pytest
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tiktok_pipelines.channels.tiktok_shop.client import webhook_signature
from tiktok_pipelines.cli.main import main
from tiktok_pipelines.core.events import InboundEvent
from tiktok_pipelines.defs.events import sensors as webhook_sensor
from tiktok_pipelines.defs.fulfilment.jobs import fulfilment_job
from tiktok_pipelines.defs.orders.assets import tiktok_orders, vtex_orders
from tiktok_pipelines.defs.orders.checks import CHECK_KEY, webhook_dead_letter_empty
from tiktok_pipelines.defs.orders.jobs import orders_job
from tiktok_pipelines.defs.resources import build_resources
from tiktok_pipelines.partitions import CLIENTS_PARTITION
from tiktok_pipelines.receiver.events import event_routes
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.events import EventDeadLetter, EventLog
from tiktok_pipelines.stores.orders import OrderStore
from tiktok_pipelines.stores.queue import DbEventQueue, event_queue_from_settings
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.clock import store_clock
from tiktok_pipelines_tests.stores.test_registry import FIELDS

SHOP = "7495540735365777507"
RETRY_DELAY = 1.0

sensor = webhook_sensor.build_webhook_queue_sensor(
    {"orders": orders_job, "fulfilment": fulfilment_job}, retry_delays_seconds=(RETRY_DELAY, RETRY_DELAY)
)


def order_event(n: int) -> InboundEvent:
    body = {
        "type": 1,
        "tts_notification_id": f"good-{n}",
        "shop_id": SHOP,
        "timestamp": int(time.time()),
        "data": {"order_id": f"58000{n}", "order_status": "AWAITING_SHIPMENT"},
    }
    return InboundEvent("tiktok", f"good-{n}", "1", SHOP, datetime.now(UTC), json.dumps(body))


def poison_event() -> InboundEvent:
    """A package update whose packages are bare numbers, as receivers that did not check `data` queued it."""
    body = {
        "type": 4,
        "tts_notification_id": "poison",
        "shop_id": SHOP,
        "timestamp": int(time.time()),
        "data": {"package_list": [1, 2]},
    }
    return InboundEvent("tiktok", "poison", "4", SHOP, datetime.now(UTC), json.dumps(body))


@pytest.fixture
def client(registry, instance):
    registry.add(build_client(**{**FIELDS, "client_id": "loja", "tiktok_shop_id": SHOP}))
    instance.add_dynamic_partitions(CLIENTS_PARTITION, ["loja"])
    return "loja"


class Daemon:
    """Ticks the sensor as the daemon does, with the cursor of the tick before."""

    def __init__(self, instance, resources, sensor=sensor):
        self.instance, self.resources, self.sensor, self.cursor = instance, resources, sensor, None

    def tick(self) -> dg.SensorResult:
        with dg.build_sensor_context(
            instance=self.instance, resources=self.resources, cursor=self.cursor
        ) as context:
            result = self.sensor(context)
        self.cursor = result.cursor or self.cursor
        return result


def jobs(result: dg.SensorResult) -> list[str]:
    return [r.job_name for r in result.run_requests or []]


def skip(result: dg.SensorResult) -> str:
    return result.skip_reason.skip_message if result.skip_reason else ""


def check_results(instance, partition: str) -> list:
    """Evaluations of the check for the partition, newest first."""
    records = instance.event_log_storage.get_asset_check_execution_history(CHECK_KEY, limit=50)
    return [
        r.event.dagster_event.event_specific_data
        for r in records
        if r.event is not None and r.partition == partition and r.status.value in ("SUCCEEDED", "FAILED")
    ]


def pending_orders(state_db, client_id="loja") -> list[str]:
    return sorted(k for e in EventLog(state_db).pending(client_id, "orders") for k in e.key_list)


def test_a_poison_event_between_good_ones_never_stops_the_queue(
    client, state_db, instance, resources, capsys, monkeypatch
):
    # Retries a minute apart, and the queue's clock moved past them by the test: however slow a tick,
    # the poison's next attempt comes when the test says.
    clock = store_clock(monkeypatch, "tiktok_pipelines.stores.queue")
    patient = webhook_sensor.build_webhook_queue_sensor(
        {"orders": orders_job, "fulfilment": fulfilment_job}, retry_delays_seconds=(60.0, 60.0)
    )
    queue, dead = DbEventQueue(state_db), EventDeadLetter(state_db)
    queue.put_many([order_event(1), poison_event(), order_event(2)])
    daemon = Daemon(instance, resources, sensor=patient)

    first = daemon.tick()
    # The events on both sides of the poison are recorded and their run requested.
    assert pending_orders(state_db) == ["580001", "580002"]
    assert jobs(first) == ["orders_job"]
    assert dead.list() == [] and queue.depth() == 1  # the poison waits for its next attempt

    queue.put(order_event(3))  # what arrives meanwhile flows past it
    assert jobs(daemon.tick()) == ["orders_job"]
    assert pending_orders(state_db) == ["580001", "580002", "580003"]

    clock.advance(61)
    second = daemon.tick()
    assert "tiktok event poison (type 4" in skip(second) and "attempt 2 of 3" in skip(second)
    assert dead.list() == []

    clock.advance(61)
    capsys.readouterr()
    third = daemon.tick()
    (letter,) = dead.list()
    assert (letter.event_id, letter.client_id, letter.attempts) == ("poison", "loja", 3)
    assert letter.error.startswith("AttributeError") and "route_event" in letter.trace
    tick_log = capsys.readouterr().err
    assert "ERROR - tiktok event poison (type 4" in tick_log
    assert f"moved to the webhook dead letter as #{letter.id}" in tick_log
    assert jobs(third) == ["orders_job"]  # its run evaluates `webhook_dead_letter_empty` for the client
    assert queue.depth() == 0 and EventLog(state_db).get("tiktok", "poison") is None
    quiet = daemon.tick()  # nothing changed: no run, and the skip says what waits
    assert jobs(quiet) == [] and "1 event(s) in the webhook dead letter" in skip(quiet)
    assert OrderStore(state_db).get("loja", "580002") is not None


def test_a_dead_letter_is_listed_shown_retried_and_discarded_from_the_cli(
    client, state_db, instance, resources, monkeypatch
):
    daemon = Daemon(instance, resources)
    dead = EventDeadLetter(state_db)
    DbEventQueue(state_db).put_many([poison_event(), order_event(7)])
    # A fault of the sensor's own (a bug, later fixed) on an order event that is fine.
    real_route = webhook_sensor.EVENT_SOURCES.route_event

    def broken(event):
        if event.event_id == "good-7":
            raise KeyError("order_id")
        return real_route(event)

    monkeypatch.setattr(webhook_sensor.EVENT_SOURCES, "route_event", broken)
    for _ in range(3):
        daemon.tick()
        time.sleep(RETRY_DELAY + 0.1)
    ids = {letter.event_id: letter.id for letter in dead.list()}
    assert sorted(ids) == ["good-7", "poison"]

    cli = CliRunner()
    listed = cli.invoke(main, ["webhooks", "dead-letter", "list", "--client", "loja", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [(r["event_id"], r["attempts"], r["status"]) for r in json.loads(listed.output)] == [
        ("poison", 3, "open"),
        ("good-7", 3, "open"),
    ]
    shown = cli.invoke(main, ["webhooks", "dead-letter", "show", str(ids["poison"])])
    assert shown.exit_code == 0
    assert "AttributeError" in shown.output and '"package_list": [1, 2]' in shown.output
    assert cli.invoke(main, ["webhooks", "dead-letter", "show", "999"]).exit_code == 3

    monkeypatch.setattr(webhook_sensor.EVENT_SOURCES, "route_event", real_route)  # the fix is deployed
    retried = cli.invoke(main, ["webhooks", "dead-letter", "retry", str(ids["good-7"])])
    assert retried.exit_code == 0 and "1 event(s) back on the queue" in retried.output
    assert jobs(daemon.tick()) == ["orders_job"]
    assert pending_orders(state_db) == ["580007"]
    assert dead.get(ids["good-7"]).status == "retried"
    assert cli.invoke(main, ["webhooks", "dead-letter", "retry", str(ids["good-7"])]).exit_code == 3

    discard = ["webhooks", "dead-letter", "discard", str(ids["poison"]), "--yes"]
    assert cli.invoke(main, discard).exit_code == 0 and dead.list() == []
    assert "the webhook dead letter is empty" in cli.invoke(main, ["webhooks", "dead-letter", "list"]).output
    assert jobs(daemon.tick()) == ["orders_job"]  # to show the check passing again


@pytest.mark.e2e
def test_the_clients_orders_run_fails_the_check_while_its_dead_letter_is_open(
    shop, sandbox, registry, state_db, instance, resources
):
    demo = registry.get("demo")
    impatient = webhook_sensor.build_webhook_queue_sensor({"orders": orders_job}, max_attempts=1)
    daemon = Daemon(instance, resources, impatient)
    other = InboundEvent(**{**vars(poison_event()), "event_id": "elsewhere"})
    EventDeadLetter(state_db).add(other, "outra", 3, "AttributeError: another client's")
    poison = poison_event()
    DbEventQueue(state_db).put(InboundEvent(**{**vars(poison), "routing_key": demo.tiktok_shop_id}))

    def orders_run():
        assets = {"orders_job": [tiktok_orders, vtex_orders, webhook_dead_letter_empty]}
        with dg.build_sensor_context(instance=instance, resources=resources, cursor=daemon.cursor) as context:
            result = impatient(context)
        daemon.cursor = result.cursor
        for request in result.run_requests:
            assert request.job_name == "orders_job" and request.partition_key == "demo"
            outcome = dg.materialize(
                assets["orders_job"],
                partition_key="demo",
                instance=instance,
                resources=resources,
                tags=request.tags,
            )
            assert outcome.success  # the run itself is green; its check is not
        return check_results(instance, "demo")

    (failed,) = orders_run()
    assert not failed.passed and failed.partition == "demo" and failed.metadata["dead_letter"].value == 1
    assert "poison" in failed.metadata["events"].value and "elsewhere" not in failed.metadata["events"].value
    assert "dead-letter list --client demo" in failed.description

    (letter,) = EventDeadLetter(state_db).list(client_id="demo")
    assert (
        CliRunner().invoke(main, ["webhooks", "dead-letter", "discard", str(letter.id), "--yes"]).exit_code
        == 0
    )
    latest = orders_run()[0]
    assert latest.passed and latest.partition == "demo"


def test_a_webhook_with_a_byte_order_mark_is_handled_like_any_other(
    client, monkeypatch, state_db, instance, resources
):
    monkeypatch.setenv("TIKTOK_APP_KEY", "abcdef")
    monkeypatch.setenv("TIKTOK_APP_SECRET", "123")
    body = codecs.BOM_UTF8 + order_event(5).body.encode()
    headers = {"Authorization": webhook_signature("abcdef", "123", body)}
    receiver = Starlette(routes=list(event_routes(SimpleNamespace(settings=Settings.load(), db=state_db))))
    with TestClient(receiver) as http:
        assert http.post("/webhooks/tiktok", content=body, headers=headers).status_code == 200
    # And one queued with its mark by receivers that kept it.
    old = order_event(6)
    DbEventQueue(state_db).put(InboundEvent(**{**vars(old), "body": "\ufeff" + old.body}))
    assert jobs(Daemon(instance, resources).tick()) == ["orders_job"]
    assert pending_orders(state_db) == ["580005", "580006"]
    assert EventLog(state_db).get("tiktok", "good-5").skew_seconds >= 0


@pytest.mark.e2e
def test_a_poison_event_on_sqs_goes_to_the_dead_letter_and_back(
    client, moto_server, monkeypatch, state_db, instance
):
    sqs = boto3.client("sqs", endpoint_url=moto_server, region_name="us-east-1")
    url = sqs.create_queue(QueueName="events.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    monkeypatch.setenv("TIKTOK_PIPELINES_QUEUE", "sqs")
    monkeypatch.setenv("TIKTOK_PIPELINES_SQS_QUEUE_URL", url)
    monkeypatch.setenv("TIKTOK_PIPELINES_SQS_ENDPOINT_URL", moto_server)
    resources = build_resources(Settings.load())
    queue = event_queue_from_settings(Settings.load())
    queue.put_many([order_event(1), poison_event(), order_event(2)])
    daemon = Daemon(instance, resources)
    daemon.tick()
    assert pending_orders(state_db) == ["580001", "580002"]  # the same shop's events pass it
    for _ in range(2):
        time.sleep(RETRY_DELAY + 0.2)
        daemon.tick()
    (letter,) = EventDeadLetter(state_db).list()
    assert letter.event_id == "poison" and letter.attempts == 3
    assert queue.depth() == 0

    # Put back within SQS's 5-minute deduplication window of its first delivery: it is queued again.
    retried = CliRunner().invoke(main, ["webhooks", "dead-letter", "retry", "--all"])
    assert retried.exit_code == 0, retried.output
    assert [q.event.event_id for q in queue.take(10)] == ["poison"]
