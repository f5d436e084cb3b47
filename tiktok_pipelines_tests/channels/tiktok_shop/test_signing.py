"""Signing exactly as the platform does (reference §1 and §4): the documented vectors, byte for byte."""

import json

import httpx
import pytest

from tiktok_pipelines.channels.tiktok_shop.client import (
    TikTokShopClient,
    encode_json,
    requires_shop_cipher,
    sign,
    verify_webhook_signature,
    webhook_signature,
)

WEBHOOK_BODY = (
    b'{"type":1,"tts_notification_id":"7380066284010030890","shop_id":"7495540735365777507",'
    b'"timestamp":1718305585,"data":{"is_on_hold_order":true,"order_id":"576653688135258178",'
    b'"order_status":"UNPAID","update_time":1718305585}}'
)


def test_worked_example_1_authorization_shops():
    query = {"app_key": "29a39d", "timestamp": "1623812664"}
    assert (
        sign("/authorization/202309/shops", query, None, "e59af819cc")
        == "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"
    )


def test_worked_example_2_plain_query():
    assert (
        sign("/test-api", {"foo": "bar"}, None, "app_secret")
        == "d3cb7fe11ecae942802ceeca67e7cf10120cc12f1517d45fbc1c8cfe5413c80f"
    )


def test_worked_example_3_body_and_cipher_are_signed():
    query = {
        "app_key": "68xu9ks5p4i8",
        "shop_cipher": "ROW_xkMbgAAAeVAQra0eZWebFQq5aIK",
        "timestamp": "1696909648",
    }
    body = encode_json({"address": "https://partner.tiktokshop.com", "event_type": "PACKAGE_UPDATE"})
    assert body == b'{"address":"https://partner.tiktokshop.com","event_type":"PACKAGE_UPDATE"}'
    assert (
        sign("/event/202309/webhooks", query, body, "e59af819cc")
        == "cd0d6268252f4ba293bf7ea4c0a2873bf9beec600d22530638564ab301435f7a"
    )


def test_sign_and_access_token_are_excluded_and_keys_sorted():
    base = sign("/p", {"b": "2", "a": "1"}, None, "s")
    assert sign("/p", {"a": "1", "b": "2", "sign": "x", "access_token": "t"}, None, "s") == base
    assert sign("/p", {"a": "1", "b": "3"}, None, "s") != base


def test_multipart_body_is_not_signed_but_json_body_is():
    assert sign("/p", {"a": "1"}, b"--boundary", "s", "multipart/form-data; boundary=x") == sign(
        "/p", {"a": "1"}, None, "s"
    )
    assert sign("/p", {"a": "1"}, b"{}", "s") != sign("/p", {"a": "1"}, None, "s")


def test_webhook_vector_and_verification():
    digest = webhook_signature("abcdef", "123", WEBHOOK_BODY)
    assert digest == "5dec0f11ec2f6783b8deee53c9ffbf8d024302f7c7e7fa55a35d17629031ac05"
    assert verify_webhook_signature("abcdef", "123", WEBHOOK_BODY, digest)
    assert verify_webhook_signature("abcdef", "123", WEBHOOK_BODY, digest.upper())
    assert not verify_webhook_signature("abcdef", "123", WEBHOOK_BODY + b" ", digest)
    assert not verify_webhook_signature("abcdef", "124", WEBHOOK_BODY, digest)
    assert not verify_webhook_signature("abcdef", "123", WEBHOOK_BODY, None)
    assert not verify_webhook_signature("abcdef", "123", WEBHOOK_BODY, "Bearer " + digest)


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/authorization/202309/shops", False),
        ("GET", "/seller/202309/shops", False),
        ("POST", "/product/202309/brands", False),
        ("GET", "/product/202309/brands", True),
        ("POST", "/product/202309/images/upload", False),
        ("POST", "/product/202309/files/upload", False),
        ("POST", "/product/202309/global_products", False),
        ("GET", "/product/202309/compliance/manufacturers", False),
        ("GET", "/logistics/202309/global_warehouses", False),
        ("GET", "/logistics/202309/warehouses", True),
        ("POST", "/product/202309/products", True),
        ("POST", "/order/202309/orders/search", True),
        ("POST", "/fulfillment/202502/invoice/upload", True),
        ("PUT", "/event/202309/webhooks", True),
    ],
)
def test_shop_cipher_scope(method, path, expected):
    assert requires_shop_cipher(method, path) is expected


def test_client_sends_exactly_the_signed_bytes_and_headers():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["request"] = request
        return httpx.Response(200, json={"code": 0, "message": "success", "request_id": "r1", "data": {}})

    client = TikTokShopClient(
        "68xu9ks5p4i8",
        "e59af819cc",
        "TTP_token",
        "ROW_xkMbgAAAeVAQra0eZWebFQq5aIK",
        base_url="https://api.test",
        clock=lambda: 1696909648,
        transport=httpx.MockTransport(handler),
    )
    client.update_webhook("https://partner.tiktokshop.com", "PACKAGE_UPDATE")
    request = seen["request"]
    assert request.method == "PUT"
    assert request.url.path == "/event/202309/webhooks"
    assert request.content == b'{"address":"https://partner.tiktokshop.com","event_type":"PACKAGE_UPDATE"}'
    params = dict(request.url.params)
    assert params["sign"] == "cd0d6268252f4ba293bf7ea4c0a2873bf9beec600d22530638564ab301435f7a"
    assert params["shop_cipher"] == "ROW_xkMbgAAAeVAQra0eZWebFQq5aIK"
    assert "access_token" not in params and "version" not in params and "shop_id" not in params
    assert request.headers["x-tts-access-token"] == "TTP_token"
    assert request.headers["content-type"] == "application/json"


def test_client_keeps_cipher_off_app_level_endpoints_and_unicode_bytes_exact():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, json={"code": 0, "message": "success", "request_id": "r", "data": {"id": "9"}}
        )

    client = TikTokShopClient(
        "k", "s", "tok", "cipher-x", base_url="https://api.test", transport=httpx.MockTransport(handler)
    )
    client.create_brand("Açaí Sports")
    request = seen[0]
    assert "shop_cipher" not in dict(request.url.params)
    assert json.loads(request.content) == {"name": "Açaí Sports"}
    assert "Açaí".encode() in request.content
    params = dict(request.url.params)
    query = {k: v for k, v in params.items() if k != "sign"}
    assert params["sign"] == sign("/product/202309/brands", query, request.content, "s")


def test_secrets_stay_out_of_reprs():
    client = TikTokShopClient("k", "app-secret-value", "TTP_secret_token", "cipher-secret")
    text = repr(client) + str(client.__dict__.get("_token"))
    for secret in ("app-secret-value", "TTP_secret_token", "cipher-secret"):
        assert secret not in text
    client.close()
