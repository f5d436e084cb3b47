"""A client that does not sell on a channel shows nothing failing for that channel."""

from datetime import UTC, datetime

import dagster as dg
import pytest
from pydantic import SecretStr

from tiktok_pipelines.core.models.auth import Grant
from tiktok_pipelines.defs import analytics, catalog, fulfilment, orders, stock_price
from tiktok_pipelines.defs.resources import build_resources
from tiktok_pipelines.lanes.tokens import TikTokNotAuthorizedError
from tiktok_pipelines.partitions import CLIENTS_PARTITION, clients_partitions
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines.stores.tiktok_auth import TikTokAuthStore
from tiktok_pipelines_tests.stores.test_registry import FIELDS

GRANT = Grant(
    access_token=SecretStr("TTP_access"),
    access_token_expires_at=datetime(2030, 1, 1, tzinfo=UTC),
    refresh_token=SecretStr("TTP_refresh"),
    refresh_token_expires_at=datetime(2030, 6, 1, tzinfo=UTC),
)


def _channel_assets(channel: str) -> list[dg.AssetsDefinition]:
    """The partitioned assets of every area whose keys carry the channel's prefix."""
    areas = (catalog, stock_price, orders, fulfilment, analytics)
    return sorted(
        (
            a
            for area in areas
            for a in area.defs.assets
            if a.partitions_def == clients_partitions and all(k.path[0] == channel for k in a.keys)
        ),
        key=lambda a: a.key.to_user_string(),
    )


def _client_without_shop(registry, instance, **changes):
    client = registry.add(build_client(**{**FIELDS, "tiktok_shop_code": None, **changes}))
    instance.add_dynamic_partitions(CLIENTS_PARTITION, [client.client_id])
    return client


def test_a_client_with_no_shop_on_the_channel_runs_its_assets_green(registry, instance, resources):
    client = _client_without_shop(registry, instance)
    assets = _channel_assets("tiktok_shop")
    assert {a.key.path[1] for a in assets} >= {"listings", "inventory", "prices", "orders", "invoices"}

    result = dg.materialize(assets, partition_key=client.client_id, instance=instance, resources=resources)

    assert result.success
    skipped = {
        e.asset_key.to_user_string(): e.materialization.metadata["skipped"].value
        for e in result.get_asset_materialization_events()
    }
    assert set(skipped) == {a.key.to_user_string() for a in assets}
    assert all("has no shop on TikTok Shop" in reason for reason in skipped.values())
    evaluations = result.get_asset_check_evaluations()
    assert evaluations and all(e.passed for e in evaluations)


def test_a_tiktok_shop_that_must_authorize_again_runs_green_saying_so(
    registry, instance, state_db, monkeypatch
):
    monkeypatch.setenv("TIKTOK_APP_KEY", "app-key")
    monkeypatch.setenv("TIKTOK_APP_SECRET", "app-secret")
    client = _client_without_shop(
        registry, instance, client_id="loja-2", tiktok_shop_id="7000001", tiktok_shop_cipher="cipher"
    )
    store = TikTokAuthStore(state_db)
    store.save_tokens(client.client_id, GRANT)
    store.needs_authorization(client.client_id, "refresh refused: 36004004 invalid refresh token")
    inventory = next(a for a in _channel_assets("tiktok_shop") if a.key.path[1] == "inventory")
    tiktok_shop = build_resources(Settings.load())["tiktok_shop"]

    result = dg.materialize(
        [inventory],
        partition_key=client.client_id,
        instance=instance,
        resources=build_resources(Settings.load()),
    )

    assert result.success and registry.get(client.client_id).status == "active"
    (event,) = result.get_asset_materialization_events()
    reason = event.materialization.metadata["needs_authorization"].value
    assert "must authorize tiktok_shop again" in reason and "36004004" in reason
    with pytest.raises(TikTokNotAuthorizedError, match="must authorize tiktok_shop again"):
        tiktok_shop.session(client.client_id).__enter__()  # a CLI call or a sensor does not call either


def test_a_client_with_no_shopee_shop_runs_its_stock_and_price_assets_green(registry, instance, resources):
    client = _client_without_shop(registry, instance)
    assets = [a for a in _channel_assets("shopee") if a.group_names_by_key[a.key] == "stock_price"]
    assert {a.key.path[1] for a in assets} == {"inventory", "prices", "stock_price_state"}

    result = dg.materialize(assets, partition_key=client.client_id, instance=instance, resources=resources)

    assert result.success
    skipped = [e.materialization.metadata["skipped"].value for e in result.get_asset_materialization_events()]
    assert len(skipped) == 3 and all("has no shop on Shopee" in reason for reason in skipped)
    evaluations = result.get_asset_check_evaluations()
    assert {e.check_name for e in evaluations} == {
        "stock_dead_letter_empty",
        "price_dead_letter_empty",
        "no_held_price_drops",
    }
    assert all(e.passed for e in evaluations)
