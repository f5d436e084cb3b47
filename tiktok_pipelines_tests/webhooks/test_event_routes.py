import json
from types import SimpleNamespace

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tiktok_pipelines.domain.events import tiktok_signature
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.state.events import DbEventQueue
from tiktok_pipelines.webhooks.events import event_routes
from tiktok_pipelines_tests.domain.test_events import VECTOR_BODY


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
    return {"Authorization": tiktok_signature("abcdef", secret, body), "Content-Type": "application/json"}


def test_a_signed_webhook_is_queued_once(receiver, state_db):
    queue = DbEventQueue(state_db)
    for _ in range(3):  # TikTok delivers at least once
        response = receiver.post("/webhooks/tiktok", content=VECTOR_BODY, headers=signed(VECTOR_BODY))
        assert response.status_code == 200
    assert queue.depth() == 1
    assert queue.take(1)[0].event.body.encode() == VECTOR_BODY


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
