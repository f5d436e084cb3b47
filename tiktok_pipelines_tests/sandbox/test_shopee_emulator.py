"""The Shopee emulator's gate: signatures per API type, the timestamp window, the envelope and the
reference's errors, shop authorization and tokens, "Too many requests" and injected faults. Every call is
signed by the test's own HMAC (shopee_support), never by the emulator's or the project's code."""

import time

import httpx
import pytest

from tiktok_pipelines.sandbox.server import ServerThread
from tiktok_pipelines.sandbox.shopee import EmulatorConfig, base_string, push_authorization, sign
from tiktok_pipelines.sandbox.shopee.signing import ApiType
from tiktok_pipelines.sandbox.world import DEMO_SHOPEE_SHOP_ID, SandboxConfig, SandboxWorld
from tiktok_pipelines_tests.sandbox.shopee_support import SHOP_ID, Caller, hmac_hex, served

SHOP_INFO = "/api/v2/shop/get_shop_info"


# ---------------------------------------------------------------- the reference's vectors (§2, §7)
PUSH_BODY = (
    b'{"data":{"items":[],"ordersn":"220810QSK8S7BX","status":"PROCESSED","completed_scenario":"",'
    b'"update_time":1660123127},"shop_id":727720655,"code":3,"timestamp":1660123127}'
)


@pytest.mark.parametrize(
    ("api_type", "path", "token", "owner", "base", "expected"),
    [
        (
            ApiType.SHOP,
            "/api/v2/shop/get_shop_info",
            "59777174636562737266615546704c6d",
            14701711,
            "2001887/api/v2/shop/get_shop_info165571443159777174636562737266615546704c6d14701711",
            "9fdae5aeed86e753249982ec04aa54339280f12d3f456b9e3f7d8ee91e66a2b3",
        ),
        (
            ApiType.PUBLIC,
            "/api/v2/public/get_shops_by_partner",
            "",
            "",
            "2001887/api/v2/public/get_shops_by_partner1655714431",
            "bfd95b21eda3ed2c80e9373e8c0ce80bdc39b2dc02e4c6dc19e1413c75f8ab09",
        ),
    ],
)
def test_the_emulators_verifier_reproduces_the_reference_vectors(
    api_type, path, token, owner, base, expected
):
    assert base_string(api_type, 2001887, path, 1655714431, token, owner) == base
    assert sign("test_partner_key", base) == expected


def test_the_push_signature_reproduces_the_reference_vector():
    assert push_authorization("test_partner_key", "https://example.com/shopee/push", PUSH_BODY) == (
        "d5c9433cebab96931b2257dc00a1004bb51022b66e3076c15ce39df581801c43"
    )


# ---------------------------------------------------------------- the gate
def test_a_shop_call_signed_as_the_reference_says_is_answered_in_the_envelope():
    with served() as (_emu, api):
        api.authorize()
        response = api.shop("GET", SHOP_INFO)
        body = response.json()
        assert response.status_code == 200
        assert body["error"] == "" and body["message"] == "" and len(body["request_id"]) == 32
        assert body["shop_name"] == "Loja Demo" and body["region"] == "BR"
        products = api.shop("GET", "/api/v2/product/get_category").json()
        assert set(products) >= {"request_id", "error", "message", "warning", "response"}
        assert products["response"]["category_list"]


def refused(api, change):
    """The answer to get_shop_info with one thing about the call changed from what the reference says."""
    now = int(time.time())
    params = api.common(SHOP_INFO, ("shop_id", SHOP_ID))
    if change in ("stale", "future"):
        params = api.common(SHOP_INFO, ("shop_id", SHOP_ID), ts=now - 301 if change == "stale" else now + 301)
    elif change == "bad_sign":
        params["sign"] = "0" * 64
    elif change == "uppercase_sign":
        params["sign"] = params["sign"].upper()
    elif change == "public_sign_on_shop_call":
        params["sign"] = hmac_hex(api.key, f"{api.partner_id}{SHOP_INFO}{params['timestamp']}")
    elif change == "other_partner":
        params["partner_id"] = 999
    elif change == "unknown_token":
        params = api.common(SHOP_INFO, ("shop_id", SHOP_ID), token="f" * 32)
    elif change == "unknown_shop":
        params = api.common(SHOP_INFO, ("shop_id", 123))
    else:  # a parameter left out
        del params[change.removeprefix("no_")]
    response = api.http.get(SHOP_INFO, params=params)
    body = response.json()
    assert "response" not in body and body["request_id"]
    return response.status_code, body["error"], body["message"]


@pytest.mark.parametrize("change", ["bad_sign", "uppercase_sign", "public_sign_on_shop_call"])
def test_a_wrong_sign_is_refused(change):
    with served() as (_, api):
        api.authorize()
        assert refused(api, change) == (403, "error_sign", "Wrong sign.")


@pytest.mark.parametrize(
    ("change", "message"),
    [("stale", "Invalid timestamp"), ("future", "Invalid timestamp"), ("no_timestamp", "no timestamp")],
)
def test_a_timestamp_out_of_the_five_minute_window_is_refused(change, message):
    with served() as (_, api):
        api.authorize()
        assert refused(api, change) == (400, "error_param", message)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("no_sign", "There is no sign in query."),
        ("no_access_token", "There is no access_token in query."),
        ("no_partner_id", "There is no partner_id in query."),
        ("other_partner", "Invalid partner_id."),
    ],
)
def test_a_missing_common_parameter_is_refused(change, message):
    with served() as (_, api):
        api.authorize()
        assert refused(api, change) == (400, "error_param", message)


def test_a_token_or_shop_the_partner_was_not_given_is_refused():
    with served() as (_, api):
        api.authorize()
        assert refused(api, "unknown_token") == (403, "error_auth", "Invalid access_token.")
        assert refused(api, "unknown_shop") == (403, "error_shop", "shopid is invalid")


def test_a_timestamp_within_five_minutes_either_way_is_accepted():
    with served() as (_emu, api):
        api.authorize()
        now = int(time.time())
        for ts in (now - 290, now + 290):
            assert api.ok(api.shop("GET", SHOP_INFO, ts=ts))["shop_name"] == "Loja Demo"


def test_http_statuses_are_configurable_and_the_error_string_stays():
    config = EmulatorConfig()
    config.http_status["error_sign"] = 400
    with served(config) as (_emu, api):
        params = api.common("/api/v2/public/get_shops_by_partner")
        params["sign"] = "1" * 64
        response = api.http.get("/api/v2/public/get_shops_by_partner", params=params)
        assert response.status_code == 400 and response.json()["error"] == "error_sign"


def test_unknown_paths_and_methods_are_refused():
    with served() as (_emu, api):
        assert api.public("GET", "/api/v2/product/no_such_api").json()["error"] == "error_not_found"
        wrong_method = api.public("GET", "/api/v2/auth/token/get").json()
        assert wrong_method["error"] == "error_param"


# ---------------------------------------------------------------- authorization and tokens
def test_consent_redirects_with_code_and_shop_id_and_the_code_is_single_use():
    with served() as (_emu, api):
        params = api.consent()
        assert params["shop_id"] == str(SHOP_ID) and len(params["code"]) == 32
        exchange = {"code": params["code"], "partner_id": api.partner_id, "shop_id": SHOP_ID}
        wrong_shop = api.public("POST", "/api/v2/auth/token/get", json=exchange | {"shop_id": 5}).json()
        assert wrong_shop["error"] == "invalid_shop_id"
        first = api.ok(api.public("POST", "/api/v2/auth/token/get", json=exchange))
        assert first["expire_in"] == 14400 and "response" not in first
        assert {"access_token", "refresh_token", "request_id"} <= set(first)
        again = api.public("POST", "/api/v2/auth/token/get", json=exchange).json()
        assert again["error"] == "invalid_code"
        assert again["message"] == "The code is expired or used or invalid, please check the code."


def test_an_unsigned_or_stale_authorization_link_is_refused():
    with served() as (_emu, api):
        params = api.common("/api/v2/shop/auth_partner", ts=int(time.time()) - 400) | {
            "redirect": "https://x.test/cb"
        }
        assert api.http.get("/api/v2/shop/auth_partner", params=params).json()["error"] == "error_param"
        params = api.common("/api/v2/shop/auth_partner") | {"redirect": "https://x.test/cb", "sign": "0" * 64}
        assert api.http.get("/api/v2/shop/auth_partner", params=params).json()["error"] == "error_sign"


def test_a_code_lives_ten_minutes():
    with served(EmulatorConfig(auth_code_ttl=0.2)) as (_emu, api):
        params = api.consent()
        time.sleep(0.3)
        body = {"code": params["code"], "partner_id": api.partner_id, "shop_id": SHOP_ID}
        assert api.public("POST", "/api/v2/auth/token/get", json=body).json()["error"] == "invalid_code"


def test_a_refresh_rotates_the_pair_and_only_the_newest_refresh_token_works():
    with served() as (_emu, api):
        first = api.authorize()
        renewed = api.ok(api.refresh())
        assert renewed["shop_id"] == SHOP_ID and renewed["partner_id"] == api.partner_id
        assert renewed["refresh_token"] != first["refresh_token"] and renewed["expire_in"] == 14400
        used = api.refresh(first["refresh_token"]).json()
        assert (used["error"], used["message"]) == ("error_param", "Invalid refresh_token.")
        api.ok(api.refresh(renewed["refresh_token"]))
        stale = api.refresh(renewed["refresh_token"]).json()
        assert stale["error"] == "error_param"


def test_the_old_access_token_works_five_minutes_after_a_refresh_then_stops():
    with served(EmulatorConfig(old_access_token_grace_s=0.5)) as (_emu, api):
        old = api.authorize()["access_token"]
        new = api.ok(api.refresh())["access_token"]
        assert api.ok(api.shop("GET", SHOP_INFO, token=old))["shop_name"] == "Loja Demo"
        time.sleep(0.6)
        refused = api.shop("GET", SHOP_INFO, token=old).json()
        assert (refused["error"], refused["message"]) == ("error_auth", "Invalid access_token.")
        assert api.ok(api.shop("GET", SHOP_INFO, token=new))["shop_name"] == "Loja Demo"


def test_an_access_token_lives_four_hours_and_a_refresh_token_thirty_days():
    with served() as (emu, api):
        api.authorize()
        grant = emu.access_grants[api.access_token]
        assert grant.expires_at - time.time() == pytest.approx(4 * 3600, abs=5)
        assert emu.refresh_grants[api.refresh_token].expires_at - time.time() == pytest.approx(
            30 * 86400, abs=5
        )
        emu.expire_tokens(SHOP_ID, "access")
        assert api.shop("GET", SHOP_INFO).json()["error"] == "error_auth"
        emu.expire_tokens(SHOP_ID, "refresh")
        assert api.refresh().json()["error"] == "refresh_token_expired"


def test_a_main_account_pair_serves_every_shop_until_each_refreshes_its_own():
    with served(demo_shop=False) as (emu, api):
        emu.add_shop(701, "A", merchant_id=9001, main_account_id=55, auto_consent=True)
        emu.add_shop(702, "B", merchant_id=9001, main_account_id=55)
        params = api.common("/api/v2/shop/auth_partner") | {
            "redirect": "https://x.test/cb",
            "_main_account_id": 55,
        }
        location = api.http.get("/api/v2/shop/auth_partner", params=params).headers["location"]
        assert "main_account_id=55" in location and "shop_id" not in location
        code = location.split("code=")[1].split("&")[0]
        body = api.ok(
            api.public(
                "POST",
                "/api/v2/auth/token/get",
                json={"code": code, "partner_id": api.partner_id, "main_account_id": 55},
            )
        )
        assert sorted(body["shop_id_list"]) == [701, 702] and body["merchant_id_list"] == [9001]
        api.access_token, shared = body["access_token"], body["refresh_token"]
        for shop_id in (701, 702):
            assert api.ok(api.shop("GET", SHOP_INFO, shop_id=shop_id))["shop_name"] in ("A", "B")
        assert api.ok(api.merchant("GET", "/api/v2/merchant/get_merchant_info", 9001))["merchant_name"]
        api.ok(api.refresh(shared, shop_id=701))
        assert api.refresh(shared, shop_id=701).json()["error"] == "error_param"
        api.ok(api.refresh(shared, shop_id=702))
        api.ok(api.refresh(shared, merchant_id=9001))


def test_the_authorization_expiry_is_shown_warned_and_then_refuses_the_shop():
    with served() as (emu, api):
        api.authorize()
        info = api.ok(api.shop("GET", SHOP_INFO))
        assert info["expire_time"] - info["auth_time"] == pytest.approx(365 * 86400, abs=5)
        emu.set_authorization_expiry(SHOP_ID, int(time.time()) + 1)
        assert emu.shops[SHOP_ID].expiry_warned
        time.sleep(1.2)
        assert api.shop("GET", SHOP_INFO).json()["error"] == "error_auth"
        assert api.refresh().json()["error"] == "shop_access_expired"


# ---------------------------------------------------------------- throttling and faults
def test_too_many_requests_beyond_the_limit_per_shop():
    with served(EmulatorConfig(rate_limit_per_second=3)) as (_emu, api):
        api.authorize()
        answers = [api.shop("GET", SHOP_INFO) for _ in range(6)]
        throttled = [a for a in answers if a.json()["error"]]
        assert throttled, [a.json() for a in answers]
        assert {(a.status_code, a.json()["error"], a.json()["message"]) for a in throttled} == {
            (429, "error_server", "Too many requests, please try again later")
        }
        time.sleep(1.0)
        assert api.ok(api.shop("GET", SHOP_INFO))


def test_switches_throttle_and_inject_errors():
    with served() as (emu, api):
        api.authorize()
        emu.switches.throttle_burst = 2
        assert [api.shop("GET", SHOP_INFO).json()["error"] for _ in range(3)] == [
            "error_server",
            "error_server",
            "",
        ]
        api.http.post("/_sandbox/switches", json={"error_rate": 1.0})
        failed = api.shop("GET", SHOP_INFO)
        assert failed.status_code == 500 and failed.json()["error"] == "error_server"
        api.http.post("/_sandbox/switches", json={"error_rate": 0.0})
        assert api.ok(api.shop("GET", SHOP_INFO))
        stats = api.http.get("/_sandbox/stats").json()
        assert stats["answers"]["GET /api/v2/shop/get_shop_info"]["error_server"] == 3


def test_the_sandbox_world_serves_the_shopee_emulator_with_the_demo_seller():
    world = SandboxWorld(SandboxConfig.on_free_ports(products=4))
    app = next(s for s in world.apps() if s.name == "shopee")
    assert app.port == world.config.shopee_port and SandboxConfig().shopee_port == 8708
    with ServerThread(app.app, port=app.port), httpx.Client(base_url=world.urls()["shopee"]) as http:
        assert http.get("/health").json()["shops"] == [DEMO_SHOPEE_SHOP_ID]
        assert Caller(http).consent()["shop_id"] == str(DEMO_SHOPEE_SHOP_ID)
