"""The whole Dagster graph as a snapshot: asset keys, groups, kinds, partitions, dependencies, checks,
jobs and what they select, schedules and sensors. An unintended change to the graph fails here; an
intended one is accepted with `pytest tiktok_pipelines_tests/test_graph.py --snapshot-update`."""

from __future__ import annotations

from typing import Any

import dagster as dg

from tiktok_pipelines import definitions


def _partitions(partitions_def: dg.PartitionsDefinition | None) -> str | None:
    if partitions_def is None:
        return None
    name = getattr(partitions_def, "name", None)
    return f"{type(partitions_def).__name__}({name})" if name else type(partitions_def).__name__


def graph_outline(defs: dg.Definitions) -> dict[str, Any]:
    """What a data engineer sees of the project in the Dagster UI, as plain data."""
    graph = defs.resolve_asset_graph()
    repo = defs.get_repository_def()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "partitions": _partitions(node.partitions_def),
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "checks": sorted(
                f"{c.name}{' (blocking)' if c.blocking else ''}"
                for c in (graph.get_check_spec(ck) for ck in node.check_keys)
            ),
        }
    jobs = {
        job.name: {
            "assets": sorted(k.to_user_string() for k in job.asset_layer.selected_asset_keys),
            "checks": sorted(k.to_user_string() for k in job.asset_layer.asset_graph.asset_check_keys),
            "partitions": _partitions(job.partitions_def),
            "executor": job.executor_def.name,
        }
        for job in sorted(repo.get_all_jobs(), key=lambda j: j.name)
        if not job.name.startswith("__")
    }
    schedules = {
        s.name: {
            "cron": s.cron_schedule,
            "timezone": s.execution_timezone,
            "job": s.job_name,
            "default_status": s.default_status.value,
        }
        for s in sorted(repo.schedule_defs, key=lambda s: s.name)
    }
    sensors = {
        s.name: {
            "jobs": sorted(t.job_name for t in s.targets),
            "minimum_interval_seconds": s.minimum_interval_seconds,
            "default_status": s.default_status.value,
        }
        for s in sorted(repo.sensor_defs, key=lambda s: s.name)
    }
    return {"assets": assets, "jobs": jobs, "schedules": schedules, "sensors": sensors}


def test_the_graph_is_what_it_was(snapshot):
    assert graph_outline(definitions.defs) == snapshot
