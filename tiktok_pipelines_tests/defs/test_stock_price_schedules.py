import datetime as dt

import dagster as dg

from tiktok_pipelines.defs.stock_price.jobs import (
    stock_price_full_job,
    stock_price_job,
    stock_price_nightly_schedule,
    stock_price_realtime_job,
    stock_price_schedule,
)
from tiktok_pipelines.partitions import CLIENT_WRITES_TAG, CLIENTS_PARTITION, client_write_tags
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.stores.test_registry import FIELDS

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
        assert {"vtex_stock", "vtex_prices", "tiktok_shop__inventory", "tiktok_shop__prices"} <= set(
            run_config["ops"]
        )
        assert config.get_tags_for_partition_key("demo")[CLIENT_WRITES_TAG] == "demo/stock_price"


def _run(instance, job: str, client_id: str, status: dg.DagsterRunStatus, run_id: str) -> None:
    """A run of the client's stock and price lane as the daemon leaves it (a queued run has an origin)."""
    from dagster._core.remote_origin import (
        RegisteredCodeLocationOrigin,
        RemoteJobOrigin,
        RemoteRepositoryOrigin,
    )

    origin = RemoteJobOrigin(
        RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("tiktok_pipelines"), "__repository__"), job
    )
    instance.add_run(
        dg.DagsterRun(
            job_name=job,
            run_id=run_id,
            status=status,
            tags=client_write_tags(client_id, "stock_price"),
            remote_job_origin=origin,
        )
    )


def _tick(instance, resources, when: dt.datetime):
    with dg.build_schedule_context(
        instance=instance, resources=resources, scheduled_execution_time=when
    ) as ctx:
        return stock_price_schedule(ctx)


def test_the_reconcile_runs_every_5_minutes_under_constant_realtime_traffic(registry, resources, instance):
    registry.add(build_client(**{**FIELDS, "client_id": "demo", "tiktok_shop_id": "111"}))
    instance.add_dynamic_partitions(CLIENTS_PARTITION, ["demo"])
    requested = []
    for minute in range(0, 31, 5):
        # VTEX notifications never stop: a realtime run holds the lane and the next one waits behind it.
        _run(instance, "stock_price_realtime_job", "demo", dg.DagsterRunStatus.STARTED, f"rt-run-{minute}")
        _run(instance, "stock_price_realtime_job", "demo", dg.DagsterRunStatus.QUEUED, f"rt-next-{minute}")
        result = _tick(instance, resources, WHEN + dt.timedelta(minutes=minute))
        assert not isinstance(result, dg.SkipReason), result.skip_message
        (request,) = result
        requested.append(request.run_key)
        # The realtime runs end; the reconcile runs behind them and ends before the next tick.
        for run_id in (f"rt-run-{minute}", f"rt-next-{minute}"):
            instance.delete_run(run_id)
        _run(instance, "stock_price_job", "demo", dg.DagsterRunStatus.SUCCESS, f"reconcile-{minute}")
    assert len(requested) == 7  # 10:25, 10:30, ... 10:55: every tick of the 31 minutes


def test_a_reconcile_still_on_its_way_is_named_in_the_skip_reason(registry, resources, instance):
    registry.add(build_client(**{**FIELDS, "client_id": "queued", "tiktok_shop_id": "111"}))
    registry.add(build_client(**{**FIELDS, "client_id": "slow", "tiktok_shop_id": "222"}))
    registry.add(build_client(**{**FIELDS, "client_id": "nightly", "tiktok_shop_id": "333"}))
    instance.add_dynamic_partitions(CLIENTS_PARTITION, ["queued", "slow", "nightly"])
    _run(instance, "stock_price_job", "queued", dg.DagsterRunStatus.QUEUED, "aaaaaaaa-queued")
    _run(instance, "stock_price_job", "slow", dg.DagsterRunStatus.STARTED, "bbbbbbbb-running")
    _run(instance, "stock_price_full_job", "nightly", dg.DagsterRunStatus.QUEUED, "cccccccc-full")
    result = _tick(instance, resources, WHEN)
    assert isinstance(result, dg.SkipReason)
    assert "queued: stock_price_job run aaaaaaaa is queued" in result.skip_message
    assert "slow: stock_price_job run bbbbbbbb is still running" in result.skip_message
    assert "nightly: stock_price_full_job run cccccccc is queued" in result.skip_message
    assert "no active" not in result.skip_message


def test_a_running_full_reconcile_does_not_hold_back_the_incremental(registry, resources, instance):
    registry.add(build_client(**{**FIELDS, "client_id": "demo", "tiktok_shop_id": "111"}))
    instance.add_dynamic_partitions(CLIENTS_PARTITION, ["demo"])
    _run(instance, "stock_price_full_job", "demo", dg.DagsterRunStatus.STARTED, "full-run")
    assert [r.partition_key for r in _tick(instance, resources, WHEN)] == ["demo"]


def test_without_clients_the_skip_reason_says_so(resources, instance):
    result = _tick(instance, resources, WHEN)
    assert result.skip_message == "no active client with a shop on a channel and a partition"


def test_while_the_reconcile_waits_notifications_wait_for_it(registry, resources, instance, state_db):
    """One run serves both: the queued incremental run claims the new notifications when it starts, so
    the queue sensor requests no realtime run behind it."""
    from tiktok_pipelines.defs.events.sensors import build_webhook_queue_sensor
    from tiktok_pipelines.defs.orders.jobs import orders_job
    from tiktok_pipelines.stores.events import DbEventQueue, EventLog
    from tiktok_pipelines.vtex.notifications import parse_vtex_notification

    registry.add(build_client(**{**FIELDS, "client_id": "demo", "tiktok_shop_id": "111"}))
    instance.add_dynamic_partitions(CLIENTS_PARTITION, ["demo"])
    sensor = build_webhook_queue_sensor({"orders": orders_job, "stock_price": stock_price_realtime_job})
    _run(instance, "stock_price_realtime_job", "demo", dg.DagsterRunStatus.STARTED, "rt-run")
    (request,) = _tick(instance, resources, WHEN)
    assert (
        request.partition_key == "demo"
    )  # the reconcile is requested although a realtime run holds the lane
    _run(instance, "stock_price_job", "demo", dg.DagsterRunStatus.QUEUED, "reconcile")

    queue = DbEventQueue(state_db)
    event = parse_vtex_notification(b'{"IdSku": "1001", "An": "loja", "StockModified": true}')
    queue.put(event)
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        result = sensor(context)
    assert result.run_requests == []
    logged = EventLog(state_db).get("vtex", event.event_id)
    assert (logged.client_id, logged.target, logged.status) == ("demo", "stock_price", "pending")
