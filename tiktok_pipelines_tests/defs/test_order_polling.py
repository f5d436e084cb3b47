import datetime as dt

import dagster as dg

from tiktok_pipelines.defs.orders.jobs import order_polling_schedule
from tiktok_pipelines.partitions import CLIENT_WRITES_TAG, CLIENTS_PARTITION
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.stores.test_registry import FIELDS


def test_polls_each_active_authorized_client_with_a_partition(registry, resources, instance):
    registry.add(build_client(**{**FIELDS, "client_id": "ready", "tiktok_shop_id": "111"}))
    registry.add(build_client(**{**FIELDS, "client_id": "no-shop"}))
    registry.add(
        build_client(**{**FIELDS, "client_id": "paused", "tiktok_shop_id": "222", "status": "paused"})
    )
    registry.add(build_client(**{**FIELDS, "client_id": "no-partition", "tiktok_shop_id": "333"}))
    instance.add_dynamic_partitions(CLIENTS_PARTITION, ["ready", "no-shop", "paused"])
    when = dt.datetime(2026, 11, 22, 10, 20, tzinfo=dt.UTC)
    with dg.build_schedule_context(
        instance=instance, resources=resources, scheduled_execution_time=when
    ) as ctx:
        requests = list(order_polling_schedule(ctx))
    assert [r.partition_key for r in requests] == ["ready"]
    (request,) = requests
    assert request.run_config == {
        "ops": {
            "tiktok_shop__orders": {"config": {"poll": True}},
            "mercado_livre__orders": {"config": {"poll": True}},
            "shopee__orders": {"config": {"poll": True}},
        }
    }
    assert request.tags[CLIENT_WRITES_TAG] == "ready/orders"
    assert request.run_key == "orders-poll:ready:20261122T1020"


def test_a_client_selling_only_on_mercado_livre_is_polled_too(registry, resources, instance, state_db):
    from datetime import UTC, datetime, timedelta

    from pydantic import SecretStr

    from tiktok_pipelines.core.models.auth import Grant
    from tiktok_pipelines.stores.channel_tokens import ChannelTokenStore

    registry.add(build_client(**{**FIELDS, "client_id": "ml-only"}))
    registry.add(build_client(**{**FIELDS, "client_id": "nowhere"}))
    instance.add_dynamic_partitions(CLIENTS_PARTITION, ["ml-only", "nowhere"])
    now = datetime.now(UTC)
    grant = Grant(
        access_token=SecretStr("APP_USR-1"),
        access_token_expires_at=now + timedelta(hours=6),
        refresh_token=SecretStr("TG-1"),
        refresh_token_expires_at=now + timedelta(days=180),
        open_id="12345",
    )
    ChannelTokenStore(state_db, "mercado_livre").save_tokens("ml-only", grant)
    when = dt.datetime(2026, 11, 22, 10, 20, tzinfo=dt.UTC)
    with dg.build_schedule_context(
        instance=instance, resources=resources, scheduled_execution_time=when
    ) as ctx:
        requests = list(order_polling_schedule(ctx))
    assert [r.partition_key for r in requests] == ["ml-only"]


def polled_at(instance, resources, hour, minute):
    when = dt.datetime(2026, 11, 22, hour, minute, tzinfo=dt.UTC)
    with dg.build_schedule_context(
        instance=instance, resources=resources, scheduled_execution_time=when
    ) as ctx:
        result = order_polling_schedule(ctx)
    return {
        r.partition_key: sorted(k for k, v in r.run_config["ops"].items() if v["config"]["poll"])
        for r in (result if isinstance(result, list) else [])
    }


def test_shopee_orders_are_searched_every_five_minutes_and_the_others_every_ten(
    registry, resources, instance, state_db
):
    """Shopee disables pushes that fail and never sends the missed ones again: its search runs every 5
    minutes, for a client selling only there too; TikTok's every 10, as before."""
    from tiktok_pipelines_tests.sandbox.shopee_support import save_shop_grant

    registry.add(build_client(**{**FIELDS, "client_id": "tiktok", "tiktok_shop_id": "111"}))
    registry.add(build_client(**{**FIELDS, "client_id": "shopee-only"}))
    instance.add_dynamic_partitions(CLIENTS_PARTITION, ["tiktok", "shopee-only"])
    save_shop_grant(state_db, "shopee-only")
    assert order_polling_schedule.cron_schedule == "*/5 * * * *"
    every = ["mercado_livre__orders", "shopee__orders", "tiktok_shop__orders"]
    assert polled_at(instance, resources, 10, 20) == {"tiktok": every, "shopee-only": every}
    assert polled_at(instance, resources, 10, 25) == {"shopee-only": ["shopee__orders"]}
