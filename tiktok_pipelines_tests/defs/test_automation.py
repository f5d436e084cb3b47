"""What the areas' schedules share: the clients a scheduled run is for, and one run request per client."""

import datetime as dt

import dagster as dg
import pytest

from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.defs.analytics.jobs import product_performance_schedule
from tiktok_pipelines.defs.automation import active_clients, client_runs
from tiktok_pipelines.defs.notifications.daily_sales import daily_sales_schedule
from tiktok_pipelines.partitions import CLIENT_WRITES_TAG, CLIENTS_PARTITION
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.stores.test_registry import FIELDS

WHEN = dt.datetime(2026, 11, 22, 5, 30, tzinfo=dt.UTC)


@pytest.fixture
def clients(registry, instance):
    registry.add(build_client(**{**FIELDS, "client_id": "ready", "tiktok_shop_id": "111"}))
    registry.add(build_client(**{**FIELDS, "client_id": "no-shop"}))
    registry.add(build_client(**{**FIELDS, "client_id": "paused", "tiktok_shop_id": "2", "status": "paused"}))
    registry.add(build_client(**{**FIELDS, "client_id": "no-partition", "tiktok_shop_id": "333"}))
    instance.add_dynamic_partitions(CLIENTS_PARTITION, ["ready", "no-shop", "paused"])
    return registry


def test_scheduled_runs_are_for_active_clients_with_a_partition_and_a_shop(clients, instance):
    assert [c.client_id for c in active_clients(instance, clients)] == ["ready"]
    assert [c.client_id for c in active_clients(instance, clients, with_shop=False)] == ["no-shop", "ready"]


def test_one_run_per_client_keyed_by_the_tick(clients, instance):
    with dg.build_schedule_context(instance=instance, scheduled_execution_time=WHEN) as context:
        ready = active_clients(instance, clients)
        (scan,) = client_runs(context, ready, "scan", lane=Lane.FULFILMENT, run_config={"ops": {}})
        (daily,) = client_runs(context, ready, "daily", stamp="%Y-%m-%d")
    assert (scan.partition_key, scan.run_key, scan.run_config) == (
        "ready",
        "scan:ready:20261122T0530",
        {"ops": {}},
    )
    assert scan.tags[CLIENT_WRITES_TAG] == "ready/fulfilment"
    assert daily.run_key == "daily:ready:2026-11-22" and CLIENT_WRITES_TAG not in daily.tags


def test_product_performance_is_asked_once_a_day_per_ready_client(clients, instance, resources):
    with dg.build_schedule_context(
        instance=instance, resources=resources, scheduled_execution_time=WHEN
    ) as context:
        requests = list(product_performance_schedule(context))
    assert [(r.partition_key, r.run_key) for r in requests] == [("ready", "performance:ready:20261122")]


def test_daily_sales_are_asked_once_a_day_per_active_client(clients, instance, resources):
    with dg.build_schedule_context(
        instance=instance, resources=resources, scheduled_execution_time=WHEN
    ) as context:
        requests = list(daily_sales_schedule(context))
    assert [(r.partition_key, r.run_key) for r in requests] == [
        ("no-shop", "daily-sales:no-shop:2026-11-22"),
        ("ready", "daily-sales:ready:2026-11-22"),
    ]


def test_every_schedule_asks_runs_whose_config_its_job_accepts(clients, instance, resources):
    from tiktok_pipelines.definitions import defs

    repository = defs.get_repository_def()
    checked = []
    for schedule in repository.schedule_defs:
        job = repository.get_job(schedule.job_name)
        with dg.build_schedule_context(
            instance=instance,
            resources=resources,
            scheduled_execution_time=WHEN,
            repository_def=repository,
        ) as context:
            result = schedule.evaluate_tick(context)
        for request in result.run_requests or []:
            if request.run_config:
                dg.validate_run_config(job, request.run_config)
                checked.append(schedule.name)
    assert {"fulfilment_schedule", "order_polling_schedule"} <= set(checked)
