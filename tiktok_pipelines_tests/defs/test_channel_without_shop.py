"""A client that does not sell on a channel shows nothing failing for that channel."""

import dagster as dg

from tiktok_pipelines.defs import analytics, catalog, fulfilment, orders, stock_price
from tiktok_pipelines.defs.resources import build_resources
from tiktok_pipelines.partitions import CLIENTS_PARTITION, clients_partitions
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.stores.test_registry import FIELDS


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


def test_a_shop_that_must_authorize_again_still_fails(registry, instance, monkeypatch):
    monkeypatch.setenv("TIKTOK_APP_KEY", "app-key")
    monkeypatch.setenv("TIKTOK_APP_SECRET", "app-secret")
    client = _client_without_shop(registry, instance, client_id="loja-2")
    registry.set_status(client.client_id, "needs_reauthorization")
    inventory = next(a for a in _channel_assets("tiktok_shop") if a.key.path[1] == "inventory")

    result = dg.materialize(
        [inventory],
        partition_key=client.client_id,
        instance=instance,
        resources=build_resources(Settings.load()),
        raise_on_error=False,
    )

    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "must authorize the app again" in failure.event_specific_data.error.message


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
