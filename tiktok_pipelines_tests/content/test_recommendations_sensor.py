"""After analytics.duckdb is rebuilt, the recommendations run again for the connected creators linked to
a client, at most once a day each, and once more the day the client's first sales arrive."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from tiktok_pipelines.defs.analytics.assets import analytics_key
from tiktok_pipelines.defs.content.automation import creator_recommendations_sensor
from tiktok_pipelines.partitions import CREATORS_PARTITION
from tiktok_pipelines.sandbox.sales import generate_sales
from tiktok_pipelines.stores.creators import CreatorRegistry
from tiktok_pipelines.stores.registry import ClientRegistry, build_client
from tiktok_pipelines_tests.analytics.conftest import GENERATED, GENERATED_AS_OF
from tiktok_pipelines_tests.stores.test_registry import FIELDS


def evaluate(instance, resources, cursor=None):
    from tiktok_pipelines.definitions import defs

    repository = defs.get_repository_def()
    with (
        dg.partition_loading_context(dynamic_partitions_store=instance),
        dg.build_sensor_context(
            instance=instance, resources=resources, cursor=cursor, repository_def=repository
        ) as context,
    ):
        result = creator_recommendations_sensor.evaluate_tick(context)
    return result


def test_a_rebuilt_analytics_database_asks_one_run_a_day_per_creator_of_a_client(
    state_db, resources, instance
):
    ClientRegistry(state_db).add(build_client(**FIELDS))
    creators = CreatorRegistry(state_db)
    for creator_id, client_id in (("maria", "loja-1"), ("joao", None), ("ana", "loja-1")):
        creators.add(creator_id, client_id=client_id)
    for creator_id in ("maria", "joao"):  # ana never connected
        creators.mark_connected(creator_id, f"open-{creator_id}", ("video.list",))
    instance.add_dynamic_partitions(CREATORS_PARTITION, ["maria", "joao", "ana"])

    assert evaluate(instance, resources).run_requests == []  # no build yet
    instance.report_runless_asset_event(dg.AssetMaterialization(analytics_key("orders")))
    first = evaluate(instance, resources)
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    assert [(r.partition_key, r.run_key) for r in first.run_requests] == [
        ("maria", f"creator_recommendations:maria:{day}:no_sales")
    ]
    instance.report_runless_asset_event(dg.AssetMaterialization(analytics_key("orders")))
    again = evaluate(instance, resources, first.cursor)
    assert [r.run_key for r in again.run_requests] == [r.run_key for r in first.run_requests]  # one a day

    # The client's first sales arrive with a build: one more run that day, then no other.
    generate_sales(resources["lake"], GENERATED)
    resources["analytics"].refresh(resources["lake"], state_db, as_of=GENERATED_AS_OF)
    instance.report_runless_asset_event(dg.AssetMaterialization(analytics_key("orders")))
    sold = evaluate(instance, resources, again.cursor)
    assert [r.run_key for r in sold.run_requests] == [f"creator_recommendations:maria:{day}:sales"]
    assert evaluate(instance, resources, sold.cursor).run_requests == []  # nothing new built
