"""Shopee at the receiver: a seller connects a shop through the authorization link and the receiver's
callback (the code exchanged at once with its shop, the tokens stored encrypted), its pushes are
acknowledged with an empty 2xx body, verified over url|body, queued once however often they arrive; and
the shop's access token is renewed ahead of its 4 hours, once however many sessions ask."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa

from tiktok_pipelines.channels.shopee.client import push_signature
from tiktok_pipelines.defs.resources.shopee import Shopee
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.lanes.renewal import RenewingTokens
from tiktok_pipelines.sandbox.world import DEMO_SHOPEE_SHOP_ID
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.channel_tokens import channel_tokens
from tiktok_pipelines.stores.queue import DbEventQueue
from tiktok_pipelines.stores.registry import build_client


@pytest.fixture
def shopee(sandbox, receiver, registry, state_db):
    registry.add(build_client(**sandbox.demo_client_fields()))
    settings = Settings.load()
    return Shopee.from_settings(settings, StateStore.from_settings(settings), env_vars=False)


def connect(shopee: Shopee) -> httpx.Response:
    return httpx.get(shopee.authorization_link("demo"), follow_redirects=True, timeout=10)


def test_a_seller_connects_a_shop_through_the_receivers_callback(shopee, state_db):
    assert "no shop on Shopee" in (shopee.shop_missing("demo") or "")
    page = connect(shopee)
    assert page.status_code == 200 and "conectada" in page.text
    assert shopee.shop_missing("demo") is None and shopee.shop_id("demo") == str(DEMO_SHOPEE_SHOP_ID)
    with shopee.session("demo") as session:
        assert any(node.is_leaf for node in session.category_tree())
    grant = shopee.token_store.get_tokens("demo")
    with state_db.read() as conn:
        dump = str(conn.execute(sa.select(channel_tokens)).all())
    assert grant.access_token.get_secret_value() not in dump
    assert grant.refresh_token.get_secret_value() not in dump


def test_a_used_or_made_up_state_connects_nothing(shopee, sandbox):
    link = shopee.authorization_link("demo")
    assert httpx.get(link, follow_redirects=True, timeout=10).status_code == 200
    again = httpx.get(link, follow_redirects=True, timeout=10)
    assert again.status_code == 400 and "already used" in again.text
    receiver = sandbox.urls()["receiver"]
    forged = httpx.get(
        f"{receiver}/oauth/shopee/callback", params={"code": "x", "shop_id": "1", "state": "made-up"}
    )
    assert forged.status_code == 400
    no_shop = httpx.get(f"{receiver}/oauth/shopee/callback", params={"code": "x", "state": "s"})
    assert no_shop.status_code == 400


def wait_for_the_authorization_push(queue: DbEventQueue) -> None:
    """The emulator pushes the shop's authorization (code 1) on its own after the consent."""
    wait_until = datetime.now(UTC) + timedelta(seconds=10)
    while queue.depth() == 0 and datetime.now(UTC) < wait_until:
        threading.Event().wait(0.05)


def test_pushes_are_acknowledged_empty_verified_and_queued_once(shopee, sandbox, state_db):
    connect(shopee)
    queue = DbEventQueue(state_db)
    wait_for_the_authorization_push(queue)
    url = sandbox.environment()["SHOPEE_PUSH_URL"]
    body = (
        b'{"data":{"items":[],"ordersn":"2612050001","status":"READY_TO_SHIP","completed_scenario":"",'
        b'"update_time":%d},"shop_id":%d,"code":3,"timestamp":%d}'
        % (int(datetime.now(UTC).timestamp()), DEMO_SHOPEE_SHOP_ID, int(datetime.now(UTC).timestamp()))
    )
    before = queue.depth()
    signed = {"Authorization": push_signature(sandbox.environment()["SHOPEE_PARTNER_KEY"], url, body)}
    for _ in range(3):  # Shopee retries until it reads an empty 2xx
        answer = httpx.post(url, content=body, headers=signed)
        assert answer.status_code == 200 and answer.content == b""
    assert queue.depth() == before + 1
    forged = httpx.post(url, content=body.replace(b"READY_TO_SHIP", b"CANCELLED"), headers=signed)
    assert forged.status_code == 401 and queue.depth() == before + 1


def test_the_emulators_own_pushes_reach_the_queue(shopee, sandbox, state_db):
    connect(shopee)
    queue = DbEventQueue(state_db)
    wait_for_the_authorization_push(queue)
    before = queue.depth()
    sandbox.shopee.push(
        3,
        {"items": [], "ordersn": "X1", "status": "UNPAID", "completed_scenario": "", "update_time": 1},
        shop_id=DEMO_SHOPEE_SHOP_ID,
    )
    deadline = datetime.now(UTC) + timedelta(seconds=10)
    while queue.depth() < before + 1 and datetime.now(UTC) < deadline:
        threading.Event().wait(0.05)
    taken = [q.event for q in queue.take(100)]
    assert [e.event_id for e in taken if (e.source, e.event_type) == ("shopee", "3")] == ["3:X1:UNPAID:1"]


def test_an_access_token_is_renewed_ahead_of_its_end_once_for_all_sessions(shopee, sandbox):
    connect(shopee)
    store, channel = shopee.token_store, shopee.channel()
    first = store.get_tokens("demo")
    soon = first.access_token_expires_at - timedelta(minutes=30)
    early = first.access_token_expires_at - timedelta(hours=2)
    assert RenewingTokens(store, channel, "demo", clock=lambda: early).access_token() == (
        first.access_token.get_secret_value()
    )
    tokens = [RenewingTokens(store, channel, "demo", clock=lambda: soon) for _ in range(4)]
    seen: list[str] = []
    threads = [threading.Thread(target=lambda t=t: seen.append(t.access_token())) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    renewed = store.get_tokens("demo")
    assert set(seen) == {renewed.access_token.get_secret_value()} != {first.access_token.get_secret_value()}
    assert channel.capabilities.renewal_window < timedelta(hours=4)
    assert sandbox.shopee.stats()["calls"].get("POST /api/v2/auth/access_token/get") == 1


def test_the_cli_gives_the_shopee_link_that_connects_the_shop(shopee):
    from click.testing import CliRunner

    from tiktok_pipelines.cli.main import main

    result = CliRunner().invoke(main, ["oauth", "url", "demo", "--channel", "shopee"])
    assert result.exit_code == 0, result.output
    link = result.stdout.strip().splitlines()[0]
    assert "/api/v2/shop/auth_partner?" in link
    assert httpx.get(link, follow_redirects=True, timeout=10).status_code == 200
    assert shopee.shop_id("demo") == str(DEMO_SHOPEE_SHOP_ID)
