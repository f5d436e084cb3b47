"""The emulator rejects what the platform rejects, with the platform's codes, and answers the rest."""

import json
import threading
import time
from urllib.parse import urlencode

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tiktok_pipelines.channels.tiktok_shop.client import (
    encode_json,
    requires_shop_cipher,
    sign,
    verify_webhook_signature,
)
from tiktok_pipelines.sandbox.server import ServerThread
from tiktok_pipelines.sandbox.tiktok_shop import (
    API_ROUTES,
    SANDBOX_APP_KEY,
    SANDBOX_APP_SECRET,
    EmulatorConfig,
    TikTokShopEmulator,
    create_tiktok_app,
)
from tiktok_pipelines.sandbox.tiktok_shop.category_tree import build_category_tree


@pytest.fixture
def emulator():
    emu = TikTokShopEmulator(EmulatorConfig())
    shop = emu.add_shop("BRTEST01", "Loja Teste")
    server = ServerThread(create_tiktok_app(emu)).start()
    emu.config.base_url = server.url
    code = emu.issue_auth_code(shop.code)
    token = httpx.get(
        f"{server.url}/api/v2/token/get",
        params={
            "app_key": SANDBOX_APP_KEY,
            "app_secret": SANDBOX_APP_SECRET,
            "auth_code": code,
            "grant_type": "authorized_code",
        },
    ).json()["data"]
    emu.test_url = server.url
    emu.test_token = token
    emu.test_shop = shop
    yield emu
    server.stop()
    emu.webhooks.stop()


def call(
    emu,
    method,
    path,
    *,
    query=None,
    body=None,
    cipher=True,
    token=None,
    timestamp=None,
    secret=SANDBOX_APP_SECRET,
    app_key=SANDBOX_APP_KEY,
    tamper=None,
    content_type="application/json",
):
    params = {"app_key": app_key, "timestamp": str(int(timestamp if timestamp is not None else time.time()))}
    if cipher:
        params["shop_cipher"] = emu.test_shop.cipher
    params.update(query or {})
    raw = encode_json(body) if body is not None else None
    params["sign"] = sign(path, params, raw, secret)
    if tamper:
        tamper(params)
    headers = {"Content-Type": content_type, "x-tts-access-token": token or emu.test_token["access_token"]}
    response = httpx.request(
        method, f"{emu.test_url}{path}?{urlencode(params)}", content=raw, headers=headers
    )
    return response.status_code, response.json()


def test_a_well_formed_request_is_answered(emulator):
    status, body = call(emulator, "GET", "/logistics/202309/warehouses")
    assert status == 200 and body["code"] == 0 and body["request_id"]
    assert len([w for w in body["data"]["warehouses"] if w["type"] == "SALES_WAREHOUSE"]) == 2


def test_forged_signature_is_106001(emulator):
    status, body = call(emulator, "GET", "/logistics/202309/warehouses", secret="not-the-secret")
    assert (status, body["code"]) == (401, 106001)


def test_body_changed_after_signing_is_106001(emulator):
    path = "/product/202309/brands"
    params = {"app_key": SANDBOX_APP_KEY, "timestamp": str(int(time.time()))}
    params["sign"] = sign(path, params, encode_json({"name": "Marca A"}), SANDBOX_APP_SECRET)
    # Same data, re-serialized with spaces: not the signed bytes.
    response = httpx.post(
        f"{emulator.test_url}{path}?{urlencode(params)}",
        content=json.dumps({"name": "Marca A"}).encode(),
        headers={
            "Content-Type": "application/json",
            "x-tts-access-token": emulator.test_token["access_token"],
        },
    )
    assert response.json()["code"] == 106001


@pytest.mark.parametrize("offset", [-320, 45])
def test_stale_or_future_timestamp_is_36009004(emulator, offset):
    _status, body = call(emulator, "GET", "/logistics/202309/warehouses", timestamp=time.time() + offset)
    assert body["code"] == 36009004 and "timestamp" in body["message"].lower()


def test_timestamp_inside_the_window_passes(emulator):
    assert call(emulator, "GET", "/logistics/202309/warehouses", timestamp=time.time() - 250)[1]["code"] == 0
    assert call(emulator, "GET", "/logistics/202309/warehouses", timestamp=time.time() + 20)[1]["code"] == 0


def test_unknown_app_key_and_missing_sign(emulator):
    assert call(emulator, "GET", "/logistics/202309/warehouses", app_key="other")[1]["code"] == 36009004
    body = call(emulator, "GET", "/logistics/202309/warehouses", tamper=lambda p: p.pop("sign"))[1]
    assert body["code"] == 36009004 and "sign" in body["message"]


def test_bad_and_expired_tokens(emulator):
    assert call(emulator, "GET", "/logistics/202309/warehouses", token="TTP_forged")[1]["code"] == 36009004
    emulator.expire_tokens("BRTEST01")
    status, body = call(emulator, "GET", "/logistics/202309/warehouses")
    assert (status, body["code"]) == (401, 105002)


def test_shop_cipher_required_forbidden_and_foreign(emulator):
    assert call(emulator, "GET", "/logistics/202309/warehouses", cipher=False)[1]["code"] == 106013
    _status, body = call(emulator, "GET", "/authorization/202309/shops", cipher=True)
    assert body["code"] == 36009004 and "shop_cipher" in body["message"]
    assert call(emulator, "GET", "/authorization/202309/shops", cipher=False)[1]["code"] == 0
    other = emulator.add_shop("BROTHER1", seller_id="someone-else")

    def foreign(params):
        params["shop_cipher"] = other.cipher
        params["sign"] = sign(
            "/logistics/202309/warehouses",
            {k: v for k, v in params.items() if k != "sign"},
            None,
            SANDBOX_APP_SECRET,
        )

    assert call(emulator, "GET", "/logistics/202309/warehouses", tamper=foreign)[1]["code"] == 101000


def test_unknown_path_and_wrong_method(emulator):
    status, body = call(emulator, "GET", "/product/202309/nothing_here")
    assert (status, body["code"]) == (404, 36009009)
    status, body = call(emulator, "PATCH", "/logistics/202309/warehouses")
    assert (status, body["code"]) == (405, 36009010)


@pytest.mark.parametrize("size", ["0", "101", "abc"])
def test_page_size_bounds(emulator, size):
    body = call(emulator, "POST", "/order/202309/orders/search", query={"page_size": size}, body={})[1]
    assert body["code"] == 36009004 and "page_size" in body["message"]


def test_page_size_is_required_and_page_token_is_opaque(emulator):
    assert call(emulator, "POST", "/order/202309/orders/search", body={})[1]["code"] == 36009004
    body = call(
        emulator,
        "POST",
        "/order/202309/orders/search",
        query={"page_size": "10", "page_token": "MTA"},
        body={},
    )[1]
    assert body["code"] == 36009004 and "page_token" in body["message"]


def test_json_body_needs_json_content_type(emulator):
    body = call(
        emulator,
        "POST",
        "/order/202309/orders/search",
        query={"page_size": "10"},
        body={},
        content_type="text/plain",
    )[1]
    assert body["code"] == 36009022


def test_brand_name_taken_is_code_4000(emulator):
    body = call(emulator, "POST", "/product/202309/brands", body={"name": "nike"}, cipher=False)[1]
    assert body["code"] == 4000 and "already exists" in body["message"]


def test_rate_limit_answers_429_once_the_bucket_is_empty(emulator):
    now = [1000.0]  # the rate limits' clock stands still unless the test moves it
    emulator.monotonic = lambda: now[0]
    emulator.config.rate_limit_per_second = 5
    emulator.buckets.clear()
    answers = [call(emulator, "GET", "/logistics/202309/warehouses") for _ in range(8)]
    assert [s for s, _ in answers] == [200] * 5 + [429] * 3
    assert all(b["code"] == 36009002 for _, b in answers[5:])
    # Another endpoint of the same shop has its own budget.
    assert call(emulator, "GET", "/product/202309/categories")[0] == 200
    assert emulator.stats()["http_429"] == 3
    now[0] += 0.25  # a quarter of a second: one token back, not two
    assert [call(emulator, "GET", "/logistics/202309/warehouses")[0] for _ in range(2)] == [200, 429]


def test_burst_switch_and_error_rate(emulator):
    emulator.switches.burst_429 = 2
    assert [call(emulator, "GET", "/logistics/202309/warehouses")[0] for _ in range(3)] == [429, 429, 200]
    emulator.switches.error_rate = 1.0
    status, body = call(emulator, "GET", "/logistics/202309/warehouses")
    assert (status, body["code"]) == (500, 36009003)


def test_token_host_rules(emulator):
    url = emulator.test_url
    base = {"app_key": SANDBOX_APP_KEY, "app_secret": SANDBOX_APP_SECRET}
    code = emulator.issue_auth_code("BRTEST01")
    wrong_grant = httpx.get(
        f"{url}/api/v2/token/get", params=base | {"auth_code": code, "grant_type": "authorization_code"}
    ).json()
    assert wrong_grant["code"] == 36009004
    first = httpx.get(
        f"{url}/api/v2/token/get", params=base | {"auth_code": code, "grant_type": "authorized_code"}
    ).json()
    assert first["code"] == 0 and first["data"]["access_token"].startswith("TTP_")
    assert first["data"]["access_token_expire_in"] > time.time() + 6 * 86400
    again = httpx.get(
        f"{url}/api/v2/token/get", params=base | {"auth_code": code, "grant_type": "authorized_code"}
    ).json()
    assert again["code"] == 36004004
    refresh = first["data"]["refresh_token"]
    for grant in ("refresh_token", "authorized_code"):  # the official SDK sends the latter
        renewed = httpx.get(
            f"{url}/api/v2/token/refresh", params=base | {"refresh_token": refresh, "grant_type": grant}
        ).json()
        assert renewed["code"] == 0
    bad_secret = httpx.get(
        f"{url}/api/v2/token/refresh",
        params=base | {"app_secret": "x", "refresh_token": refresh, "grant_type": "refresh_token"},
    ).json()
    assert bad_secret["code"] == 36009004
    emulator.revoke_tokens("BRTEST01")
    revoked = httpx.get(
        f"{url}/api/v2/token/refresh", params=base | {"refresh_token": refresh, "grant_type": "refresh_token"}
    ).json()
    assert revoked["code"] == 36004004


def test_route_table_agrees_with_the_clients_cipher_rule():
    for route in API_ROUTES:
        assert requires_shop_cipher(route.method, route.template) is route.cipher, route.endpoint


def test_category_tree_is_deep_portuguese_and_has_rules():
    tree = build_category_tree()
    roots = [c for c in tree.values() if c.parent_id == "0"]
    leaves = [c for c in tree.values() if c.is_leaf]
    assert len(roots) >= 8 and len(leaves) >= 35
    assert any("ç" in c.local_name or "ã" in c.local_name for c in tree.values())
    depths = set()
    for leaf in leaves:
        depth, node = 1, leaf
        while node.parent_id != "0":
            node, depth = tree[node.parent_id], depth + 1
        depths.add(depth)
        assert leaf.attributes and leaf.rules()["package_dimension"]["is_required"]
    assert depths == {2, 3}
    assert any(leaf.rules()["product_certifications"] for leaf in leaves)
    assert all(leaf.required_attribute_ids for leaf in leaves)


def test_webhooks_are_signed_and_retried_on_the_compressed_schedule(emulator):
    received: list[tuple[float, bytes, str]] = []
    lock = threading.Lock()

    async def hook(request: Request) -> Response:
        body = await request.body()
        with lock:
            received.append((time.monotonic(), body, request.headers.get("authorization", "")))
            n = len(received)
        return Response(status_code=200 if n >= 3 else 503)

    server = ServerThread(Starlette(routes=[Route("/hook", hook, methods=["POST"])])).start()
    try:
        emulator.config.webhook_url = f"{server.url}/hook"
        emulator.config.webhook_time_factor = 0.001  # 2 min → 0.12 s, 30 min → 1.8 s
        emulator.seed_products(emulator.test_shop, _catalog(), count=3)
        started = time.monotonic()
        order_id = emulator.create_orders("BRTEST01", 1, status="UNPAID")[0]
        emulator.set_order_status(order_id, "AWAITING_SHIPMENT")
        deadline = time.monotonic() + 20  # about 2 s of schedule; the rest is for a busy machine
        while time.monotonic() < deadline and len(received) < 3:
            time.sleep(0.02)
    finally:
        server.stop()
    assert len(received) == 3
    times = [t - started for t, _, _ in received]
    assert times[1] - times[0] >= 0.1 and times[2] - times[1] >= 1.5
    for _, body, authorization in received:
        assert verify_webhook_signature(SANDBOX_APP_KEY, SANDBOX_APP_SECRET, body, authorization)
        event = json.loads(body)
        assert event["type"] == 1 and event["shop_id"] == emulator.test_shop.id
        assert event["data"] == event["data"] | {"order_id": order_id, "order_status": "AWAITING_SHIPMENT"}
    delivery = emulator.webhooks.deliveries[0]
    assert delivery.state == "delivered" and [a.get("status") for a in delivery.attempts] == [503, 503, 200]


def test_undeliverable_webhook_is_dropped_after_four_retries(emulator):
    emulator.config.webhook_url = "http://127.0.0.1:9/unreachable"
    emulator.config.webhook_time_factor = 0.00001
    shop = emulator.test_shop
    delivery = emulator.emit(shop, "SELLER_DEAUTHORIZATION", {"message": "bye"})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and delivery.state == "pending":
        time.sleep(0.02)
    assert delivery.state == "dropped" and len(delivery.attempts) == 5


def _catalog():
    from tiktok_pipelines.sandbox.catalog import generate_catalog

    return generate_catalog(5, seed=3)


def test_autopilot_creates_and_advances_orders(emulator):
    shop = emulator.test_shop
    assert emulator.autopilot_step(shop.code)["created"] is None  # nothing listed yet
    emulator.seed_products(shop, _catalog(), count=3)
    first = emulator.autopilot_step(shop.code)["created"]
    assert shop.orders[first]["status"] == "AWAITING_SHIPMENT"
    emulator.set_order_status(first, "AWAITING_COLLECTION")
    _, status = emulator.autopilot_step(shop.code)["moved"]
    assert status in ("IN_TRANSIT", "CANCELLED")
    response = httpx.post(
        f"{emulator.test_url}/_sandbox/autopilot", json={"shop_code": shop.code, "interval_seconds": 0.05}
    )
    assert response.json()["autopilot"] == "on"
    deadline = time.monotonic() + 20  # about 0.15 s at this pace, unless the machine is busy
    while time.monotonic() < deadline and len(shop.orders) < 5:
        time.sleep(0.05)
    httpx.post(f"{emulator.test_url}/_sandbox/autopilot", json={"enabled": False})
    assert len(shop.orders) >= 5


def test_control_routes(emulator):
    url = emulator.test_url
    assert httpx.post(f"{url}/_sandbox/switches", json={"latency_ms": 5}).json()["latency_ms"] == 5
    assert httpx.post(f"{url}/_sandbox/switches", json={"nope": 1}).status_code == 400
    created = httpx.post(f"{url}/_sandbox/shops", json={"code": "BRCTL001", "warehouses": 3}).json()
    assert len(created["warehouse_ids"]) == 3 and created["cipher"].startswith("ROW_")
    code = httpx.post(f"{url}/_sandbox/shops/BRCTL001/auth_code").json()["code"]
    assert code in emulator.auth_codes
    emulator.seed_products(emulator.shop_by_code("BRCTL001"), _catalog(), count=2)
    orders = httpx.post(
        f"{url}/_sandbox/shops/BRCTL001/orders", json={"count": 2, "status": "DELIVERED"}
    ).json()
    assert len(orders["order_ids"]) == 2
    returned = httpx.post(f"{url}/_sandbox/orders/{orders['order_ids'][0]}/return", json={}).json()
    assert returned["return_id"]
    bad = httpx.post(f"{url}/_sandbox/orders/{orders['order_ids'][1]}/status", json={"status": "UNPAID"})
    assert bad.status_code == 400
    assert httpx.post(f"{url}/_sandbox/tokens/expire", json={"shop_code": "BRTEST01"}).json()["expired"] == 1
    emulator.reset_stats()
    call(emulator, "GET", "/logistics/202309/warehouses")
    stats = httpx.get(f"{url}/_sandbox/stats").json()
    assert stats["calls"]["GET /logistics/202309/warehouses"] == 1
    assert stats["answers"]["GET /logistics/202309/warehouses"] == {"105002": 1}
    assert httpx.delete(f"{url}/_sandbox/stats").json()["total_calls"] == 0
    assert httpx.get(f"{url}/_sandbox/shops/BRCTL001").json()["orders"] == 2


def test_a_body_of_the_wrong_shape_is_a_param_error(emulator):
    body = call(emulator, "POST", "/product/202309/products", body={"title": "x", "skus": "not-a-list"})[1]
    assert body["code"] in (36009004, 12052990)
    body = call(emulator, "POST", "/product/202309/inventory/search", body={"product_ids": 5})[1]
    assert body["code"] == 36009004


# ------------------------------------------------------------------ as strict as the platform
def raw_call(emu, method, path, params, content=None, headers=None):
    """A request built by hand: `params` (pairs, already signed or not) and raw body bytes."""
    query = urlencode(params)
    response = httpx.request(method, f"{emu.test_url}{path}?{query}", content=content, headers=headers or {})
    return response.status_code, response.json()


def base_params(emu, cipher=True):
    params = {"app_key": SANDBOX_APP_KEY, "timestamp": str(int(time.time()))}
    if cipher:
        params["shop_cipher"] = emu.test_shop.cipher
    return params


def test_the_access_token_is_read_from_the_header_only(emulator):
    path = "/logistics/202309/warehouses"
    params = base_params(emulator) | {"access_token": emulator.test_token["access_token"]}
    params["sign"] = sign(path, params, None, SANDBOX_APP_SECRET)
    status, body = raw_call(emulator, "GET", path, params, headers={"Content-Type": "application/json"})
    assert (status, body["code"]) == (401, 36009004) and "x-tts-access-token" in body["message"]
    headers = {"x-tts-access-token": emulator.test_token["access_token"]}
    assert raw_call(emulator, "GET", path, params, headers=headers)[1]["code"] == 0


def test_a_body_that_is_not_utf8_is_a_parameter_error_not_a_500(emulator):
    path = "/product/202309/brands"
    params = base_params(emulator, cipher=False) | {"sign": "0" * 64}
    headers = {"Content-Type": "application/json", "x-tts-access-token": emulator.test_token["access_token"]}
    raw = '{"name":"Marca Açaí"}'.encode("latin-1")
    status, body = raw_call(emulator, "POST", path, params, content=raw, headers=headers)
    assert (status, body["code"]) == (200, 36009004) and "UTF-8" in body["message"]
    assert "marca açaí" not in emulator.brands


def test_a_repeated_query_key_is_a_parameter_error_not_a_bad_signature(emulator):
    from tiktok_pipelines.sandbox.tiktok_shop.signing import request_signature

    path = "/order/202309/orders"
    pairs = [*base_params(emulator).items(), ("ids", "576000000000000001"), ("ids", "576000000000000002")]
    pairs.append(("sign", request_signature(path, pairs, None, "application/json", SANDBOX_APP_SECRET)))
    headers = {"x-tts-access-token": emulator.test_token["access_token"]}
    status, body = raw_call(emulator, "GET", path, pairs, headers=headers)
    assert (status, body["code"]) == (200, 36009004)
    assert body["message"].startswith("invalid param error") and "`ids`" in body["message"]


def valid_product(emulator, **changes):
    from tiktok_pipelines.sandbox.tiktok_shop import seed_attributes

    leaf = emulator.categories["824330"]
    uri = emulator._store_image(b"strict", "MAIN_IMAGE", 800, 800)["uri"]
    body = {
        "title": "Camiseta Estrita",
        "description": "<p>Algodão</p>",
        "category_id": leaf.id,
        "main_images": [{"uri": uri}],
        "package_weight": {"value": "0.3", "unit": "KILOGRAM"},
        "package_dimensions": {"length": "30", "width": "20", "height": "3", "unit": "CENTIMETER"},
        "product_attributes": seed_attributes(leaf),
        "skus": [
            {
                "seller_sku": "EST-1",
                "price": {"amount": "59.90", "currency": "BRL"},
                "list_price": {"amount": "69.90", "currency": "BRL"},
                "inventory": [
                    {"warehouse_id": w, "quantity": 3} for w in emulator.test_shop.sales_warehouse_ids
                ],
            }
        ],
    }
    for change in changes.values():
        change(body)
    return body


def _set(path, value):
    def change(body):
        *parents, last = path
        target = body
        for key in parents:
            target = target[key]
        target[last] = value

    return change


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (_set(("skus", 0, "price", "amount"), 59.9), "skus[0].price.amount"),
        (_set(("skus", 0, "list_price", "amount"), 69.9), "skus[0].list_price.amount"),
        (_set(("package_weight", "value"), 0.3), "package_weight.value"),
        (_set(("package_dimensions", "height"), 3), "package_dimensions.height"),
        (_set(("idempotency_key",), "k" * 129), "idempotency_key"),
        (_set(("save_mode",), "PUBLISH"), "save_mode"),
    ],
)
def test_product_writes_refuse_what_the_platform_refuses(emulator, change, where):
    body = valid_product(emulator, change=change)
    for method, path in (
        ("POST", "/product/202309/products"),
        ("POST", "/product/202309/products/listing_check"),
    ):
        _status, answer = call(emulator, method, path, body=body)
        assert answer["code"] == 36009004, (path, answer)
        assert answer["message"].startswith("invalid param error") and f"`{where}`" in answer["message"]
    assert emulator.test_shop.products == {}


def test_the_limits_themselves_are_accepted(emulator):
    body = valid_product(
        emulator, key=_set(("idempotency_key",), "k" * 128), mode=_set(("save_mode",), "AS_DRAFT")
    )
    answer = call(emulator, "POST", "/product/202309/products", body=body)[1]
    assert answer["code"] == 0, answer
    assert emulator.test_shop.products[answer["data"]["product_id"]]["status"] == "DRAFT"


def test_edits_and_price_updates_refuse_numbers_for_amounts(emulator):
    created = call(emulator, "POST", "/product/202309/products", body=valid_product(emulator))[1]["data"]
    product_id, sku_id = created["product_id"], created["skus"][0]["id"]
    edit = valid_product(emulator, weight=_set(("package_weight", "value"), 1))
    answer = call(emulator, "PUT", f"/product/202309/products/{product_id}", body=edit)[1]
    assert answer["code"] == 36009004 and "`package_weight.value`" in answer["message"]
    partial = {"package_dimensions": {"length": 30, "width": "20", "height": "3", "unit": "CENTIMETER"}}
    answer = call(emulator, "POST", f"/product/202309/products/{product_id}/partial_edit", body=partial)[1]
    assert answer["code"] == 36009004 and "`package_dimensions.length`" in answer["message"]
    update = {"skus": [{"id": sku_id, "price": {"amount": 49.9, "currency": "BRL"}}]}
    answer = call(emulator, "POST", f"/product/202309/products/{product_id}/prices/update", body=update)[1]
    assert answer["code"] == 36009004 and "`skus[0].price.amount`" in answer["message"]
    sku = emulator.test_shop.products[product_id]["skus"][0]
    assert (
        sku["price"]["amount"] == "59.90"
        and emulator.test_shop.products[product_id]["package_weight"]["value"] == "0.3"
    )


def test_product_answers_carry_the_documented_price_and_leave_absent_objects_out(emulator):
    created = call(emulator, "POST", "/product/202309/products", body=valid_product(emulator))[1]["data"]
    product = call(emulator, "GET", f"/product/202309/products/{created['product_id']}")[1]["data"]
    assert "brand" not in product  # no brand given: left out, not null
    assert product["skus"][0]["price"] == {
        "currency": "BRL",
        "sale_price": "59.90",
        "tax_exclusive_price": "59.90",
    }
    assert product["skus"][0]["list_price"] == {"amount": "69.90", "currency": "BRL"}
    found = call(emulator, "POST", "/product/202309/products/search", query={"page_size": "10"}, body={})[1][
        "data"
    ]["products"]
    assert found[0]["skus"][0]["price"] == product["skus"][0]["price"]


def test_newer_versions_are_served_and_an_unknown_version_is_refused(emulator):
    emulator.seed_products(emulator.test_shop, _catalog(), count=2)
    order_id = emulator.create_orders("BRTEST01", 1)[0]
    product_id = next(iter(emulator.test_shop.products))
    search = {"page_size": "10"}
    assert call(emulator, "POST", "/product/202502/products/search", query=search, body={})[1]["code"] == 0
    too_many = {"seller_skus": [str(i) for i in range(11)]}
    assert call(emulator, "POST", "/product/202502/products/search", query=search, body=too_many)[1][
        "code"
    ] == (12019027)
    orders = call(emulator, "GET", "/order/202507/orders", query={"ids": order_id})[1]["data"]["orders"]
    assert [o["id"] for o in orders] == [order_id]
    partial = call(
        emulator, "POST", f"/product/202509/products/{product_id}/partial_edit", body={"title": "Novo"}
    )
    assert partial[1]["code"] == 0 and emulator.test_shop.products[product_id]["title"] == "Novo"
    status, body = call(emulator, "POST", "/product/202401/products/search", query=search, body={})
    assert (status, body["code"]) == (404, 36009014)
    status, body = call(
        emulator, "GET", f"/product/202509/products/{product_id}"
    )  # get exists in 202309 only
    assert (status, body["code"]) == (404, 36009014)
