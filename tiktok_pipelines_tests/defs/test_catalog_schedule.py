"""catalog_daily_schedule: one catalog_job run per active client with a partition, keyed by day."""

from datetime import UTC, datetime

import dagster as dg

from tiktok_pipelines.defs.catalog.jobs import catalog_daily_schedule
from tiktok_pipelines.partitions import CLIENT_WRITES_TAG, CLIENTS_PARTITION
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.stores.test_registry import FIELDS


def test_one_run_per_active_client_per_day(registry, instance, resources):
    for client_id in ("a", "b", "paused", "no-partition"):
        registry.add(build_client(**{**FIELDS, "client_id": client_id}))
    registry.set_status("paused", "paused")
    instance.add_dynamic_partitions(CLIENTS_PARTITION, ["a", "b", "paused"])
    when = datetime(2026, 11, 2, 7, 30, tzinfo=UTC)
    with dg.build_schedule_context(
        instance=instance, scheduled_execution_time=when, resources={"state": resources["state"]}
    ) as context:
        requests = catalog_daily_schedule(context)
    assert [(r.partition_key, r.run_key) for r in requests] == [
        ("a", "catalog-daily:a:2026-11-02"),
        ("b", "catalog-daily:b:2026-11-02"),
    ]
    assert requests[0].tags[CLIENT_WRITES_TAG] == "a/catalog"


def test_catalog_job_runs_carry_the_clients_write_tag():
    """However a run is launched (a partition picked in the UI too), it is serialized per client."""
    from tiktok_pipelines import definitions

    job = definitions.defs.resolve_job_def("catalog_job")
    tags = job.partitioned_config.get_tags_for_partition_key("acme")
    assert tags[CLIENT_WRITES_TAG] == "acme/catalog"
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} >= {
        "feed_xml",
        "tiktok_shop/listings",
    }
