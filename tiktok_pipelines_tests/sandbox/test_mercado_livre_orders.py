"""The Mercado Livre emulator's buyer simulator, orders, packs, shipments, labels and notifications
(reference §6–§8), driven with plain httpx."""

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tiktok_pipelines.core.nfe import is_valid_cpf
from tiktok_pipelines.sandbox.mercado_livre import SANDBOX_APP_ID
from tiktok_pipelines.sandbox.server import ServerThread
from tiktok_pipelines_tests.sandbox.mercado_livre_support import SELLER, start_sandbox, stop_sandbox


class Receiver:
    """The application's callback: answers each notification with `status`, after `delay` seconds for the
    first `slow_first` attempts of each notification."""

    def __init__(self, status: int = 200, delay: float = 0.0, slow_first: int = 0):
        self.status, self.delay, self.slow_first = status, delay, slow_first
        self.received: list[dict] = []
        self.lock = threading.Lock()

        async def hook(request: Request) -> Response:
            body = json.loads(await request.body())
            with self.lock:
                self.received.append(body)
            if body["attempts"] <= self.slow_first:
                time.sleep(self.delay)
            return Response(status_code=self.status)

        self.server = ServerThread(Starlette(routes=[Route("/hook", hook, methods=["POST"])])).start()
        self.url = self.server.url + "/hook"


def wait_for(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.fixture
def ml():
    sandbox = start_sandbox(products=20, notification_time_factor=0.001)
    sandbox.connect()
    receivers: list[Receiver] = []
    sandbox.receivers = receivers
    yield sandbox
    stop_sandbox(sandbox)
    for r in receivers:
        r.server.stop()


def listen(ml, receiver: Receiver, **settings) -> Receiver:
    ml.receivers.append(receiver)
    httpx.post(f"{ml.url}/_sandbox/app", json={"callback_url": receiver.url} | settings)
    return receiver


def test_a_cart_is_several_orders_with_one_pack_and_one_shipment(ml):
    seller = ml.emulator.seller(SELLER)
    ids = httpx.post(f"{ml.url}/_sandbox/sellers/{SELLER}/orders", json={"cart_size": 3}).json()["order_ids"]
    with ml.api() as api:
        orders = [api.get(f"/orders/{i}").json() for i in ids]
        assert {o["status"] for o in orders} == {"paid"}
        packs = {o["pack_id"] for o in orders}
        shipments = {o["shipping"]["id"] for o in orders}
        assert len(ids) == 3 and len(packs) == 1 and None not in packs and len(shipments) == 1
        assert all("pack_order" in o["tags"] for o in orders)
        assert len({o["order_items"][0]["item"]["id"] for o in orders}) == 3
        pack = api.get(f"/packs/{packs.pop()}").json()
        assert sorted(o["id"] for o in pack["orders"]) == sorted(ids)
        assert pack["shipment"]["id"] == shipments.pop()
        single = ml.emulator.create_orders(SELLER, 1)[0]
        assert api.get(f"/orders/{single}").json()["pack_id"] is None
    assert seller.id == orders[0]["seller"]["id"]


def test_an_orders_billing_info_names_its_buyers_cpf(ml):
    ids = httpx.post(f"{ml.url}/_sandbox/sellers/{SELLER}/orders", json={"cart_size": 2}).json()["order_ids"]
    (single,) = ml.emulator.create_orders(SELLER, 1)
    with ml.api() as api:
        cart = [api.get(f"/orders/{i}/billing_info").json()["billing_info"] for i in ids]
        other = api.get(f"/orders/{single}/billing_info").json()["billing_info"]
        assert api.get("/orders/2999999999999999/billing_info").status_code == 404
    assert cart[0] == cart[1] and cart[0]["doc_type"] == "CPF"
    assert is_valid_cpf(cart[0]["doc_number"]) and is_valid_cpf(other["doc_number"])
    assert other["doc_number"] != cart[0]["doc_number"]
    extra = {e["type"]: e["value"] for e in cart[0]["additional_info"]}
    assert extra["DOC_NUMBER"] == cart[0]["doc_number"] and extra["ZIP_CODE"].isdigit()


def test_a_sale_takes_stock_and_a_cancellation_gives_it_back(ml):
    seller = ml.emulator.seller(SELLER)
    item = next(i for i in seller.items.values() if not i["variations"] and i["status"] == "active")
    before = item["available_quantity"]
    order_id = ml.emulator.create_orders(SELLER, 1, item_ids=[item["id"]], quantity=2)[0]
    with ml.api() as api:
        assert api.get(f"/items/{item['id']}").json()["available_quantity"] == before - 2
        assert api.get(f"/items/{item['id']}").json()["sold_quantity"] == 2
        assert httpx.post(f"{ml.url}/_sandbox/orders/{order_id}/cancel").json()["status"] == "cancelled"
        order = api.get(f"/orders/{order_id}").json()
        assert order["status"] == "cancelled"
        assert api.get(f"/items/{item['id']}").json()["available_quantity"] == before
        shipment = api.get(f"/shipments/{order['shipping']['id']}", headers={"x-format-new": "true"}).json()
        assert shipment["status"] == "cancelled"


def test_orders_search_by_seller_and_last_update_with_paging(ml):
    seller = ml.emulator.seller(SELLER)
    ids = ml.emulator.create_orders(SELLER, 6)
    now = datetime.now(UTC)
    window = {
        "seller": seller.id,
        "order.date_last_updated.from": (now - timedelta(minutes=5)).isoformat(timespec="milliseconds"),
        "order.date_last_updated.to": (now + timedelta(minutes=5)).isoformat(timespec="milliseconds"),
        "limit": 4,
    }
    with ml.api() as api:
        first = api.get("/orders/search", params=window).json()
        second = api.get("/orders/search", params=window | {"offset": 4}).json()
        assert first["paging"] == {"total": 6, "offset": 0, "limit": 4}
        assert sorted(o["id"] for o in first["results"] + second["results"]) == sorted(ids)
        past = window | {"order.date_last_updated.to": (now - timedelta(minutes=1)).isoformat()}
        assert api.get("/orders/search", params=past).json()["results"] == []
        assert api.get("/orders/search", params={"seller": seller.id, "limit": 52}).status_code == 400
        assert api.get("/orders/search", params={"seller": seller.id + 1}).status_code == 403
        assert api.get("/orders/search").status_code == 400
        other = ml.emulator.add_seller("OUTRA")
        assert api.get(f"/orders/{ids[0]}").status_code == 200
    ml.emulator.seed_items("OUTRA", _catalog(), 3)
    foreign = ml.emulator.create_orders("OUTRA", 1)[0]
    with ml.api() as api:
        assert api.get(f"/orders/{foreign}").status_code == 403
    assert other.id != seller.id


def _catalog():
    from tiktok_pipelines.sandbox.catalog import generate_catalog

    return generate_catalog(5, seed=3)


def test_shipments_in_both_formats_and_labels_as_pdf_and_zpl(ml):
    ids = ml.emulator.create_orders(SELLER, 2)
    with ml.api() as api:
        shipments = [api.get(f"/orders/{i}").json()["shipping"]["id"] for i in ids]
        new = api.get(f"/shipments/{shipments[0]}", headers={"x-format-new": "true"}).json()
        legacy = api.get(f"/shipments/{shipments[0]}").json()
        assert new["destination"]["shipping_address"]["zip_code"] and "receiver_address" not in new
        assert "receiver_address" in legacy and "destination" not in legacy
        assert (new["status"], new["substatus"], new["mode"]) == ("ready_to_ship", "ready_to_print", "me2")
        pdf = api.get(
            "/shipment_labels", params={"shipment_ids": ",".join(map(str, shipments)), "response_type": "pdf"}
        )
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF-1.4") and pdf.content.rstrip().endswith(b"%%EOF")
        assert b"/Count 2" in pdf.content
        zpl = api.get("/shipment_labels", params={"shipment_ids": str(shipments[1]), "response_type": "zpl2"})
        assert zpl.text.startswith("^XA") and zpl.text.endswith("^XZ") and str(shipments[1]) in zpl.text
        printed = api.get(f"/shipments/{shipments[0]}", headers={"x-format-new": "true"}).json()
        assert printed["substatus"] == "printed"
        httpx.post(f"{ml.url}/_sandbox/shipments/{shipments[0]}/status", json={"status": "shipped"})
        shipped = api.get(f"/shipments/{shipments[0]}", headers={"x-format-new": "true"}).json()
        assert shipped["status"] == "shipped" and shipped["tracking_number"]
        late = api.get("/shipment_labels", params={"shipment_ids": str(shipments[0])})
        assert late.status_code == 400
        assert (
            api.get(
                "/shipment_labels", params={"shipment_ids": str(shipments[1]), "response_type": "png"}
            ).status_code
            == 400
        )


def test_a_sale_sends_orders_v2_more_than_once_with_the_platform_body(ml):
    receiver = listen(ml, Receiver())
    seller = ml.emulator.seller(SELLER)
    order_id = ml.emulator.create_orders(SELLER, 1)[0]
    orders_v2 = wait_for(
        lambda: (
            [b for b in receiver.received if b["topic"] == "orders_v2"]
            if len([b for b in receiver.received if b["topic"] == "orders_v2"]) >= 2
            else None
        )
    )
    assert {b["resource"] for b in orders_v2} == {f"/orders/{order_id}"}
    assert len({b["_id"] for b in orders_v2}) == len(orders_v2)
    body = orders_v2[0]
    assert body["user_id"] == seller.id and body["application_id"] == int(SANDBOX_APP_ID)
    assert set(body) == {
        "_id",
        "resource",
        "user_id",
        "topic",
        "application_id",
        "attempts",
        "sent",
        "received",
    }
    assert body["sent"].endswith("Z")
    wait_for(lambda: any(b["topic"] == "shipments" for b in receiver.received))


def test_a_reply_slower_than_500_ms_is_retried(ml):
    receiver = listen(ml, Receiver(delay=0.8, slow_first=1), topics=["orders_v2"], orders_v2_per_change=1)
    order_id = ml.emulator.create_orders(SELLER, 1)[0]
    wait_for(lambda: len(receiver.received) >= 2)
    (note,) = wait_for(lambda: [n for n in ml.emulator.notifications.snapshot() if n["state"] == "delivered"])
    assert note["resource"] == f"/orders/{order_id}"
    first, *_, last = note["attempts"]
    assert (first["ok"], first["http_code"], last["ok"]) == (False, 200, True)
    assert first["req_time"] >= 500
    assert [b["attempts"] for b in receiver.received] == list(range(1, len(note["attempts"]) + 1))


def test_a_failing_endpoint_gets_eight_attempts_then_missed_feeds(ml):
    receiver = listen(ml, Receiver(status=500), topics=["orders_v2"], orders_v2_per_change=1)
    order_id = ml.emulator.create_orders(SELLER, 1)[0]
    wait_for(lambda: any(n["state"] == "dropped" for n in ml.emulator.notifications.snapshot()))
    assert len(receiver.received) == 8
    with ml.api() as api:
        missed = api.get("/missed_feeds", params={"app_id": SANDBOX_APP_ID, "topic": "orders_v2"}).json()
        assert api.get("/missed_feeds", params={"app_id": "1"}).status_code == 403
    (message,) = missed["messages"]
    assert message["resource"] == f"/orders/{order_id}" and message["attempts"] == 8
    assert message["response"]["http_code"] == 500
    assert json.loads(message["request"]["data"])["resource"] == f"/orders/{order_id}"


def test_an_endpoint_that_keeps_failing_has_its_topics_disabled(ml):
    receiver = listen(ml, Receiver(status=503), fallback_after_failures=5, orders_v2_per_change=1)
    ml.emulator.create_orders(SELLER, 2)
    wait_for(lambda: ml.emulator.notifications.fallen_back)
    count = len(receiver.received)
    ml.emulator.create_orders(SELLER, 1)
    time.sleep(0.3)
    assert len(receiver.received) == count
    receiver.status = 200
    httpx.post(f"{ml.url}/_sandbox/app", json={"topics": ["orders_v2"]})
    order_id = ml.emulator.create_orders(SELLER, 1)[0]
    wait_for(lambda: any(b["resource"] == f"/orders/{order_id}" for b in receiver.received))


def test_the_autopilot_sells_and_moves_shipments(ml):
    seller = ml.emulator.seller(SELLER)
    for _ in range(6):
        ml.emulator.autopilot_step(SELLER)
    assert seller.orders
    statuses = {s["status"] for s in seller.shipments.values()}
    assert statuses & {"shipped", "delivered", "cancelled"}
