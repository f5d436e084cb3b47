"""Authorization of a Shopee shop against the strict emulator: the signed link and its redirect with the
code, the shop and the state; the code exchange; renewal with the newest refresh token (the old one then
refused, as the seller must then authorize again); the shop and its authorization's end."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tiktok_pipelines.channels.base.errors import ChannelAuthError, ChannelError
from tiktok_pipelines.channels.shopee.auth import ShopeeApp, ShopeeAuth, callback_code
from tiktok_pipelines.sandbox.shopee import SANDBOX_PARTNER_ID, SANDBOX_PARTNER_KEY
from tiktok_pipelines.settings import ConfigError
from tiktok_pipelines_tests.sandbox.shopee_support import SHOP_ID, served

CALLBACK = "https://receiver.example.com/oauth/shopee/callback"


def auth_of(emu):
    app = ShopeeApp(SANDBOX_PARTNER_ID, SANDBOX_PARTNER_KEY, emu.config.base_url, CALLBACK, retry_attempts=1)
    return ShopeeAuth(app)


def consent(auth, state="st-1"):
    location = httpx.get(auth.authorization_url(state), follow_redirects=False).headers["location"]
    assert location.startswith(CALLBACK)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_the_link_sends_the_seller_back_with_code_shop_and_state_and_the_code_becomes_a_grant():
    with served() as (emu, _):
        auth = auth_of(emu)
        params = consent(auth)
        assert params["state"] == "st-1" and params["shop_id"] == str(SHOP_ID)
        grant = auth.exchange_code(callback_code(params))
        assert grant.open_id == f"shop:{SHOP_ID}"
        now = datetime.now(UTC)
        assert grant.access_token_expires_at - now == pytest.approx(
            timedelta(hours=4), abs=timedelta(seconds=5)
        )
        assert grant.refresh_token_expires_at - now == pytest.approx(
            timedelta(days=30), abs=timedelta(seconds=5)
        )
        assert SANDBOX_PARTNER_KEY not in repr(
            auth.app
        ) and grant.refresh_token.get_secret_value() not in repr(grant)
        with pytest.raises(ChannelAuthError) as used:
            auth.exchange_code(callback_code(params))
        assert used.value.code == "invalid_code"
        [shop] = auth.authorized_shops(grant)
        assert (shop.shop_id, shop.name, shop.region) == (str(SHOP_ID), "Loja Demo", "BR")
        assert auth.shop_warehouses(grant, shop) == []


def test_renewal_returns_a_new_pair_and_the_old_refresh_token_is_refused():
    with served() as (emu, _):
        auth = auth_of(emu)
        first = auth.exchange_code(callback_code(consent(auth)))
        second = auth.refresh_grant(first)
        assert second.refresh_token.get_secret_value() != first.refresh_token.get_secret_value()
        assert auth.authorized_shops(second)[0].shop_id == str(SHOP_ID)
        assert auth.authorized_shops(first)[0].shop_id == str(SHOP_ID)  # the old access token's grace
        with pytest.raises(ChannelAuthError) as refused:
            auth.refresh_grant(first)
        assert refused.value.message == "Invalid refresh_token."
        auth.refresh_grant(second)


def test_an_expired_refresh_token_needs_a_new_authorization_without_a_call():
    with served() as (emu, _):
        auth = auth_of(emu)
        grant = auth.exchange_code(callback_code(consent(auth)))
        calls = emu.stats()["total_calls"]
        later = ShopeeAuth(auth.app, clock=lambda: (datetime.now(UTC) + timedelta(days=31)).timestamp())
        with pytest.raises(ChannelAuthError):
            later.check_refreshable(grant)
        assert emu.stats()["total_calls"] == calls


def test_the_authorization_end_is_read_from_the_shop():
    with served() as (emu, _):
        auth = auth_of(emu)
        grant = auth.exchange_code(callback_code(consent(auth)))
        ends = auth.authorization_expiry(grant)
        assert ends - datetime.now(UTC) == pytest.approx(timedelta(days=365), abs=timedelta(seconds=5))


def test_a_main_account_code_names_its_first_shop():
    with served(demo_shop=False) as (emu, _):
        emu.add_shop(801, "A", main_account_id=77)
        emu.add_shop(802, "B", main_account_id=77)
        params = emu.consent(main_account_id=77)
        grant = ShopeeAuth(
            ShopeeApp(SANDBOX_PARTNER_ID, SANDBOX_PARTNER_KEY, emu.config.base_url)
        ).exchange_code(callback_code({k: str(v) for k, v in params.items()}))
        assert grant.open_id == "shop:801"


def test_missing_credentials_or_a_code_without_its_shop_are_refused_clearly():
    with pytest.raises(ConfigError, match="SHOPEE_PARTNER_ID"):
        ShopeeAuth(ShopeeApp(None)).authorization_url("s")
    with pytest.raises(ValueError, match="shop_id"):
        callback_code({"code": "abc"})


def test_a_renewal_refused_for_the_apps_own_key_does_not_end_the_sellers_grant():
    """Branch on Shopee's `error` string: `error_sign` (the partner key is wrong) is the app's to fix, so
    the renewal fails without the seller being asked to authorize again; a spent refresh token ends it."""
    with served() as (emu, _):
        auth = auth_of(emu)
        grant = auth.exchange_code(callback_code(consent(auth)))
        wrong_key = ShopeeAuth(
            ShopeeApp(SANDBOX_PARTNER_ID, "not-the-key", emu.config.base_url, CALLBACK, retry_attempts=1)
        )
        with pytest.raises(ChannelError) as refused:
            wrong_key.refresh_grant(grant)
        assert refused.value.code == "error_sign" and not isinstance(refused.value, ChannelAuthError)
        auth.refresh_grant(grant)
        with pytest.raises(ChannelAuthError):
            auth.refresh_grant(grant)  # its refresh token is spent: the seller must authorize again
