"""Onboarding from an authorization link to stored, renewed tokens, through the real callback endpoint."""

from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa

from tiktok_pipelines.channels.tiktok_shop.client import AuthError
from tiktok_pipelines.lanes.tokens import TikTokNotAuthorizedError
from tiktok_pipelines.stores.db import utcnow
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines.stores.tiktok_auth import tiktok_auth_codes, tiktok_oauth_states, tiktok_tokens


def consent(link: str) -> httpx.Response:
    return httpx.get(link, follow_redirects=True, timeout=10)


@pytest.fixture
def demo_client(sandbox, registry):
    """The demo client in the registry (no Dagster partition needed here)."""
    return registry.add(build_client(**sandbox.demo_client_fields()))


@pytest.fixture
def tiktok_client(demo_client, receiver, tiktok):
    from tiktok_pipelines_tests.conftest import authorize_through_sandbox

    return authorize_through_sandbox(tiktok, demo_client.client_id)


def test_onboarding_stores_shop_and_encrypted_tokens(demo_client, receiver, tiktok, sandbox, state_db):
    link = tiktok.authorization_link("demo")
    assert link.startswith(f"{sandbox.urls()['tiktok']}/open/authorize?service_id=")
    page = consent(link)
    assert page.status_code == 200 and "Autorização recebida" in page.text
    store = tiktok.auth_store
    [code] = store.unused_codes()
    assert code.client_id == "demo"
    with tiktok.token_manager() as manager:
        report = manager.run()
    assert report.codes_exchanged == ["demo"] and report.associated == ["demo"] and report.failures == 0
    client = tiktok.state.registry.get("demo")
    shop = sandbox.tiktok.shop_by_code("BRDEMO001")
    assert client.tiktok_shop_id == shop.id
    assert client.tiktok_shop_cipher.get_secret_value() == shop.cipher
    tokens = store.get_tokens("demo")
    assert tokens.access_token_expires_at - utcnow() > timedelta(days=6)
    assert store.code_status(code.id) == ("exchanged", None)
    # Encrypted at rest: the raw rows hold no token, code or cipher in the clear.
    secrets = [
        tokens.access_token.get_secret_value(),
        tokens.refresh_token.get_secret_value(),
        code.code.get_secret_value(),
        shop.cipher,
    ]
    with state_db.read() as conn:
        dump = " ".join(
            str(tuple(row))
            for table in (
                tiktok_tokens,
                tiktok_auth_codes,
                tiktok_oauth_states,
                sa.table("clients", sa.column("tiktok_shop_cipher_enc")),
            )
            for row in conn.execute(sa.select(sa.text("*")).select_from(table))
        )
    assert not [s for s in secrets if s in dump]
    assert client.tiktok_warehouse_ids == tuple(shop.sales_warehouse_ids)
    steps = [(e.step, e.outcome) for e in store.log_entries("demo")]
    assert steps == [
        ("code_received", "ok"),
        ("exchange_code", "ok"),
        ("fetch_shops", "ok"),
        ("associate_shop", "ok"),
        ("fetch_warehouses", "ok"),
    ]
    # and the shop client works with them
    with tiktok.shop("demo") as api:
        assert api.get_warehouses()


def test_state_is_single_use_bound_and_expiring(demo_client, receiver, tiktok, sandbox):
    link = tiktok.authorization_link("demo")
    assert consent(link).status_code == 200
    again = consent(link)  # a new code with an already used state
    assert again.status_code == 400 and "already used" in again.text
    forged = httpx.get(f"{receiver.url}/oauth/tiktok/callback", params={"code": "ROW_x", "state": "made-up"})
    assert forged.status_code == 400
    assert httpx.get(f"{receiver.url}/oauth/tiktok/callback", params={"code": "ROW_x"}).status_code == 400
    declined = httpx.get(
        f"{receiver.url}/oauth/tiktok/callback", params={"error": "access_denied", "state": "s"}
    )
    assert declined.status_code == 400
    tiktok_short = tiktok.model_copy(update={"oauth_state_ttl_minutes": -1})
    expired = consent(tiktok_short.authorization_link("demo"))
    assert expired.status_code == 400 and "expired" in expired.text
    assert len(tiktok.auth_store.unused_codes()) == 1


def test_reloading_the_callback_page_records_the_code_once(demo_client, receiver, tiktok):
    consent_answer = httpx.get(tiktok.authorization_link("demo"), follow_redirects=False)
    callback = consent_answer.headers["location"]
    assert httpx.get(callback).status_code == 200
    assert httpx.get(callback).status_code == 200
    assert len(tiktok.auth_store.unused_codes()) == 1


def test_renewal_before_expiry(tiktok_client, tiktok, sandbox):
    store = tiktok.auth_store
    before = store.get_tokens("demo")
    with tiktok.token_manager() as manager:
        assert manager.run().renewed == []  # 7 days left, window 72 h
        report = manager.run(now=before.access_token_expires_at - timedelta(hours=71))
    assert report.renewed == ["demo"]
    after = store.get_tokens("demo")
    assert after.access_token.get_secret_value() != before.access_token.get_secret_value()
    assert after.refreshed_at is not None
    assert store.log_entries("demo")[-1].step == "refresh_token"
    with tiktok.shop("demo") as api:
        assert api.get_warehouses()


def test_refresh_failure_marks_the_tiktok_grant_as_needing_authorization(tiktok_client, tiktok, sandbox):
    sandbox.tiktok.revoke_tokens("BRDEMO001")
    with tiktok.token_manager() as manager:
        report = manager.run(now=utcnow() + timedelta(days=6))
    assert report.renewal_failed and report.needs_authorization == ["demo"]
    assert tiktok.state.registry.get("demo").status == "active"  # its other channels go on
    grant = tiktok.auth_store.status("demo")
    assert grant.status == "needs_authorization" and "36004004" in grant.needs_authorization_reason
    last = tiktok.auth_store.log_entries("demo")[-2:]
    assert [(e.step, e.outcome) for e in last] == [
        ("refresh_token", "error"),
        ("needs_authorization", "error"),
    ]
    assert last[0].code == 36004004
    with pytest.raises(TikTokNotAuthorizedError, match="must authorize tiktok_shop again"):
        tiktok.shop("demo").__enter__()
    # a new authorization brings the grant back
    assert consent(tiktok.authorization_link("demo")).status_code == 200
    with tiktok.token_manager() as manager:
        assert manager.run().associated == ["demo"]
    assert tiktok.auth_store.status("demo").status == "connected"
    with tiktok.shop("demo") as api:
        assert api.get_warehouses()


def test_a_105002_after_the_grant_ended_asks_tiktok_nothing_more(tiktok_client, tiktok, sandbox):
    """Once a refresh was refused and the grant marked, the run's other calls that meet 105002 do not
    refresh again: each would be one more refused call and one more error in the token log."""
    sandbox.tiktok.revoke_tokens("BRDEMO001")
    with tiktok.token_manager() as manager:
        manager.run(now=utcnow() + timedelta(days=6))
        logged = len(tiktok.auth_store.log_entries("demo"))
        stale = tiktok.auth_store.get_tokens("demo").access_token.get_secret_value()
        for _ in range(3):
            with pytest.raises(TikTokNotAuthorizedError, match="must authorize tiktok_shop again"):
                manager.refresh_after_expiry("demo", stale)
    assert len(tiktok.auth_store.log_entries("demo")) == logged


def test_transient_refresh_failure_does_not_need_a_human(tiktok_client, tiktok, sandbox):
    down = tiktok.model_copy(update={"auth_base_url": "http://127.0.0.1:9", "retry_attempts": 1})
    with down.token_manager() as manager:
        report = manager.run(now=utcnow() + timedelta(days=6))
    assert report.renewal_failed and not report.needs_authorization
    assert tiktok.auth_store.status("demo").status == "connected"
    assert tiktok.state.registry.get("demo").status == "active"


def test_an_expired_token_is_refreshed_by_the_shop_client(tiktok_client, tiktok, sandbox):
    store = tiktok.auth_store
    before = store.get_tokens("demo").access_token.get_secret_value()
    sandbox.tiktok.expire_tokens("BRDEMO001")
    sandbox.tiktok.reset_stats()
    with tiktok.shop("demo") as api:
        assert api.get_warehouses()
        assert api.stats.refreshes == 1
        assert api.get_warehouses()  # the new token is kept
        assert api.stats.refreshes == 1
    assert store.get_tokens("demo").access_token.get_secret_value() != before
    assert sandbox.tiktok.stats()["answers"]["GET /logistics/202309/warehouses"] == {"105002": 1, "0": 2}


def test_a_grant_for_another_shop_is_not_accepted(demo_client, receiver, tiktok, sandbox):
    sandbox.tiktok.add_shop("BROTHER99", seller_id="another-seller")
    link = tiktok.authorization_link("demo")
    link += "&shop_code=BROTHER99"  # the sandbox consent lets a test choose which seller approves
    assert consent(link).status_code == 200
    with tiktok.token_manager() as manager:
        report = manager.run()
    assert report.needs_authorization == ["demo"] and report.associated == []
    assert tiktok.auth_store.get_tokens("demo") is None
    assert tiktok.state.registry.get("demo").tiktok_shop_id is None
    assert "BROTHER99" in tiktok.auth_store.log_entries("demo")[-1].message


def test_a_refused_auth_code_is_marked_and_logged(demo_client, receiver, tiktok, sandbox):
    store = tiktok.auth_store
    code_id, _ = store.record_auth_code("demo", "ROW_not_a_real_code")
    with tiktok.token_manager() as manager:
        report = manager.run()
    assert report.codes_failed and report.codes_failed[0][0] == "demo"
    status, error = store.code_status(code_id)
    assert status == "error" and error.startswith("36004004")


def test_renew_without_tokens_and_expired_refresh_token(tiktok_client, tiktok):
    with tiktok.token_manager() as manager:
        with pytest.raises(TikTokNotAuthorizedError):
            manager.renew("nobody")
        tokens = tiktok.auth_store.get_tokens("demo")
        expired = type("T", (), {})()
        for name in (
            "access_token",
            "refresh_token",
            "open_id",
            "seller_name",
            "seller_base_region",
            "granted_scopes",
        ):
            setattr(expired, name, getattr(tokens, name))
        expired.access_token_expires_at = tokens.access_token_expires_at
        expired.refresh_token_expires_at = utcnow() - timedelta(seconds=1)
        tiktok.auth_store.save_tokens("demo", expired, refreshed=True)
        with pytest.raises(AuthError):
            manager.renew("demo")
    assert tiktok.state.registry.get("demo").status == "active"
    grant = tiktok.auth_store.status("demo")
    assert (
        grant.status == "needs_authorization"
        and grant.needs_authorization_reason == "the refresh token expired"
    )
