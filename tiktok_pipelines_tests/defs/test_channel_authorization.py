"""A client's authorization per channel, against the strict emulators and the real receiver: Mercado
Livre's `invalid_grant` on renewal and Shopee's cancellation (push code 2) mark that client's grant on
THAT channel as needing authorization (reason, since), tell it once, leave its other channels (TikTok)
alone and turn the channel's runs into green "needs authorization" runs until a new consent clears it;
Shopee's authorization expiry (push code 12) is kept with its date and told once per date; the hourly
token assets renew what is due on each channel and report it per client without a secret; a main
account's grant covers every shop it lists."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import dagster as dg
import httpx
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from tiktok_pipelines.cli.main import main
from tiktok_pipelines.defs.events.sensors import build_webhook_queue_sensor
from tiktok_pipelines.defs.orders.assets import shopee_orders
from tiktok_pipelines.defs.orders.jobs import orders_job
from tiktok_pipelines.defs.tokens.assets import mercado_livre_tokens, shopee_tokens
from tiktok_pipelines.sandbox.demo import connect_demo_mercado_livre, connect_demo_shopee
from tiktok_pipelines.sandbox.world import DEMO_ML_SELLER, DEMO_SHOPEE_SHOP_ID
from tiktok_pipelines.stores.channel_tokens import ChannelTokenStore, channel_tokens, client_of_shop
from tiktok_pipelines.stores.notifications import notifications_table
from tiktok_pipelines_tests.flows import tick_and_run

pytestmark = pytest.mark.e2e

sensor = build_webhook_queue_sensor({"orders": orders_job})
REFRESH = "POST /api/v2/auth/access_token/get"


def lost_notices(state_db, channel: str) -> list[str]:
    with state_db.read() as conn:
        return list(
            conn.execute(
                sa.select(notifications_table.c.dedup_key).where(
                    notifications_table.c.kind == "authorization_lost",
                    notifications_table.c.channel == channel,
                )
            ).scalars()
        )


def expiring_notices(state_db) -> list[dict]:
    with state_db.read() as conn:
        return [
            r._asdict()
            for r in conn.execute(
                sa.select(notifications_table.c.dedup_key, notifications_table.c.facts).where(
                    notifications_table.c.kind == "authorization_expiring"
                )
            )
        ]


def tick_until(predicate, instance, resources, tries: int = 50) -> None:
    """Queue sensor ticks (and the runs they ask for) until `predicate()` holds."""
    for _ in range(tries):
        tick_and_run(instance, resources, sensor, {"orders_job": [shopee_orders]})
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("the pushes did not have their effect")


def due_soon(state_db, channel: str) -> None:
    """The client's stored access token on `channel` as if it ended in 10 minutes."""
    with state_db.begin() as conn:
        conn.execute(
            channel_tokens.update()
            .where(channel_tokens.c.channel == channel)
            .values(access_token_expires_at=datetime.now(UTC) + timedelta(minutes=10))
        )


def test_a_cancelled_shopee_authorization_stops_shopee_only_is_told_once_and_a_new_consent_clears_it(
    demo_client, receiver, resources, sandbox, instance, registry, state_db
):
    connect_demo_shopee(sandbox.config)
    store = ChannelTokenStore(state_db, "shopee")
    sandbox.shopee.revoke_tokens(DEMO_SHOPEE_SHOP_ID)  # the seller cancels: push code 2

    tick_until(lambda: store.status("demo").status == "needs_authorization", instance, resources)

    status = store.status("demo")
    assert "cancelled" in status.needs_authorization_reason and status.needs_authorization_since
    assert registry.get("demo").status == "active"  # TikTok Shop and Mercado Livre go on
    for _ in range(2):
        result = dg.materialize([shopee_orders], partition_key="demo", instance=instance, resources=resources)
        assert result.success
        (event,) = result.get_asset_materialization_events()
        assert "must authorize shopee again" in event.materialization.metadata["needs_authorization"].value
    assert len(lost_notices(state_db, "shopee")) == 1

    out = CliRunner().invoke(main, ["oauth", "status", "demo", "--channel", "shopee"])
    assert out.exit_code == 0 and "needs_authorization" in out.output and "cancelled" in out.output
    shown = CliRunner().invoke(main, ["clients", "show", "demo"])
    assert "authorization on shopee: needs_authorization since" in shown.output

    sandbox.shopee.set_authorization_expiry(DEMO_SHOPEE_SHOP_ID, int(time.time()) + 365 * 86400)
    connect_demo_shopee(sandbox.config)  # a new consent
    assert store.status("demo").status == "connected"
    (event,) = dg.materialize(
        [shopee_orders], partition_key="demo", instance=instance, resources=resources
    ).get_asset_materialization_events()
    assert "needs_authorization" not in event.materialization.metadata


def test_a_shopee_authorization_expiry_is_kept_and_told_once_per_date(
    demo_client, receiver, resources, sandbox, instance, state_db
):
    connect_demo_shopee(sandbox.config)
    store = ChannelTokenStore(state_db, "shopee")
    ends = int(time.time()) + 3 * 86400
    sandbox.shopee.set_authorization_expiry(DEMO_SHOPEE_SHOP_ID, ends)  # push code 12

    tick_until(lambda: store.status("demo").authorization_expires_at is not None, instance, resources)

    assert store.status("demo").authorization_expires_at == datetime.fromtimestamp(ends, UTC)
    day = datetime.fromtimestamp(ends, UTC).strftime("%Y-%m-%d")
    due_soon(state_db, "shopee")  # the token asset renews it and reads the consent's end again
    result = dg.materialize([shopee_tokens], instance=instance, resources=resources)
    assert result.success
    (told,) = expiring_notices(state_db)
    assert told["dedup_key"] == f"authorization_expiring:shopee:{day}" and day in told["facts"]


def test_the_token_assets_renew_what_is_due_on_each_channel_and_print_no_secret(
    demo_client, receiver, resources, sandbox, instance, state_db
):
    connect_demo_shopee(sandbox.config)
    connect_demo_mercado_livre(sandbox.config)
    shopee, ml = ChannelTokenStore(state_db, "shopee"), ChannelTokenStore(state_db, "mercado_livre")
    before = {"shopee": shopee.get_tokens("demo"), "mercado_livre": ml.get_tokens("demo")}
    due_soon(state_db, "shopee")
    due_soon(state_db, "mercado_livre")

    result = dg.materialize([shopee_tokens, mercado_livre_tokens], instance=instance, resources=resources)

    assert result.success
    for store in (shopee, ml):
        after = store.get_tokens("demo")
        assert after.refresh_token != before[store.channel].refresh_token
        assert after.access_token_expires_at > datetime.now(UTC) + timedelta(hours=3)
    assert sandbox.shopee.stats()["calls"][REFRESH] == 1
    text = str([e.materialization.metadata for e in result.get_asset_materialization_events()])
    assert "renewed" in text and "| demo |" in text
    for grant in (*before.values(), shopee.get_tokens("demo"), ml.get_tokens("demo")):
        assert grant.access_token.get_secret_value() not in text
        assert grant.refresh_token.get_secret_value() not in text

    again = dg.materialize([shopee_tokens], instance=instance, resources=resources)
    (event,) = again.get_asset_materialization_events()
    assert event.materialization.metadata["tokens_renewed"].value == 0  # nothing due an hour later
    assert sandbox.shopee.stats()["calls"][REFRESH] == 1


def test_a_mercado_livre_invalid_grant_marks_mercado_livre_only_and_tells_once(
    demo_client, receiver, resources, sandbox, instance, registry, state_db
):
    connect_demo_mercado_livre(sandbox.config)
    connect_demo_shopee(sandbox.config)
    httpx.post(f"{sandbox.urls()['mercado_livre']}/_sandbox/tokens/revoke", json={"nickname": DEMO_ML_SELLER})
    due_soon(state_db, "mercado_livre")
    due_soon(state_db, "shopee")

    for _ in range(2):
        result = dg.materialize([mercado_livre_tokens, shopee_tokens], instance=instance, resources=resources)
        assert result.success

    ml = ChannelTokenStore(state_db, "mercado_livre").status("demo")
    assert ml.status == "needs_authorization" and "invalid_grant" in ml.needs_authorization_reason
    assert ChannelTokenStore(state_db, "shopee").status("demo").status == "connected"
    assert registry.get("demo").status == "active"
    assert len(lost_notices(state_db, "mercado_livre")) == 1 and lost_notices(state_db, "shopee") == []
    resource = resources["mercado_livre"]
    assert "must authorize mercado_livre again" in (resource.needs_authorization("demo") or "")

    connect_demo_mercado_livre(sandbox.config)  # the seller consents again
    assert resource.needs_authorization("demo") is None

    httpx.post(f"{sandbox.urls()['mercado_livre']}/_sandbox/tokens/revoke", json={"nickname": DEMO_ML_SELLER})
    due_soon(state_db, "mercado_livre")
    assert dg.materialize([mercado_livre_tokens], instance=instance, resources=resources).success
    assert len(lost_notices(state_db, "mercado_livre")) == 2  # lost again the same day: told again


def test_a_main_accounts_grant_covers_every_shop_it_lists(
    demo_client, receiver, resources, sandbox, state_db
):
    emu = sandbox.shopee
    emu.add_shop(700000101, "Loja A", main_account_id=4242)
    emu.add_shop(700000102, "Loja B", main_account_id=4242)
    shopee = resources["shopee"]
    link = shopee.authorization_link("demo")
    page = httpx.get(link + "&_main_account_id=4242", follow_redirects=True, timeout=10)

    assert page.status_code == 200, page.text
    assert shopee.shop_id("demo") == "700000101"
    assert shopee.token_store.get_tokens("demo").shop_ids == ("700000101", "700000102")
    assert client_of_shop(state_db, "700000102") == "demo"  # a push about the second shop is the client's
    assert client_of_shop(state_db, "7000001") is None
    with shopee.session("demo") as session:
        assert any(node.is_leaf for node in session.category_tree())
