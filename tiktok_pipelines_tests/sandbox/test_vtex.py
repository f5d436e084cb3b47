"""The VTEX emulator itself: strict like VTEX, its switches, the random walk and its notifications."""

import time
from decimal import Decimal

import httpx
import pytest

from tiktok_pipelines.core.feed import iter_feed
from tiktok_pipelines.sandbox.server import free_port
from tiktok_pipelines.sandbox.world import (
    DEMO_VTEX_APP_KEY,
    DEMO_VTEX_APP_TOKEN,
    SandboxConfig,
    SandboxWorld,
)
from tiktok_pipelines_tests.vtex.test_client import in_stock, order_for

AUTH = {"X-VTEX-API-AppKey": DEMO_VTEX_APP_KEY, "X-VTEX-API-AppToken": DEMO_VTEX_APP_TOKEN}


@pytest.fixture
def http(sandbox):
    with httpx.Client(base_url=sandbox.urls()["vtex"] + "/demostore", timeout=10) as client:
        yield client


def test_credentials_are_required_and_checked(http, sandbox):
    path = "/api/catalog_system/pvt/brand/list"
    missing = http.get(path)
    assert missing.status_code == 401 and "AppKey" in missing.json()["error"]["message"]
    wrong = http.get(path, headers={**AUTH, "X-VTEX-API-AppToken": "guess"})
    assert wrong.status_code == 401 and "guess" not in wrong.text
    lower = http.get(
        path, headers={k.lower(): v for k, v in AUTH.items()}
    )  # header names are case-insensitive
    assert lower.status_code == 200
    assert http.get("/api/catalog_system/pub/category/tree/2").status_code == 200  # public, no keys
    other = httpx.get(sandbox.urls()["vtex"] + "/nosuchstore/api/catalog_system/pvt/brand/list", headers=AUTH)
    assert other.status_code == 404
    assert http.get("/api/catalog_system/pvt/no/such/route", headers=AUTH).status_code == 404


def test_requests_are_validated_as_vtex_validates_them(http, vtex_api, sandbox):
    sku = in_stock(sandbox.demo_catalog)[0]
    inventory = f"/api/logistics/pvt/inventory/skus/{sku.sku_id}/warehouses/1_1"
    as_text = http.put(inventory, content=b'{"quantity": 3}', headers={**AUTH, "Content-Type": "text/plain"})
    assert as_text.status_code == 415
    broken = http.put(
        inventory, content=b"{quantity: 3", headers={**AUTH, "Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert http.put(inventory, json={"quantity": -1}, headers=AUTH).status_code == 400

    ids = "/api/catalog_system/pvt/sku/stockkeepingunitids"
    assert http.get(ids, params={"page": 1, "pagesize": 1001}, headers=AUTH).status_code == 400
    assert http.get(ids, params={"page": 1}, headers=AUTH).status_code == 400
    assert http.get("/api/orders/feed", params={"maxlot": 11}, headers=AUTH).status_code == 400

    three = {"basePrice": 10, "costPrice": 5, "markup": 100}
    assert http.put(f"/pricing/prices/{sku.sku_id}", json=three, headers=AUTH).status_code == 400

    order = order_for(vtex_api, "STRICT-1", [(sku, 1)]).payload()
    reais = {**order, "items": [{**order["items"][0], "price": order["items"][0]["price"] / 100}]}
    place = http.post(
        "/api/fulfillment/pvt/orders", params={"sc": "1", "affiliateId": "TTS"}, json=[reais], headers=AUTH
    )
    assert place.status_code == 400 and "cents" in place.json()["error"]["message"]
    alone = http.post(
        "/api/fulfillment/pvt/orders", params={"sc": "1", "affiliateId": "TTS"}, json=order, headers=AUTH
    )
    assert alone.status_code == 400  # the body is an array of orders
    unknown = http.post(
        "/api/fulfillment/pvt/orders", params={"sc": "1", "affiliateId": "XYZ"}, json=[order], headers=AUTH
    )
    assert unknown.status_code == 400 and "Affiliate" in unknown.json()["error"]["message"]

    placed = vtex_api.place_order(order_for(vtex_api, "STRICT-2", [(sku, 1)]))
    vtex_api.authorize_dispatch(placed.order_id, "STRICT-2")
    invoice = {
        "type": "Output",
        "invoiceNumber": "1",
        "invoiceValue": "24.99",
        "issuanceDate": "2024-06-01T10:00:00Z",
        "items": [{"id": str(sku.sku_id), "quantity": 1, "price": 2499}],
    }
    rejected = http.post(f"/api/oms/pvt/orders/{placed.order_id}/invoice", json=invoice, headers=AUTH)
    assert rejected.status_code == 400 and "cents" in rejected.json()["error"]["message"]


def test_pricing_announces_its_bucket_and_refuses_with_retry_after(http, vtex_control, sandbox):
    sku = sandbox.demo_catalog.skus()[0]
    ok = http.get(f"/pricing/prices/{sku.sku_id}", headers=AUTH)
    assert ok.status_code == 200
    assert {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"} <= set(ok.headers)
    assert int(ok.headers["Ratelimit-Remaining"]) == int(ok.headers["Ratelimit-Limit"]) - 1
    assert "ratelimit-limit" not in http.get("/api/catalog_system/pvt/brand/list", headers=AUTH).headers

    vtex_control.rate_limit("pricing-write", rate=1, burst=1)
    body = {"basePrice": 10, "costPrice": 5}
    assert http.put(f"/pricing/prices/{sku.sku_id}", json=body, headers=AUTH).status_code == 200
    refused = http.put(f"/pricing/prices/{sku.sku_id}", json=body, headers=AUTH)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1" and refused.headers["Ratelimit-Remaining"] == "0"


def test_random_walk_moves_stock_and_prices_and_broadcasts_each_change(
    vtex_api, vtex_control, sandbox, recorder
):
    vtex_control.notify_to(recorder.url + "/api/notification/")
    version = sandbox.demo_catalog.version
    changes = vtex_control.walk_step(steps=4, skus_per_step=3)
    assert len(changes) == 12
    broadcasts = recorder.bodies("/api/notification/")
    for change in changes:
        mine = [b for b in broadcasts if b["idSKU"] == str(change["skuId"])]
        assert mine and all(b["an"] == "demostore" and b["idAffiliate"] == "TTS" for b in mine)
        if "price" in change:
            assert any(b["PriceModified"] for b in mine)
        if "available" in change:
            assert any(b["StockModified"] for b in mine)
    # What VTEX answers afterwards is the walk's last word on each SKU.
    final = {}
    for change in changes:
        final.setdefault(change["skuId"], {}).update(change)
    for sku_id, change in final.items():
        if "available" in change:
            assert vtex_api.stock(sku_id).available == change["available"]
        if "price" in change:
            assert vtex_api.computed_price(sku_id).selling_price == Decimal(change["price"])
            assert sandbox.demo_catalog.sku(sku_id).price == Decimal(change["price"])  # the feed follows
    assert any("price" in c for c in changes) and sandbox.demo_catalog.version > version


def test_random_walk_is_seeded():
    def steps(seed):
        cfg = SandboxConfig(feeds_port=free_port(), vtex_port=free_port(), products=30, seed=seed)
        return SandboxWorld(cfg).vtex.accounts["demostore"].walk_step(skus_per_step=5)

    assert steps(7) == steps(7)
    assert steps(7) != steps(8)


def test_walk_runs_in_the_background_until_stopped(vtex_control):
    vtex_control.start_walk(interval=0.05, skus_per_step=1)
    status = "/_sandbox/vtex/accounts/demostore/walk/status"
    deadline = time.monotonic() + 10
    while vtex_control._call("GET", status)["steps"] < 3:
        assert time.monotonic() < deadline, vtex_control._call("GET", status)
        time.sleep(0.05)
    stopped = vtex_control.stop_walk()
    assert stopped["steps"] >= 3 and not stopped["running"]
    time.sleep(0.15)
    assert vtex_control._call("GET", status)["steps"] == stopped["steps"]


def test_stock_and_price_changes_reach_the_store_feed(vtex_api, vtex_control, sandbox):
    sku = in_stock(sandbox.demo_catalog)[0]
    feed_url = sandbox.demo_client_fields()["feed_url"]

    def feed_item():
        return next(i for i in iter_feed(httpx.get(feed_url).content) if i.seller_sku == str(sku.sku_id))

    assert feed_item().availability == "in_stock"
    vtex_api.set_inventory(sku.sku_id, "1_1", 0)
    vtex_control.set_price(sku.sku_id, "12.34", list_price="99.90")
    item = feed_item()
    assert item.availability == "out_of_stock"
    assert (item.price, item.sale_price) == (Decimal("99.90"), Decimal("12.34"))


def test_sized_image_urls_of_the_sku_context_are_served(vtex_api, sandbox):
    context = vtex_api.sku(sandbox.demo_catalog.skus()[0].sku_id)
    assert "-55-55/" in context["ImageUrl"]
    for url in (context["ImageUrl"], context["Images"][0]["ImageUrl"]):
        response = httpx.get(url)
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"


def test_window_to_cancel_ends_on_a_timer(vtex_api, vtex_control, sandbox):
    vtex_control.configure(window_to_cancel_seconds=0.3)
    skus = in_stock(sandbox.demo_catalog)
    placed = vtex_api.place_order(order_for(vtex_api, "WIN-1", [(skus[0], 1)]))
    vtex_api.authorize_dispatch(placed.order_id, "WIN-1")
    assert vtex_api.order(placed.order_id)["status"] == "window-to-cancel"
    deadline = time.monotonic() + 3
    while vtex_api.order(placed.order_id)["status"] != "ready-for-handling" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert vtex_api.order(placed.order_id)["status"] == "ready-for-handling"

    # A window long enough for the cancellation to fall within it on a busy machine.
    vtex_control.configure(window_to_cancel_seconds=2.0)
    within = vtex_api.place_order(order_for(vtex_api, "WIN-2", [(skus[1], 1)]))
    vtex_api.authorize_dispatch(within.order_id, "WIN-2")
    vtex_api.cancel_order(within.order_id, "buyer changed their mind")  # within the window
    time.sleep(2.2)  # the window's timer has gone off, and left the cancelled order as it was
    history = [h["state"] for h in vtex_control.order(within.order_id)["history"]]
    assert history[-3:] == ["window-to-cancel", "cancel", "canceled"]


def test_notifications_are_retried_then_given_up(vtex_api, vtex_control, sandbox, recorder):
    vtex_control._call(
        "POST", "/_sandbox/vtex/config", {"delivery_retries": 2, "delivery_retry_seconds": 0.02}
    )
    vtex_control.notify_to(recorder.url)
    sku = sandbox.demo_catalog.skus()[0]
    recorder.status = 503
    vtex_api.set_inventory(sku.sku_id, "1_1", 5)
    vtex_control.flush()
    (failed,) = vtex_control.deliveries("broadcast")
    assert failed["attempts"] == 3 and failed["status"] == 503 and not failed["delivered"]
    recorder.status = 200
    vtex_api.set_inventory(sku.sku_id, "1_1", 6)
    vtex_control.flush()
    delivered = vtex_control.deliveries("broadcast")[-1]
    assert delivered["delivered"] and delivered["attempts"] == 1
    assert delivered["body"]["StockModified"] and not delivered["body"]["PriceModified"]


def test_call_counters_count_every_request_and_reset(vtex_api, vtex_control, sandbox):
    vtex_api.brands()
    vtex_api.brands()
    vtex_control.fault(500, family="catalog", times=1)
    vtex_api.brands()
    assert vtex_control.count("GET", "/api/catalog_system/pvt/brand/list") == 4
    assert vtex_control.responses()["GET /api/catalog_system/pvt/brand/list 500"] == 1
    vtex_control.reset_calls()
    assert vtex_control.calls() == {}


def test_stats_show_what_each_account_received(http, sandbox):
    stats_url = sandbox.urls()["vtex"] + "/_sandbox/stats"
    httpx.delete(stats_url)
    assert http.get("/api/catalog_system/pvt/brand/list", headers=AUTH).status_code == 200
    assert http.get("/api/catalog_system/pvt/brand/list").status_code == 401
    demo = httpx.get(stats_url).json()["accounts"]["demostore"]
    assert demo["total_calls"] == 2
    assert demo["calls"] == {"GET /api/catalog_system/pvt/brand/list": 2}
    assert demo["answers"] == {
        "GET /api/catalog_system/pvt/brand/list 200": 1,
        "GET /api/catalog_system/pvt/brand/list 401": 1,
    }
    assert demo["orders"] == {} and demo["http_429"] == 0
