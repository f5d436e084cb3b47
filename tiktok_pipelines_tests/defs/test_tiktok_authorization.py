"""TikTok Shop's grant, kept per channel as Mercado Livre's and Shopee's are, against the strict emulators
and the real receiver: a refresh TikTok refuses, or the seller's deauthorization push (type 6), marks the
client's TikTok grant as needing authorization (reason, since), tells it once, turns TikTok's runs into
green "needs authorization" runs and leaves the client active, so the schedules still ask its Mercado
Livre and Shopee runs; the next consent clears it and TikTok's runs work again."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import dagster as dg
import httpx
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from tiktok_pipelines.cli.main import main
from tiktok_pipelines.defs import catalog, orders
from tiktok_pipelines.defs.automation import active_clients
from tiktok_pipelines.defs.events.sensors import build_webhook_queue_sensor
from tiktok_pipelines.defs.orders.jobs import order_polling_schedule, orders_job
from tiktok_pipelines.defs.tokens.assets import tiktok_tokens
from tiktok_pipelines.sandbox.demo import connect_demo_mercado_livre, connect_demo_shopee
from tiktok_pipelines.sandbox.world import DEMO_SHOP_CODE
from tiktok_pipelines.stores.notifications import notifications_table
from tiktok_pipelines.stores.tiktok_auth import TikTokAuthStore
from tiktok_pipelines.stores.tiktok_auth import tiktok_tokens as tiktok_tokens_table
from tiktok_pipelines_tests.flows import tick_and_run

pytestmark = pytest.mark.e2e

ON_THE_HOUR = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)  # every channel's orders are polled then


def lost_notices(state_db) -> list[str]:
    with state_db.read() as conn:
        return list(
            conn.execute(
                sa.select(notifications_table.c.dedup_key).where(
                    notifications_table.c.kind == "authorization_lost",
                    notifications_table.c.channel == "tiktok_shop",
                )
            ).scalars()
        )


def tiktok_assets(*names: str) -> list[dg.AssetsDefinition]:
    wanted = {f"tiktok_shop/{name}" for name in names}
    return [a for area in (catalog, orders) for a in area.defs.assets if a.key.to_user_string() in wanted]


def run_tiktok(instance, resources, *names: str) -> dict[str, dict]:
    """TikTok Shop's assets `names` for the demo client: each one's metadata, by key."""
    assets = tiktok_assets(*names)
    result = dg.materialize(assets, partition_key="demo", instance=instance, resources=resources)
    assert result.success
    return {
        e.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }


def consent_again(tiktok, instance, resources) -> None:
    """The seller consents again; the hourly token asset exchanges the code."""
    assert httpx.get(tiktok.authorization_link("demo"), follow_redirects=True, timeout=10).status_code == 200
    assert dg.materialize([tiktok_tokens], instance=instance, resources=resources).success


def assert_tiktok_stops_alone(instance, resources, registry, state_db, reason: str) -> None:
    grant = TikTokAuthStore(state_db).status("demo")
    assert grant.status == "needs_authorization" and reason in grant.needs_authorization_reason
    assert registry.get("demo").status == "active"
    for _ in range(2):
        metadata = run_tiktok(instance, resources, "listings", "orders")
        assert set(metadata) == {"tiktok_shop/listings", "tiktok_shop/orders"}
        for key, values in metadata.items():
            assert "must authorize tiktok_shop again" in values["needs_authorization"].value, key
    assert len(lost_notices(state_db)) == 1

    assert [c.client_id for c in active_clients(instance, registry)] == ["demo"]
    with dg.build_schedule_context(
        instance=instance, resources=resources, scheduled_execution_time=ON_THE_HOUR
    ) as context:
        (request,) = order_polling_schedule(context)
    assert request.partition_key == "demo"
    assert {"mercado_livre__orders", "shopee__orders"} <= set(request.run_config["ops"])

    shown = CliRunner().invoke(main, ["clients", "show", "demo"])
    assert "authorization on tiktok_shop: needs_authorization since" in shown.output
    assert "authorization on shopee: connected" in shown.output
    status = CliRunner().invoke(main, ["oauth", "status", "demo"])
    assert status.exit_code == 0 and "needs_authorization since" in status.output and reason in status.output


def assert_a_new_consent_clears_it(tiktok, instance, resources, state_db) -> None:
    consent_again(tiktok, instance, resources)
    assert TikTokAuthStore(state_db).status("demo").status == "connected"
    (metadata,) = run_tiktok(instance, resources, "orders").values()  # the store has no feed to list yet
    assert "needs_authorization" not in metadata and "skipped" not in metadata
    with tiktok.shop("demo") as api:
        assert api.get_warehouses()


def test_a_refused_tiktok_refresh_stops_tiktok_only_is_told_once_and_a_new_consent_clears_it(
    tiktok_client, tiktok, receiver, resources, sandbox, instance, registry, state_db
):
    connect_demo_mercado_livre(sandbox.config)
    connect_demo_shopee(sandbox.config)
    sandbox.tiktok.revoke_tokens(DEMO_SHOP_CODE)
    with state_db.begin() as conn:  # due for renewal within the hour
        conn.execute(
            tiktok_tokens_table.update().values(
                access_token_expires_at=datetime.now(UTC) + timedelta(hours=1)
            )
        )

    for _ in range(2):
        result = dg.materialize([tiktok_tokens], instance=instance, resources=resources)
        assert result.success
        (event,) = result.get_asset_materialization_events()
        assert event.materialization.metadata["needs_authorization"].value == "demo"

    assert_tiktok_stops_alone(instance, resources, registry, state_db, "36004004")
    assert_a_new_consent_clears_it(tiktok, instance, resources, state_db)


def test_a_tiktok_deauthorization_push_stops_tiktok_only_is_told_once_and_a_new_consent_clears_it(
    tiktok_client, tiktok, receiver, resources, sandbox, instance, registry, state_db
):
    connect_demo_mercado_livre(sandbox.config)
    connect_demo_shopee(sandbox.config)
    emulator = sandbox.tiktok
    emulator.config.webhook_url = f"{receiver.url}/webhooks/tiktok"
    emulator.config.webhook_time_factor = 0.002
    shop = emulator.shop_by_code(DEMO_SHOP_CODE)
    sensor = build_webhook_queue_sensor({"orders": orders_job})
    store = TikTokAuthStore(state_db)

    for _ in range(2):  # the push told twice is told once
        emulator.emit(shop, "SELLER_DEAUTHORIZATION", {"message": "bye"})
        for _ in range(50):
            tick_and_run(instance, resources, sensor, {})
            if store.status("demo").status == "needs_authorization":
                break
            time.sleep(0.1)

    assert_tiktok_stops_alone(instance, resources, registry, state_db, "cancelled")
    assert_a_new_consent_clears_it(tiktok, instance, resources, state_db)
