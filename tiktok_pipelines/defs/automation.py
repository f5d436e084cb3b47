"""What the areas' jobs, schedules and sensors share: the clients a scheduled run is for, the lane job, and
schedule and sensor decorators that describe them in the UI."""

import inspect

import dagster as dg

from tiktok_pipelines.partitions import CLIENTS_PARTITION


def shop_clients(instance: dg.DagsterInstance, registry) -> list[str]:
    """The clients a scheduled run of the shop's lanes is for: active, with a TikTok shop, and with a
    partition already (the registry sensor adds it within a tick)."""
    return [
        client.client_id
        for client in registry.list()
        if client.status == "active"
        and client.tiktok_shop_id
        and instance.has_dynamic_partition(CLIENTS_PARTITION, client.client_id)
    ]


def lane_job(name: str, selection, description: str, **kwargs):
    """An asset job of one lane whose steps run one after another in the run's own process: no process
    to start per step, which is most of a small run's time."""
    return dg.define_asset_job(
        name,
        selection=selection,
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
    description, not its docstring)."""
    return _described(dg.schedule, kwargs)


def sensor(**kwargs):
    """`dg.sensor`, described in the Dagster UI by the function's docstring."""
    return _described(dg.sensor, kwargs)
