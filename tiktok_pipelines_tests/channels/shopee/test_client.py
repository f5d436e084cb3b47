"""The Shopee client: the reference's signing vectors as tests of this code (written apart from the
emulator's verifier), and its calls against the strict emulator: each refusal turned into the channel
error lanes catch, by the `error` string; throttling retried with backoff, each attempt signed anew."""

import time

import pytest

from tiktok_pipelines.channels.base.errors import (
    ChannelAuthError,
    ChannelNotFoundError,
    ChannelRefusedError,
    ChannelRequestError,
    ChannelRetryableError,
)
from tiktok_pipelines.channels.shopee.client import (
    PUBLIC,
    ShopeeClient,
    error_of,
    push_signature,
    push_signature_matches,
    signature,
)
from tiktok_pipelines.http import RetryPolicy
from tiktok_pipelines.sandbox.shopee import SANDBOX_PARTNER_ID, SANDBOX_PARTNER_KEY
from tiktok_pipelines_tests.sandbox.shopee_support import SHOP_ID, Receiver, served, wait_for

FAST = RetryPolicy(attempts=3, initial=0.01, maximum=0.02)


def test_the_signature_reproduces_the_reference_vectors():
    assert (
        signature(
            "test_partner_key",
            2001887,
            "/api/v2/shop/get_shop_info",
            1655714431,
            "59777174636562737266615546704c6d" + "14701711",
        )
        == "9fdae5aeed86e753249982ec04aa54339280f12d3f456b9e3f7d8ee91e66a2b3"
    )
    assert signature("test_partner_key", 2001887, "/api/v2/public/get_shops_by_partner", 1655714431) == (
        "bfd95b21eda3ed2c80e9373e8c0ce80bdc39b2dc02e4c6dc19e1413c75f8ab09"
    )


PUSH_BODY = (
    b'{"data":{"items":[],"ordersn":"220810QSK8S7BX","status":"PROCESSED","completed_scenario":"",'
    b'"update_time":1660123127},"shop_id":727720655,"code":3,"timestamp":1660123127}'
)


def test_the_push_signature_reproduces_the_reference_vector_and_refuses_a_changed_byte():
    url = "https://example.com/shopee/push"
    expected = "d5c9433cebab96931b2257dc00a1004bb51022b66e3076c15ce39df581801c43"
    assert push_signature("test_partner_key", url, PUSH_BODY) == expected
    assert push_signature_matches("test_partner_key", url, PUSH_BODY, expected)
    assert not push_signature_matches(
        "test_partner_key", url, PUSH_BODY.replace(b"PROCESSED", b"CANCELLED"), expected
    )
    assert not push_signature_matches("test_partner_key", url + "/", PUSH_BODY, expected)
    assert not push_signature_matches("test_partner_key", url, PUSH_BODY, None)


def test_the_emulators_pushes_verify_with_this_code():
    with served() as (emu, _), Receiver("ok") as receiver:
        emu.config.push_url = receiver.url
        emu.consent(shop_id=SHOP_ID)
        wait_for(lambda: receiver.received)
        headers, body = receiver.received[0]
        assert push_signature_matches(SANDBOX_PARTNER_KEY, receiver.url, body, headers["authorization"])


@pytest.mark.parametrize(
    ("error", "message", "kind"),
    [
        ("error_auth", "Invalid access_token.", ChannelAuthError),
        ("error_sign", "Wrong sign.", ChannelAuthError),
        ("refresh_token_expired", "", ChannelAuthError),
        ("error_server", "Too many requests, please try again later", ChannelRetryableError),
        ("error_server", "System error, please try again later.", ChannelRetryableError),
        ("error_not_found", "Wrong parameters, detail: order_sn X not found.", ChannelNotFoundError),
        ("product.error_item_not_found", "Item 1 is not found.", ChannelNotFoundError),
        ("product.error_param", "mandatory attribute 100010 is missing.", ChannelRefusedError),
        ("error_cannot_update_price_in_promotion", "", ChannelRefusedError),
        ("error_param", "Invalid timestamp", ChannelRequestError),
    ],
)
def test_a_refusal_is_the_channel_error_its_error_string_says(error, message, kind):
    exc = error_of(error, message, "rid")
    assert isinstance(exc, kind) and exc.code == error and exc.request_id == "rid"


def shop_client(emu, api, **kw):
    return ShopeeClient(
        SANDBOX_PARTNER_ID,
        SANDBOX_PARTNER_KEY,
        emu.config.base_url,
        shop_id=SHOP_ID,
        access_token=lambda: api.access_token,
        retry=FAST,
        **kw,
    )


def test_shop_and_public_calls_are_signed_as_the_platform_checks():
    with served() as (emu, api):
        api.authorize()
        with shop_client(emu, api) as client:
            assert client.call("GET", "/api/v2/shop/get_shop_info")["shop_name"] == "Loja Demo"
            assert client.response("GET", "/api/v2/product/get_category")["category_list"]
            partner = client.call("GET", "/api/v2/public/get_shops_by_partner", api_type=PUBLIC)
            assert [s["shop_id"] for s in partner["authed_shop_list"]] == [SHOP_ID]
        assert "sign" not in repr(client) and SANDBOX_PARTNER_KEY not in repr(client)


def test_a_wrong_key_or_token_is_an_auth_error_and_is_not_retried():
    with served() as (emu, api):
        api.authorize()
        client = ShopeeClient(SANDBOX_PARTNER_ID, "other-key", emu.config.base_url, retry=FAST)
        with client, pytest.raises(ChannelAuthError) as refused:
            client.call("GET", "/api/v2/public/get_shops_by_partner", api_type=PUBLIC)
        assert refused.value.code == "error_sign" and client.calls == 1
        api.access_token = "0" * 32
        with shop_client(emu, api) as client, pytest.raises(ChannelAuthError, match="Invalid access_token"):
            client.call("GET", "/api/v2/shop/get_shop_info")


def test_too_many_requests_is_retried_with_backoff_and_signed_again():
    with served() as (emu, api):
        api.authorize()
        emu.switches.throttle_burst = 2
        with shop_client(emu, api) as client:
            assert client.call("GET", "/api/v2/shop/get_shop_info")["shop_name"] == "Loja Demo"
            assert (client.calls, client.retries) == (3, 2)
            emu.switches.throttle_rate = 1.0
            with pytest.raises(ChannelRetryableError, match="Too many requests"):
                client.call("GET", "/api/v2/shop/get_shop_info")
        assert emu.stats()["http_429"] == 5


def test_a_clock_outside_the_five_minute_window_is_refused_by_the_platform():
    with served() as (emu, api):
        api.authorize()
        with (
            shop_client(emu, api, clock=lambda: time.time() - 600) as client,
            pytest.raises(ChannelRequestError) as refused,
        ):
            client.call("GET", "/api/v2/shop/get_shop_info")
        assert refused.value.message == "Invalid timestamp"


def test_refusals_of_data_and_missing_objects_keep_their_class():
    with served() as (emu, api):
        api.authorize()
        with shop_client(emu, api) as client:
            with pytest.raises(ChannelNotFoundError):
                client.call("GET", "/api/v2/product/get_model_list", params={"item_id": 1})
            with pytest.raises(ChannelRefusedError):
                client.call(
                    "POST",
                    "/api/v2/product/add_item",
                    json={
                        "item_name": "x",
                        "description": "x",
                        "original_price": 0,
                        "weight": 1.0,
                        "category_id": 1,
                        "image": {"image_id_list": []},
                        "logistic_info": [],
                    },
                )
            with pytest.raises(ChannelRequestError):
                client.call("GET", "/api/v2/product/get_item_list", params={"offset": 0})
