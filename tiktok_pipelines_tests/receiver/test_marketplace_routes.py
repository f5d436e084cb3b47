import logging
from types import SimpleNamespace

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tiktok_pipelines.logs import RedactSecretsFilter
from tiktok_pipelines.receiver.marketplace import marketplace_routes
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.queue import DbEventQueue
from tiktok_pipelines.stores.registry import ClientRegistry, build_client
from tiktok_pipelines.vtex.notifications import marketplace_callback_url

SECRET = "vtex-shared"
INVOICE = {
    "type": "Output",
    "invoiceNumber": "1001",
    "invoiceValue": 4990,
    "invoiceKey": "3" * 44,
    "embeddedInvoice": "<nfeProc/>",
}


@pytest.fixture
def receiver(monkeypatch, state_db):
    monkeypatch.setenv("TIKTOK_PIPELINES_VTEX_WEBHOOK_SECRET", SECRET)
    ClientRegistry(state_db).add(
        build_client(
            client_id="acme",
            feed_url="https://acme.example/feed.xml",
            vtex_account="acmestore",
            vtex_app_key="k",
            vtex_app_token="t",
            vtex_warehouse_ids=("1_1",),
        )
    )
    ctx = SimpleNamespace(settings=Settings.load(), db=state_db)
    with TestClient(Starlette(routes=list(marketplace_routes(ctx)))) as client:
        yield client


def endpoint(client_id="acme", secret=SECRET) -> str:
    return marketplace_callback_url("http://testserver", client_id, secret).removeprefix("http://testserver")


def test_an_invoice_callback_is_queued_once_for_its_client(receiver, state_db):
    for scope in ("pvt", "pub", "pvt"):  # both paths of VTEX's guides; the repeat is the same event
        answer = receiver.post(f"{endpoint()}/{scope}/orders/576001/invoice", json=INVOICE)
        assert answer.status_code == 200 and answer.json()["orderId"] == "576001"
    queue = DbEventQueue(state_db)
    assert queue.depth() == 1
    event = queue.take(1)[0].event
    assert (event.event_type, event.routing_key) == ("vtex:invoice", "acmestore")
    assert "<nfeProc/>" not in event.body


@pytest.mark.parametrize(
    "path",
    [
        endpoint(secret="guessed") + "/pvt/orders/576001/invoice",  # a wrong token
        endpoint("other") + "/pvt/orders/576001/invoice",  # a valid token of an unknown client
        endpoint().replace("/acme/", "/other/") + "/pvt/orders/576001/invoice",  # acme's token, other client
    ],
)
def test_a_callback_without_the_clients_token_is_401_and_not_queued(receiver, state_db, path):
    assert receiver.post(path, json=INVOICE).status_code == 401
    assert DbEventQueue(state_db).depth() == 0


def test_cancel_unknown_kinds_and_bodies(receiver, state_db):
    assert receiver.post(f"{endpoint()}/pvt/orders/576001/cancel", json={"reason": "x"}).status_code == 200
    assert receiver.post(f"{endpoint()}/pvt/orders/576001/refund", json={}).status_code == 404
    assert receiver.post(f"{endpoint()}/abc/orders/576001/invoice", json={}).status_code == 404
    assert receiver.post(f"{endpoint()}/pvt/orders/576001/invoice", content=b"not json").status_code == 400
    queue = DbEventQueue(state_db)
    assert [q.event.event_type for q in queue.take(10)] == ["vtex:cancel"]


def test_the_token_in_the_path_is_masked_in_log_lines():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "x",
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1", "POST", endpoint() + "/pvt/orders/1/invoice", "1.1", 200),
        None,
    )
    RedactSecretsFilter().filter(record)
    line = record.getMessage()
    assert endpoint().rsplit("/", 1)[1] not in line and "/vtex/marketplace/acme/***/pvt" in line
