import datetime as dt

import dagster as dg

from tiktok_pipelines.partitions import CLIENT_WRITES_TAG, CLIENTS_PARTITION, client_write_tags
from tiktok_pipelines.schedules.stock_price import (
    stock_price_full_job,
    stock_price_job,
    stock_price_nightly_schedule,
    stock_price_realtime_job,
    stock_price_schedule,
)
from tiktok_pipelines.state.registry import build_client
from tiktok_pipelines_tests.state.test_registry import FIELDS

WHEN = dt.datetime(2026, 11, 22, 10, 25, tzinfo=dt.UTC)


def _clients(registry, instance) -> None:
    registry.add(build_client(**{**FIELDS, "client_id": "ready", "tiktok_shop_id": "111"}))
    registry.add(build_client(**{**FIELDS, "client_id": "busy", "tiktok_shop_id": "444"}))
    registry.add(build_client(**{**FIELDS, "client_id": "no-shop"}))
    registry.add(build_client(**{**FIELDS, "client_id": "paused", "tiktok_shop_id": "2", "status": "paused"}))
    registry.add(build_client(**{**FIELDS, "client_id": "no-partition", "tiktok_shop_id": "333"}))
    instance.add_dynamic_partitions(CLIENTS_PARTITION, ["ready", "busy", "no-shop", "paused"])


def _evaluate(schedule, instance, resources) -> list[dg.RunRequest]:
    with dg.build_schedule_context(
        instance=instance, resources=resources, scheduled_execution_time=WHEN
    ) as ctx:
        result = schedule(ctx)
    return [] if isinstance(result, dg.SkipReason) else list(result)


def test_incremental_runs_each_ready_client_unless_its_last_run_is_still_going(registry, resources, instance):
    _clients(registry, instance)
    # A stock and price run of "busy" is still going: another would only pile up behind it.
    instance.add_run(
        dg.DagsterRun(
            job_name="stock_price_job",
            run_id="running-run",
            status=dg.DagsterRunStatus.STARTED,
            tags=client_write_tags("busy", "stock_price"),
        )
    )
    requests = _evaluate(stock_price_schedule, instance, resources)
    assert [r.partition_key for r in requests] == ["ready"]
    assert requests[0].tags[CLIENT_WRITES_TAG] == "ready/stock_price"
    assert requests[0].run_key == "stock-price:ready:20261122T1025"


def test_nightly_full_reconcile_for_every_ready_client(registry, resources, instance):
    _clients(registry, instance)
    requests = _evaluate(stock_price_nightly_schedule, instance, resources)
    assert [r.partition_key for r in requests] == ["busy", "ready"]
    assert {r.run_key for r in requests} == {
        "stock-price-full:busy:2026-11-22",
        "stock-price-full:ready:2026-11-22",
    }
    assert stock_price_nightly_schedule.execution_timezone == "America/Sao_Paulo"


def test_each_job_gives_every_asset_its_mode_and_the_write_tag():
    for job, mode in (
        (stock_price_realtime_job, "realtime"),
        (stock_price_job, "incremental"),
        (stock_price_full_job, "full"),
    ):
        config = job.config
        run_config = config.get_run_config_for_partition_key("demo")
        assert {op["config"]["mode"] for op in run_config["ops"].values()} == {mode}
        assert {"vtex_stock", "vtex_prices", "tiktok_inventory", "tiktok_prices"} <= set(run_config["ops"])
        assert config.get_tags_for_partition_key("demo")[CLIENT_WRITES_TAG] == "demo/stock_price"
