import time
from datetime import UTC, datetime

import boto3
import pytest

from tiktok_pipelines.channels.tiktok_shop.notifications import parse_tiktok_webhook
from tiktok_pipelines.stores.events import EventDeadLetter, EventLog
from tiktok_pipelines.stores.queue import DbEventQueue
from tiktok_pipelines.stores.sqs_queue import SqsEventQueue
from tiktok_pipelines_tests.channels.tiktok_shop.test_notifications import VECTOR_BODY
from tiktok_pipelines_tests.clock import store_clock


def event(n: int = 1):
    """The reference's webhook with notification id `n`, received a little over a minute after it was sent."""
    body = VECTOR_BODY.replace(b"7380066284010030890", str(n).encode())
    return parse_tiktok_webhook(body, received_at=datetime.fromtimestamp(1718305585 + 61.5, UTC))


def test_db_queue_is_durable_deduplicated_and_leased(state_db):
    queue = DbEventQueue(state_db, lease_seconds=300)
    assert queue.put(event(1)) is True
    assert queue.put(event(1)) is False  # the same notification delivered again
    assert queue.put(event(2)) is True
    taken = queue.take(10)
    assert [q.event.event_id for q in taken] == ["1", "2"]
    assert queue.take(10) == []  # leased, invisible until the lease ends
    queue.delete([taken[0].handle])
    assert queue.depth() == 1


def test_an_unfinished_batch_comes_back_after_its_lease(state_db):
    queue = DbEventQueue(state_db, lease_seconds=0)
    queue.put(event(1))
    first = queue.take(10)
    again = queue.take(10)  # the sensor crashed before deleting: the event is delivered again
    assert [q.event.event_id for q in again] == [q.event.event_id for q in first]


def test_event_log_records_each_event_once(state_db):
    log = EventLog(state_db)
    assert log.record(event(1), "loja", "orders", "order_status", ("576653688135258178",), "pending")
    assert not log.record(event(1), "loja", "orders", "order_status", ("576653688135258178",), "pending")
    pending = log.pending("loja", "orders")
    assert len(pending) == 1 and pending[0].key_list == ["576653688135258178"]
    log.mark([pending[0].id], "handled")
    assert log.pending("loja", "orders") == []
    assert log.count(status="handled") == 1


@pytest.mark.e2e
def test_sqs_queue_on_moto(moto_server):
    sqs = boto3.client("sqs", endpoint_url=moto_server, region_name="us-east-1")
    url = sqs.create_queue(QueueName="events.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    queue = SqsEventQueue(url, endpoint_url=moto_server, region="us-east-1", visibility_timeout=30)
    for n in (1, 1, 2, 3):
        queue.put(event(n))
    taken = queue.take(10)
    assert sorted(q.event.event_id for q in taken) == ["1", "2", "3"]
    assert taken[0].event.body == event(int(taken[0].event.event_id)).body
    queue.delete([q.handle for q in taken])
    assert queue.depth() == 0


def test_an_event_tried_again_later_is_out_of_sight_until_then_and_counts_its_deliveries(
    state_db, monkeypatch
):
    clock = store_clock(monkeypatch, "tiktok_pipelines.stores.queue")
    queue = DbEventQueue(state_db, lease_seconds=300)
    queue.put_many([event(1), event(2)])
    first, second = queue.take(10)
    assert (first.deliveries, second.deliveries) == (1, 1)
    queue.retry_later(first.handle, 30)
    queue.delete([second.handle])
    assert queue.take(10) == []
    clock.advance(29)
    assert queue.take(10) == []
    clock.advance(2)
    (again,) = queue.take(10)
    assert again.event.event_id == "1" and again.deliveries == 2


def test_the_event_log_keeps_the_skew_of_each_webhook(state_db):
    log = EventLog(state_db)
    sent = event(1)
    log.record(sent, "loja", "orders", "order_status", ("576653688135258178",), "pending")
    (logged,) = log.pending("loja", "orders")
    assert logged.sent_at == sent.sent_at and logged.skew_seconds == sent.skew_seconds > 0


def test_the_dead_letter_opens_closes_and_opens_again(state_db):
    dead = EventDeadLetter(state_db)
    first = dead.add(event(1), "loja", 3, "AttributeError: 'int' object has no attribute 'get'", "trace")
    (letter,) = dead.list(client_id="loja")
    assert (letter.id, letter.status, letter.attempts) == (first, "open", 3)
    assert letter.event() == event(1)  # what goes back on the queue is what came off it
    versions = [dead.versions()["loja"]]
    assert versions[0][0] == 1
    assert dead.resolve([first], "retried") == 1 and dead.list() == []
    assert dead.resolve([first], "discarded") == 0  # no longer open
    versions.append(dead.versions()["loja"])
    time.sleep(0.01)
    assert dead.add(event(1), "loja", 3, "KeyError: 'order_id'") == first  # failed again after a retry
    versions.append(dead.versions()["loja"])
    assert dead.get(first).status == "open" and dead.get(first).error == "KeyError: 'order_id'"
    assert [v[0] for v in versions] == [1, 0, 1] and len({v[1] for v in versions}) == 3
    assert [letter.status for letter in dead.list(status=None)] == ["open"]
