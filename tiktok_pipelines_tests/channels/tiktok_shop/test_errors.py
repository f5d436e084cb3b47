"""Envelopes into typed errors, retries, the single refresh on 105002, batch errors and pagination,
against scripted answers (httpx.MockTransport)."""

import json
from collections.abc import Callable

import httpx
import pytest

from tiktok_pipelines.channels.tiktok_shop.client import (
    AuthError,
    BrandExistsError,
    ExpiredTokenError,
    NotFoundError,
    PriceLockedError,
    RateLimitedError,
    RequestError,
    ServerError,
    SignatureError,
    TikTokAuthClient,
    TikTokShopClient,
    TikTokTransportError,
    ValidationError,
    error_for,
    parse_versions,
)
from tiktok_pipelines.http import RetryPolicy

FAST = RetryPolicy(attempts=4, initial=0.001, maximum=0.005)


def envelope(code=0, data=None, message="success", status=200):
    body = {"code": code, "message": message, "request_id": f"req-{code}"}
    if data is not None:
        body["data"] = data
    return httpx.Response(status, json=body)


def scripted(*answers: Callable[[httpx.Request], httpx.Response] | httpx.Response):
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        answer = answers[min(len(calls) - 1, len(answers) - 1)]
        return answer(request) if callable(answer) else answer

    return httpx.MockTransport(handler), calls


def make_client(transport, token="tok", **kw) -> TikTokShopClient:
    return TikTokShopClient(
        "key",
        "secret",
        token,
        "cipher",
        base_url="https://api.test",
        transport=transport,
        retry=FAST,
        rate_limit_per_second=1000,
        **kw,
    )


@pytest.mark.parametrize(
    ("code", "message", "status", "cls"),
    [
        (105002, "Expired credentials", 401, ExpiredTokenError),
        (106001, "The signature is invalid", 401, SignatureError),
        (36009004, "Invalid timestamp", 401, AuthError),
        (36009004, "Unexpected identifier: shop_cipher", 200, RequestError),
        (36009004, "invalid param error: page_size", 200, ValidationError),
        (106013, "shop_cipher is required", 200, RequestError),
        (36009002, "Too many requests", 429, RateLimitedError),
        (36009003, "Internal error", 500, ServerError),
        (12052032, "product not found", 200, NotFoundError),
        (12019045, "price locked", 200, PriceLockedError),
        (4000, "This brand name already exists.", 200, BrandExistsError),
        (12052990, "check failed", 200, ValidationError),
        (0, "not json", 503, ServerError),
    ],
)
def test_error_classes(code, message, status, cls):
    err = error_for(code, message, request_id="r", http_status=status, method="GET", path="/x")
    assert type(err) is cls
    assert err.code == code and err.request_id == "r" and err.http_status == status
    assert str(code) in str(err) and "/x" in str(err)


@pytest.mark.parametrize(
    ("message", "cls"),
    [
        # The platform's wordings of 36009004 (common-errors page), classified by how they open.
        ("Invalid credentials. Invalid `app_key` query parameter.", AuthError),
        ("Invalid credentials. The `x-tts-access-token` header is invalid.", AuthError),
        ("Invalid credentials. The `access_token` header is invalid.", AuthError),
        ("Missing credentials. The request does not include a required signature in the query.", AuthError),
        (
            "Invalid timestamp. The value of the `timestamp` query parameter must not be earlier than 5 "
            "minutes before the current time.",
            AuthError,
        ),
        (
            "Unexpected identifier. The `shop_cipher` query parameter is not required for this request.",
            RequestError,
        ),
        ("Invalid identifier. The `shop_id` query parameter is invalid.", RequestError),
        ("Invalid API version. The `version` value is invalid or unsupported.", RequestError),
        ("invalid param error", ValidationError),
        # Parameter errors that name a token, a signature-like word or a timestamp field are still the
        # request's data refused: one item fails, not the shop's credentials.
        ("invalid param error: page_token", ValidationError),
        ("invalid param error: page_token is not a token this search issued", ValidationError),
        ("invalid param error: `idempotency_key` must be at most 128 characters, got 129", ValidationError),
        ("invalid param error: the design attribute has no value", ValidationError),
        ("invalid param error: create_time_ge is not a timestamp", ValidationError),
    ],
)
def test_36009004_is_classified_by_the_documented_message_shape(message, cls):
    assert type(error_for(36009004, message, http_status=200)) is cls


def test_a_parameter_error_on_one_item_leaves_the_others_and_the_credentials_alone():
    def answer(request):
        body = json.loads(request.content)
        if body["skus"][0]["id"] == "bad":
            return envelope(36009004, message="invalid param error: page_token")
        return envelope(0, {})

    client = make_client(httpx.MockTransport(answer))
    updates = [("p1", [{"id": "ok1"}]), ("p2", [{"id": "bad"}]), ("p3", [{"id": "ok2"}])]
    outcomes = {o.item[0]: o for o in client.update_prices_many(updates)}
    assert outcomes["p1"].ok and outcomes["p3"].ok
    assert isinstance(outcomes["p2"].error, ValidationError)
    assert not isinstance(outcomes["p2"].error, AuthError | RequestError)


def test_retries_429_5xx_and_internal_error_then_succeeds():
    transport, calls = scripted(
        envelope(36009002, message="Too many requests", status=429),
        envelope(36009003, message="internal", status=500),
        httpx.Response(502, text="bad gateway"),
        envelope(0, {"warehouses": [{"id": "1"}]}),
    )
    client = make_client(transport)
    assert client.get_warehouses() == [{"id": "1"}]
    assert len(calls) == 4
    assert client.stats.rate_limited == 1 and client.stats.retries == 3
    # each attempt is signed anew with its own timestamp
    assert all("sign" in dict(c.url.params) for c in calls)


def test_gives_up_after_the_policy_attempts():
    transport, calls = scripted(envelope(36009003, message="internal", status=500))
    with pytest.raises(ServerError):
        make_client(transport).get_warehouses()
    assert len(calls) == FAST.attempts


def test_network_errors_are_retried_and_typed():
    attempts = []

    def handler(request):
        attempts.append(request)
        if len(attempts) < 3:
            raise httpx.ConnectError("refused", request=request)
        return envelope(0, {"warehouses": []})

    client = make_client(httpx.MockTransport(handler))
    assert client.get_warehouses() == []
    assert len(attempts) == 3

    def always(request):
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(TikTokTransportError):
        make_client(httpx.MockTransport(always)).get_warehouses()


def test_business_errors_are_not_retried():
    transport, calls = scripted(envelope(12052990, message="product check failed"))
    with pytest.raises(ValidationError):
        make_client(transport).create_product({"title": "x"})
    assert len(calls) == 1


class Provider:
    def __init__(self):
        self.token = "old"
        self.refreshed_with = []

    def access_token(self):
        return self.token

    def refresh(self, rejected):
        self.refreshed_with.append(rejected)
        self.token = "new"
        return self.token


def test_expired_token_is_refreshed_once_and_the_call_retried():
    def answer(request):
        if request.headers["x-tts-access-token"] == "old":
            return envelope(105002, message="Expired credentials", status=401)
        return envelope(0, {"warehouses": []})

    transport, calls = scripted(answer)
    provider = Provider()
    client = make_client(transport, token=provider)
    assert client.get_warehouses() == []
    assert provider.refreshed_with == ["old"]
    assert [c.headers["x-tts-access-token"] for c in calls] == ["old", "new"]
    assert client.stats.refreshes == 1


def test_only_one_refresh_when_the_new_token_is_refused_too():
    transport, calls = scripted(envelope(105002, message="Expired credentials", status=401))
    provider = Provider()
    with pytest.raises(ExpiredTokenError):
        make_client(transport, token=provider).get_warehouses()
    assert provider.refreshed_with == ["old"]
    assert len(calls) == 2


def test_static_token_cannot_refresh():
    transport, _ = scripted(envelope(105002, message="Expired credentials", status=401))
    with pytest.raises(ExpiredTokenError):
        make_client(transport, token="fixed").get_warehouses()


def test_batch_item_errors_are_surfaced():
    errors = [
        {
            "code": 12019028,
            "message": "missing warehouses",
            "detail": {
                "sku_id": "s1",
                "extra_errors": [{"warehouse_id": "w2", "code": 12019028, "message": "m"}],
            },
        }
    ]
    transport, _ = scripted(envelope(0, {"errors": errors}))
    result = make_client(transport).update_inventory(
        "p1", [{"id": "s1", "inventory": [{"warehouse_id": "w1", "quantity": 3}]}]
    )
    assert not result.ok
    assert result.errors[0].code == 12019028
    assert result.errors[0].detail["sku_id"] == "s1"
    assert result.request_id == "req-0"


def test_pagination_follows_tokens_until_the_last_page():
    def answer(request):
        token = request.url.params.get("page_token")
        page = {None: ({"id": "1"}, "t1"), "t1": ({"id": "2"}, "t2"), "t2": ({"id": "3"}, "")}[token]
        return envelope(0, {"orders": [page[0]], "next_page_token": page[1], "total_count": 3})

    transport, calls = scripted(answer)
    client = make_client(transport)
    assert [o["id"] for o in client.iter_orders(page_size=1)] == ["1", "2", "3"]
    assert [c.url.params.get("page_size") for c in calls] == ["1", "1", "1"]
    first = client.search_orders(page_size=1)
    assert first.next_page_token == "t1" and first.total_count == 3


def test_order_details_are_fetched_50_ids_at_a_time():
    def answer(request):
        ids = request.url.params["ids"].split(",")
        return envelope(0, {"orders": [{"id": i} for i in ids]})

    transport, calls = scripted(answer)
    ids = [str(n) for n in range(120)]
    orders = make_client(transport).get_orders(ids)
    assert [o["id"] for o in orders] == ids
    assert [len(c.url.params["ids"].split(",")) for c in calls] == [50, 50, 20]


def test_create_product_gets_an_idempotency_key_once():
    transport, calls = scripted(envelope(36009003, status=500, message="x"), envelope(0, {"product_id": "1"}))
    make_client(transport).create_product({"title": "t"})
    keys = {json.loads(c.content)["idempotency_key"] for c in calls}
    assert len(keys) == 1 and all(keys)


def test_versions_are_configurable():
    transport, calls = scripted(envelope(0, {"orders": []}))
    client = make_client(transport, versions=parse_versions("order=202507"))
    client.get_orders(["1"])
    assert calls[0].url.path == "/order/202507/orders"
    with pytest.raises(ValueError):
        parse_versions("nope=202309")
    with pytest.raises(ValueError):
        parse_versions("order=2023")


def test_token_host_errors_never_carry_the_secret():
    transport, calls = scripted(envelope(36004004, message="Invalid auth code"))
    auth = TikTokAuthClient(
        "key", "very-secret-app-secret", "https://auth.test", transport=transport, retry=FAST
    )
    with pytest.raises(AuthError) as info:
        auth.get_token("ROW_secret_code")
    text = str(info.value) + repr(info.value)
    assert "very-secret-app-secret" not in text and "ROW_secret_code" not in text
    params = dict(calls[0].url.params)
    assert params["grant_type"] == "authorized_code" and params["auth_code"] == "ROW_secret_code"

    def down(request):
        raise httpx.ConnectError("refused", request=request)

    auth = TikTokAuthClient(
        "key", "very-secret-app-secret", "https://auth.test", transport=httpx.MockTransport(down), retry=FAST
    )
    with pytest.raises(TikTokTransportError) as info:
        auth.refresh_token("TTP_refresh")
    assert info.value.__cause__ is None and "TTP_refresh" not in str(info.value)


def test_deletes_are_sent_20_ids_at_a_time_and_errors_merged():
    def answer(request):
        ids = json.loads(request.content)["product_ids"]
        return envelope(
            0, {"errors": [{"code": 12052032, "message": "not found", "detail": {"product_id": ids[0]}}]}
        )

    transport, calls = scripted(answer)
    result = make_client(transport).delete_products([str(n) for n in range(45)])
    assert [len(json.loads(c.content)["product_ids"]) for c in calls] == [20, 20, 5]
    assert [e.detail["product_id"] for e in result.errors] == ["0", "20", "40"]
    assert all(c.method == "DELETE" for c in calls)
