import codecs
import json
import logging
import socket
import time
from types import SimpleNamespace

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tiktok_pipelines.channels.tiktok_shop.client import webhook_signature
from tiktok_pipelines.receiver.events import event_routes
from tiktok_pipelines.sandbox.server import ServerThread
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.queue import DbEventQueue
from tiktok_pipelines_tests.channels.tiktok_shop.test_notifications import VECTOR_BODY, webhook


@pytest.fixture
def receiver(monkeypatch, state_db):
    monkeypatch.setenv("TIKTOK_APP_KEY", "abcdef")
    monkeypatch.setenv("TIKTOK_APP_SECRET", "123")
    monkeypatch.setenv("TIKTOK_PIPELINES_VTEX_WEBHOOK_SECRET", "vtex-shared")
    monkeypatch.setenv("TIKTOK_PIPELINES_WEBHOOK_MAX_BODY_BYTES", "2048")
    ctx = SimpleNamespace(settings=Settings.load(), db=state_db)
    with TestClient(Starlette(routes=list(event_routes(ctx)))) as client:
        yield client


def signed(body: bytes, secret: str = "123") -> dict:
    return {"Authorization": webhook_signature("abcdef", secret, body), "Content-Type": "application/json"}


def test_a_signed_webhook_is_queued_once(receiver, state_db):
    queue = DbEventQueue(state_db)
    body = webhook()
    for _ in range(3):  # TikTok delivers at least once
        response = receiver.post("/webhooks/tiktok", content=body, headers=signed(body))
        assert response.status_code == 200
    assert queue.depth() == 1
    assert queue.take(1)[0].event.body.encode() == body


@pytest.mark.parametrize("headers", [{}, {"Authorization": "0" * 64}, signed(VECTOR_BODY, secret="wrong")])
def test_a_forged_webhook_is_401_and_not_recorded(receiver, state_db, headers):
    assert receiver.post("/webhooks/tiktok", content=VECTOR_BODY, headers=headers).status_code == 401
    assert DbEventQueue(state_db).depth() == 0


def test_a_replayed_webhook_with_a_changed_body_is_401(receiver, state_db):
    changed = VECTOR_BODY.replace(b"UNPAID", b"AWAITING_SHIPMENT")
    assert receiver.post("/webhooks/tiktok", content=changed, headers=signed(VECTOR_BODY)).status_code == 401
    assert DbEventQueue(state_db).depth() == 0


def test_malformed_json_is_400_and_too_large_is_413(receiver, state_db):
    bad = b'{"type": 1, '
    assert receiver.post("/webhooks/tiktok", content=bad, headers=signed(bad)).status_code == 400
    big = json.dumps(
        {"type": 1, "tts_notification_id": "1", "shop_id": "2", "data": {"x": "y" * 5000}}
    ).encode()
    assert receiver.post("/webhooks/tiktok", content=big, headers=signed(big)).status_code == 413
    assert DbEventQueue(state_db).depth() == 0


def test_vtex_notifications_need_the_shared_secret(receiver, state_db):
    ping = receiver.post(
        "/webhooks/vtex", json={"hookConfig": "ping"}, headers={"X-Webhook-Secret": "vtex-shared"}
    )
    assert ping.status_code == 200
    sku = {"idSKU": "10001", "an": "loja", "StockModified": True}
    assert receiver.post("/webhooks/vtex", json=sku).status_code == 401
    assert receiver.post("/webhooks/vtex?secret=wrong", json=sku).status_code == 401
    assert receiver.post("/webhooks/vtex?secret=vtex-shared", json=sku).status_code == 200
    assert DbEventQueue(state_db).depth() == 1


def test_a_body_with_a_utf8_byte_order_mark_is_queued_as_plain_utf8(receiver, state_db):
    body = codecs.BOM_UTF8 + webhook()
    assert receiver.post("/webhooks/tiktok", content=body, headers=signed(body)).status_code == 200
    queued = DbEventQueue(state_db).take(1)[0].event
    assert queued.body.encode() == body[3:] and queued.payload()["type"] == 1


def test_a_utf16_body_with_a_valid_signature_is_a_clear_400(receiver, state_db):
    body = webhook().decode().encode("utf-16")
    response = receiver.post("/webhooks/tiktok", content=body, headers=signed(body))
    assert response.status_code == 400 and "UTF-8" in response.json()["error"]
    vtex = '{"idSKU":"10001","an":"loja"}'.encode("utf-16")
    response = receiver.post("/webhooks/vtex?secret=vtex-shared", content=vtex)
    assert response.status_code == 400 and "UTF-8" in response.json()["error"]
    assert DbEventQueue(state_db).depth() == 0


def test_an_event_its_handlers_could_never_read_is_a_400_naming_the_field(receiver, state_db):
    body = webhook(4, {"package_list": [1, 2]})
    response = receiver.post("/webhooks/tiktok", content=body, headers=signed(body))
    assert response.status_code == 400 and "package_list" in response.json()["error"]
    hook = {"OrderId": "TTS-1", "State": "handling", "Origin": "loja"}
    response = receiver.post("/webhooks/vtex?secret=vtex-shared", json=hook)
    assert response.status_code == 400 and "Origin" in response.json()["error"]
    assert DbEventQueue(state_db).depth() == 0


@pytest.mark.parametrize(
    ("offset", "timestamp"),
    [(0, 1_000_000_000), (0, -5), (-25 * 3600, 0), (3600, 0)],
    ids=["2001", "negative", "25-hours-old", "an-hour-ahead"],
)
def test_an_absurd_timestamp_is_a_400(receiver, state_db, offset, timestamp):
    body = webhook(timestamp=timestamp or int(time.time()) + offset)
    response = receiver.post("/webhooks/tiktok", content=body, headers=signed(body))
    assert response.status_code == 400 and "timestamp" in response.json()["error"]
    assert DbEventQueue(state_db).depth() == 0


def test_the_timestamp_window_is_configurable(monkeypatch, state_db):
    monkeypatch.setenv("TIKTOK_APP_KEY", "abcdef")
    monkeypatch.setenv("TIKTOK_APP_SECRET", "123")
    monkeypatch.setenv("TIKTOK_PIPELINES_WEBHOOK_MAX_AGE_SECONDS", "60")
    ctx = SimpleNamespace(settings=Settings.load(), db=state_db)
    with TestClient(Starlette(routes=list(event_routes(ctx)))) as client:
        late = webhook(timestamp=int(time.time()) - 600)  # within the default day, not within a minute
        assert client.post("/webhooks/tiktok", content=late, headers=signed(late)).status_code == 400
        fresh = webhook(timestamp=int(time.time()) - 5)
        assert client.post("/webhooks/tiktok", content=fresh, headers=signed(fresh)).status_code == 200
    assert DbEventQueue(state_db).take(1)[0].event.skew_seconds >= 5


class Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def test_a_sender_hanging_up_mid_body_is_logged_as_a_hang_up_without_a_traceback(monkeypatch, state_db):
    monkeypatch.setenv("TIKTOK_APP_KEY", "abcdef")
    monkeypatch.setenv("TIKTOK_APP_SECRET", "123")
    monkeypatch.setenv("TIKTOK_PIPELINES_VTEX_WEBHOOK_SECRET", "vtex-shared")
    records = Records()
    loggers = [logging.getLogger(name) for name in ("uvicorn.error", "tiktok_pipelines.receiver.events")]
    app = Starlette(routes=list(event_routes(SimpleNamespace(settings=Settings.load(), db=state_db))))
    body = webhook()

    def hang_ups() -> list[logging.LogRecord]:
        return [r for r in records.records if "hung up after 40 of 5000 bytes" in r.getMessage()]

    with ServerThread(app, log_level="info") as server:
        for logger in loggers:
            logger.addHandler(records)
        try:
            for sent, (path, headers) in enumerate(
                [("/webhooks/tiktok", signed(body)), ("/webhooks/vtex", {"X-Webhook-Secret": "vtex-shared"})],
                1,
            ):
                with socket.create_connection((server.host, server.port)) as sock:
                    head = [f"POST {path} HTTP/1.1", f"Host: {server.host}", "Content-Length: 5000"]
                    head += [f"{name}: {value}" for name, value in headers.items()]
                    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body[:40])
                    time.sleep(0.2)
                deadline = time.monotonic() + 5
                while len(hang_ups()) < sent and time.monotonic() < deadline:
                    time.sleep(0.05)
            answer = httpx.post(f"{server.url}/webhooks/tiktok", content=body, headers=signed(body))
            assert answer.status_code == 200  # and the receiver goes on serving
        finally:
            for logger in loggers:
                logger.removeHandler(records)
    assert len(hang_ups()) == 2 and all(r.levelno == logging.WARNING and not r.exc_info for r in hang_ups())
    assert not [r for r in records.records if r.levelno >= logging.ERROR]
    assert DbEventQueue(state_db).depth() == 1  # nothing recorded of the broken requests
