"""The run that finds a client's grant has ended, on every channel, against the strict emulators: the
access token expired and the channel refuses the refresh (TikTok Shop's 36004004 after a 105002, Mercado
Livre's `invalid_grant`, Shopee's refused refresh), so the grant is marked as needing authorization and
told once; that run is green with `needs_authorization` in its metadata like every run after it, and once
the seller consents again the channel's runs work."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import dagster as dg
import httpx
import pytest
import sqlalchemy as sa

from tiktok_pipelines.defs.orders.assets import CHANNEL_ORDERS
from tiktok_pipelines.defs.tokens.assets import tiktok_tokens
from tiktok_pipelines.sandbox.demo import connect_demo_mercado_livre, connect_demo_shopee
from tiktok_pipelines.sandbox.world import DEMO_ACCOUNT, DEMO_ML_SELLER, DEMO_SHOP_CODE, DEMO_SHOPEE_SHOP_ID
from tiktok_pipelines.stores.channel_tokens import ChannelTokenStore, channel_tokens
from tiktok_pipelines.stores.events import DbEventQueue
from tiktok_pipelines.stores.orders import OrderStore
from tiktok_pipelines.stores.tiktok_auth import TikTokAuthStore
from tiktok_pipelines.stores.tiktok_auth import tiktok_tokens as tiktok_tokens_table
from tiktok_pipelines_tests.conftest import authorize_through_sandbox
from tiktok_pipelines_tests.defs.test_channel_authorization import lost_notices
from tiktok_pipelines_tests.defs.test_shopee_orders import ASSETS, list_on_shopee, sensor, until
from tiktok_pipelines_tests.flows import tick_and_run, wait_delivered
from tiktok_pipelines_tests.results import asset_metadata
from tiktok_pipelines_tests.stock_price_support import fast_resources, list_products
from tiktok_pipelines_tests.stock_price_support import run as stock_price_run

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Channel:
    """How a test connects the demo client on a channel, ends its grant there and reads its mark."""

    name: str
    connect: Callable  # (sandbox, tiktok, instance, resources) -> None: the seller consents
    expire: Callable  # (sandbox) -> None: the emulator's access and refresh tokens expire now
    table: sa.Table

    def store(self, state_db):
        return (
            TikTokAuthStore(state_db)
            if self.name == "tiktok_shop"
            else ChannelTokenStore(state_db, self.name)
        )


def _consent_tiktok(sandbox, tiktok, instance, resources) -> None:
    if TikTokAuthStore(tiktok.state.db).get_tokens("demo") is None:
        authorize_through_sandbox(tiktok, "demo")
        return
    assert httpx.get(tiktok.authorization_link("demo"), follow_redirects=True, timeout=10).status_code == 200
    assert dg.materialize([tiktok_tokens], instance=instance, resources=resources).success


def _expire_tiktok(sandbox) -> None:
    for kind in ("access", "refresh"):
        sandbox.tiktok.expire_tokens(DEMO_SHOP_CODE, kind)


def _expire_mercado_livre(sandbox) -> None:
    for kind in ("access", "refresh"):
        sandbox.mercado_livre.expire_tokens(DEMO_ML_SELLER, kind)


def _expire_shopee(sandbox) -> None:
    for kind in ("access", "refresh"):
        sandbox.shopee.expire_tokens(DEMO_SHOPEE_SHOP_ID, kind)


CHANNELS = [
    Channel("tiktok_shop", _consent_tiktok, _expire_tiktok, tiktok_tokens_table),
    Channel(
        "mercado_livre",
        lambda sandbox, *_: connect_demo_mercado_livre(sandbox.config),
        _expire_mercado_livre,
        channel_tokens,
    ),
    Channel(
        "shopee", lambda sandbox, *_: connect_demo_shopee(sandbox.config), _expire_shopee, channel_tokens
    ),
]


def access_token_expired(state_db, channel: Channel) -> None:
    """The client's stored access token on the channel as the channel sees it: expired a minute ago."""
    update = channel.table.update()
    if channel.table is channel_tokens:
        update = update.where(channel_tokens.c.channel == channel.name)
    with state_db.begin() as conn:
        conn.execute(update.values(access_token_expires_at=datetime.now(UTC) - timedelta(minutes=1)))


def poll_orders(channel: Channel, instance, resources) -> dg.ExecuteInProcessResult:
    """The channel's orders asset for the demo client, polling the channel (so it calls the channel)."""
    op = f"{channel.name}__orders"
    return dg.materialize(
        [CHANNEL_ORDERS[channel.name]],
        partition_key="demo",
        instance=instance,
        resources=resources,
        run_config={"ops": {op: {"config": {"poll": True}}}},
        raise_on_error=False,
    )


def placed_in_vtex(sandbox) -> set[str]:
    return {o["orderId"] for o in sandbox.vtex.account(DEMO_ACCOUNT).orders.values()}


def materialization(result: dg.ExecuteInProcessResult) -> dict:
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    (event,) = result.get_asset_materialization_events()
    return event.materialization.metadata


@pytest.mark.parametrize("channel", CHANNELS, ids=[c.name for c in CHANNELS])
def test_the_run_that_finds_the_grant_ended_is_green_and_says_the_seller_must_authorize_again(
    channel, demo_client, receiver, tiktok, resources, sandbox, instance, state_db
):
    channel.connect(sandbox, tiktok, instance, resources)
    store = channel.store(state_db)
    channel.expire(sandbox)
    access_token_expired(state_db, channel)
    assert store.status("demo").status == "connected"

    found = materialization(poll_orders(channel, instance, resources))

    assert f"must authorize {channel.name} again" in found["needs_authorization"].value
    assert found["dagster/row_count"].value == 0
    assert store.status("demo").status == "needs_authorization"
    assert len(lost_notices(state_db, channel.name)) == 1
    again = materialization(poll_orders(channel, instance, resources))
    assert f"must authorize {channel.name} again" in again["needs_authorization"].value
    assert len(lost_notices(state_db, channel.name)) == 1

    channel.connect(sandbox, tiktok, instance, resources)  # the seller consents again
    assert store.status("demo").status == "connected"
    after = materialization(poll_orders(channel, instance, resources))
    assert "needs_authorization" not in after and "polled_orders" in after


def test_vtex_orders_goes_on_with_the_other_channels_when_a_grant_ends_mid_run(
    shop, sandbox, instance, resources, state_db, vtex_api, tiktok
):
    """An order the seller cancelled in VTEX must be cancelled on TikTok Shop, whose grant has just ended:
    the runs stay green, the order waits for a new consent (neither failed nor given up), and Shopee's paid order of
    the same runs reaches VTEX; after the consent the TikTok order is cancelled there."""
    connect_demo_shopee(sandbox.config)
    item = list_on_shopee(resources, sandbox.demo_catalog.skus()[0], 5)
    (order_id,) = shop.create_orders(DEMO_SHOP_CODE, 1, status="AWAITING_SHIPMENT")
    wait_delivered(shop)
    until(lambda: f"TTS-{order_id}" in placed_in_vtex(sandbox), instance, resources)
    tiktok_orders = OrderStore(state_db)
    attempts = tiktok_orders.get("demo", order_id).attempts

    tiktok_channel = CHANNELS[0]
    tiktok_channel.expire(sandbox)
    access_token_expired(state_db, tiktok_channel)
    vtex_api.cancel_order(f"TTS-{order_id}", reason="Sem estoque no CD")
    deadline = time.monotonic() + 10  # VTEX calls the marketplace back about the cancellation
    while DbEventQueue(state_db).depth() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    paid = sandbox.shopee.create_order(DEMO_SHOPEE_SHOP_ID, [(item, 0, 1)], status="INVOICE_PENDING")
    until(lambda: f"SHP-{paid}" in placed_in_vtex(sandbox), instance, resources)
    for _ in range(2):
        tick_and_run(instance, resources, sensor, ASSETS)

    assert TikTokAuthStore(state_db).status("demo").status == "needs_authorization"
    assert len(lost_notices(state_db, "tiktok_shop")) == 1
    waiting = tiktok_orders.get("demo", order_id)
    assert "vtex_cancel" in waiting.reasons and waiting.attempts == attempts
    assert "must authorize tiktok_shop again" in waiting.last_error
    assert shop.shop_by_code(DEMO_SHOP_CODE).orders[order_id]["status"] != "CANCELLED"

    tiktok_channel.connect(sandbox, tiktok, instance, resources)  # the seller consents again
    assert dg.materialize(
        ASSETS["orders_job"], partition_key="demo", instance=instance, resources=resources
    ).success
    assert shop.shop_by_code(DEMO_SHOP_CODE).orders[order_id]["status"] == "CANCELLED"
    assert tiktok_orders.get("demo", order_id).state == "cancelled"


def test_a_run_that_goes_on_past_the_refused_refresh_says_the_grant_ended(
    shop, sandbox, instance, resources, state_db
):
    """TikTok Shop's order details refused for a chunk cost that chunk (the orders stay flagged), so the
    run that meets the refused refresh there finishes: it says the seller must authorize again too."""
    (order_id,) = shop.create_orders(DEMO_SHOP_CODE, 1, status="AWAITING_SHIPMENT")
    wait_delivered(shop)
    until(lambda: f"TTS-{order_id}" in placed_in_vtex(sandbox), instance, resources)
    tiktok_channel = CHANNELS[0]
    tiktok_channel.expire(sandbox)
    access_token_expired(state_db, tiktok_channel)
    OrderStore(state_db).mark_for_sync("demo", [order_id], "order_status")

    result = dg.materialize(
        [CHANNEL_ORDERS["tiktok_shop"]], partition_key="demo", instance=instance, resources=resources
    )

    metadata = materialization(result)
    assert "must authorize tiktok_shop again" in metadata["needs_authorization"].value
    assert metadata["orders_fetched"].value == 0
    assert OrderStore(state_db).get("demo", order_id).needs_sync
    assert len(lost_notices(state_db, "tiktok_shop")) == 1


def test_the_tiktok_stock_run_that_finds_the_grant_ended_is_green_and_its_checks_warn(
    tiktok_client, sandbox, instance, state_db
):
    """TikTok Shop's refused refresh stops the push before any SKU is counted: the run is green, the push
    assets say why, their checks pass with a warning, and VTEX's reads of the run are done."""
    list_products(sandbox, state_db, count=5)
    resources = fast_resources(sandbox)
    tiktok_channel = CHANNELS[0]
    tiktok_channel.expire(sandbox)
    access_token_expired(state_db, tiktok_channel)

    outcome = stock_price_run("incremental", instance, resources)

    assert outcome.success
    for asset in ("tiktok_shop__inventory", "tiktok_shop__prices"):
        assert "must authorize tiktok_shop again" in asset_metadata(outcome, asset)["needs_authorization"]
    assert asset_metadata(outcome, "vtex_stock")["dagster/row_count"] > 0
    checks = [e for e in outcome.get_asset_check_evaluations() if e.asset_key.path[0] == "tiktok_shop"]
    assert {e.check_name for e in checks} == {
        "stock_dead_letter_empty",
        "price_dead_letter_empty",
        "no_held_price_drops",
    }
    assert all(e.passed and e.severity == dg.AssetCheckSeverity.WARN for e in checks)
    assert TikTokAuthStore(state_db).status("demo").status == "needs_authorization"
    assert len(lost_notices(state_db, "tiktok_shop")) == 1
