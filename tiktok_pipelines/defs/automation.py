"""What the areas' definitions share: a lane's assets and job, the clients a scheduled run is for and the
runs it requests, and schedule and sensor decorators that describe them in the UI (and start them running)."""

import inspect
from collections.abc import Iterable

import dagster as dg

from tiktok_pipelines.core.names import ChannelName, Lane
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.partitions import CLIENTS_PARTITION, client_write_tags, clients_partitions
from tiktok_pipelines.stores.channel_tokens import connected_channels
from tiktok_pipelines.stores.db import StateDB
from tiktok_pipelines.stores.registry import Client


class ConnectedChannels:
    """The channels each client has a shop on (a TikTok shop, a Mercado Livre seller account, a Shopee
    shop's grant), read once per evaluation."""

    def __init__(self, db: StateDB):
        self.db = db
        self._granted: dict[str, set[str]] | None = None

    def of(self, client: Client) -> set[ChannelName]:
        if self._granted is None:
            self._granted = connected_channels(self.db)
        found = {ChannelName(c) for c in self._granted.get(client.client_id, ())}
        if client.tiktok_shop_id:
            found.add(ChannelName.TIKTOK_SHOP)
        return found


def active_clients(instance: dg.DagsterInstance, registry, with_shop: bool = True) -> list[Client]:
    """The clients the lanes' schedules and the feed sensor work for: active, with a partition already (the
    registry sensor adds it within a tick) and, unless `with_shop` is False, with a shop on a channel (a
    TikTok shop, a Mercado Livre seller account, or a Shopee shop)."""
    partitions = set(instance.get_dynamic_partitions(CLIENTS_PARTITION))
    channels = ConnectedChannels(registry.db)
    return [
        client
        for client in registry.list()
        if client.status == "active"
        and client.client_id in partitions
        and (not with_shop or channels.of(client))
    ]


def client_runs(
    context: dg.ScheduleEvaluationContext,
    clients: Iterable[Client],
    run_key: str,
    *,
    stamp: str = "%Y%m%dT%H%M",
    lane: Lane | None = None,
    run_config: dict | None = None,
) -> list[dg.RunRequest]:
    """One run per client, keyed `<run_key>:<client_id>:<the tick's time as stamp>` (a tick asks once per
    client however often it is evaluated); with a `lane`, the run carries the client's write tag of it."""
    tick = context.scheduled_execution_time.strftime(stamp)
    return [
        dg.RunRequest(
            run_key=f"{run_key}:{client.client_id}:{tick}",
            partition_key=client.client_id,
            run_config=run_config,
            tags=client_write_tags(client.client_id, lane) if lane else None,
        )
        for client in clients
    ]


def client_schedule(
    name: str,
    job,
    cron_schedule: str,
    description: str,
    run_key: str,
    *,
    stamp: str = "%Y%m%dT%H%M",
    lane: Lane | None = None,
    run_config: dict | None = None,
    with_shop: bool = True,
    skip_reason: str | None = None,
    execution_timezone: str | None = None,
) -> dg.ScheduleDefinition:
    """A schedule of `job` that asks, every tick, one run per client the lanes work for (`active_clients`,
    with or without a shop), as `client_runs` keys and tags it. A tick with no client skips, with
    `skip_reason` when given."""

    def ask(context: dg.ScheduleEvaluationContext, state: StateStore):
        clients = active_clients(context.instance, state.registry, with_shop=with_shop)
        requests = client_runs(context, clients, run_key, stamp=stamp, lane=lane, run_config=run_config)
        if not requests and skip_reason:
            return dg.SkipReason(skip_reason)
        return requests

    ask.__doc__ = description
    return schedule(name=name, job=job, cron_schedule=cron_schedule, execution_timezone=execution_timezone)(
        ask
    )


def match_partitions(
    context: dg.SensorEvaluationContext, partition: str, registered: Iterable[str], what: str
) -> dg.SensorResult:
    """The requests that make the dynamic partitions `partition` hold exactly the `registered` keys: a
    partition added for each new one, deleted for each gone; skipped when they already match."""
    keys = set(registered)
    existing = set(context.instance.get_dynamic_partitions(partition))
    to_add, to_delete = sorted(keys - existing), sorted(existing - keys)
    requests: list = []
    if to_add:
        requests.append(dg.AddDynamicPartitionsRequest(partition, to_add))
    if to_delete:
        requests.append(dg.DeleteDynamicPartitionsRequest(partition, to_delete))
    if not requests:
        return dg.SensorResult(skip_reason=f"{len(existing)} {what} partitions match the registry")
    context.log.info("%s partitions: adding %s, deleting %s", what, to_add or "none", to_delete or "none")
    return dg.SensorResult(dynamic_partitions_requests=requests)


def lane_asset(lane: Lane, **kwargs):
    """`dg.asset` for an asset of a lane: one partition per client, in the lane's group."""
    return dg.asset(partitions_def=clients_partitions, group_name=lane.value, code_version="1", **kwargs)


def lane_job(lane: Lane, name: str, description: str, **kwargs):
    """The asset job of one lane (the assets of its group), whose steps run one after another in the run's
    own process: no process to start per step, which is most of a small run's time."""
    return dg.define_asset_job(
        name,
        selection=dg.AssetSelection.groups(lane.value),
        description=description,
        executor_def=dg.in_process_executor,
        **kwargs,
    )


def _described(decorator, kwargs: dict):
    def wrap(fn):
        return decorator(description=inspect.cleandoc(fn.__doc__ or ""), **kwargs)(fn)

    return wrap


def schedule(**kwargs):
    """`dg.schedule`, described in the Dagster UI by the function's docstring (Dagster shows a schedule's
    description, not its docstring), and running unless said otherwise."""
    return _described(dg.schedule, {"default_status": dg.DefaultScheduleStatus.RUNNING, **kwargs})


def job_schedule(name: str, job, cron_schedule: str, description: str) -> dg.ScheduleDefinition:
    """A schedule that starts one run of `job` every tick, running unless said otherwise."""
    return dg.ScheduleDefinition(
        name=name,
        job=job,
        cron_schedule=cron_schedule,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=description,
    )


def sensor(**kwargs):
    """`dg.sensor`, described in the Dagster UI by the function's docstring, and running unless said
    otherwise."""
    return _described(dg.sensor, {"default_status": dg.DefaultSensorStatus.RUNNING, **kwargs})


def asset_sensor(**kwargs):
    """`dg.asset_sensor`, described in the Dagster UI by the function's docstring, and running unless said
    otherwise."""
    return _described(dg.asset_sensor, {"default_status": dg.DefaultSensorStatus.RUNNING, **kwargs})
