"""Renewal of single-use refresh tokens serialized in the state DB: callers in two processes (two
connections to one state DB) and several threads renewing a Shopee shop's tokens at once make one refresh
on the platform (the strict emulator, which refuses a used refresh token), all get the new pair, and the
newest pair is what is stored, so the seller stays connected. On SQLite and PostgreSQL."""

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tiktok_pipelines.channels.base.errors import ChannelRetryableError
from tiktok_pipelines.channels.shopee.auth import ShopeeApp, ShopeeAuth, callback_code
from tiktok_pipelines.core.names import ChannelName
from tiktok_pipelines.sandbox.shopee import SANDBOX_PARTNER_ID, SANDBOX_PARTNER_KEY
from tiktok_pipelines.stores.channel_tokens import ChannelTokenStore, channel_tokens
from tiktok_pipelines.stores.db import StateDB, utcnow
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.sandbox.shopee_support import SHOP_ID, served
from tiktok_pipelines_tests.stores.test_registry import FIELDS

pytestmark = pytest.mark.each_database

CLIENT = FIELDS["client_id"]
REFRESH = "POST /api/v2/auth/access_token/get"


@pytest.fixture
def authorized(registry, state_db):
    """The client's Shopee shop authorized on a fresh emulator: (emulator, auth, store)."""
    registry.add(build_client(**FIELDS))
    with served() as (emu, _):
        auth = ShopeeAuth(ShopeeApp(SANDBOX_PARTNER_ID, SANDBOX_PARTNER_KEY, emu.config.base_url))
        store = ChannelTokenStore(state_db, ChannelName.SHOPEE)
        store.save_tokens(CLIENT, auth.exchange_code(callback_code(emu.consent(shop_id=SHOP_ID))))
        yield emu, auth, store


def slowly(refresh):
    """`refresh` taking a while, so that concurrent renewals overlap."""

    def slow(grant):
        time.sleep(0.3)
        return refresh(grant)

    return slow


def test_concurrent_renewals_in_two_processes_refresh_once_and_keep_the_newest_pair(authorized, state_db):
    emu, auth, store = authorized
    other_process = StateDB(state_db.url, state_db.secrets)
    stores = [store, ChannelTokenStore(other_process, ChannelName.SHOPEE)]
    results, errors = [], []

    def renew(i):
        try:
            results.append(stores[i % 2].renew(CLIENT, slowly(auth.refresh_grant)))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=renew, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other_process.dispose()
    assert errors == []
    assert emu.stats()["calls"][REFRESH] == 1
    assert len({g.access_token.get_secret_value() for g in results}) == 1
    stored = store.get_tokens(CLIENT)
    assert stored.refresh_token.get_secret_value() == emu.newest_refresh[("shop", SHOP_ID)]
    store.renew(CLIENT, auth.refresh_grant)  # still connected
    assert emu.stats()["calls"][REFRESH] == 2


def test_a_lease_left_by_a_dead_renewal_runs_out_and_is_claimed_again(authorized, state_db):
    _emu, auth, store = authorized
    with state_db.begin() as conn:
        conn.execute(
            channel_tokens.update().values(
                renewing_by="dead", renewing_until=utcnow() + timedelta(seconds=0.3)
            )
        )
    fresh = store.renew(CLIENT, auth.refresh_grant)
    assert store.get_tokens(CLIENT).access_token.get_secret_value() == fresh.access_token.get_secret_value()
    with state_db.read() as conn:
        assert conn.execute(sa.select(channel_tokens.c.renewing_by)).scalar() is None


def test_a_failed_renewal_releases_the_lease_and_keeps_the_pair(authorized):
    emu, auth, store = authorized
    before = store.get_tokens(CLIENT)
    emu.switches.error_rate = 1.0
    with pytest.raises(ChannelRetryableError):
        store.renew(CLIENT, auth.refresh_grant, wait=timedelta(seconds=1))
    emu.switches.error_rate = 0.0
    assert store.get_tokens(CLIENT).refresh_token == before.refresh_token
    assert store.renew(CLIENT, auth.refresh_grant).refresh_token != before.refresh_token


def test_a_caller_whose_token_was_refused_gets_the_pair_someone_else_renewed(authorized):
    emu, auth, store = authorized
    old = store.get_tokens(CLIENT).access_token.get_secret_value()
    fresh = store.renew(CLIENT, auth.refresh_grant)
    again = store.renew(CLIENT, auth.refresh_grant, rejected_access_token=old)
    assert again.access_token == fresh.access_token
    assert emu.stats()["calls"][REFRESH] == 1
