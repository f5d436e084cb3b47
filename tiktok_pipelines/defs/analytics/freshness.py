"""Keeping analytics.duckdb fresh between the hourly builds, where a deployment asks for it (the demo)."""

from datetime import timedelta

import dagster as dg

from tiktok_pipelines.analytics.refresh import inputs_fingerprint
from tiktok_pipelines.defs.analytics.jobs import FINGERPRINT_TAG, analytics_job, last_build
from tiktok_pipelines.defs.automation import sensor
from tiktok_pipelines.defs.resources.analytics import AnalyticsDatabase
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.defs.resources.storage import ParquetLake

TICK_SECONDS = 30
IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


@sensor(
    job=analytics_job, minimum_interval_seconds=TICK_SECONDS, default_status=dg.DefaultSensorStatus.RUNNING
)
def analytics_freshness_sensor(
    context: dg.SensorEvaluationContext, analytics: AnalyticsDatabase, lake: ParquetLake, state: StateStore
) -> dg.RunRequest | dg.SkipReason:
    """With TIKTOK_PIPELINES_ANALYTICS_FRESH_MINUTES set (the demo sets 2), builds analytics.duckdb at
    once when it was never built, and again when its inputs (lake parts, webhook event log) changed and
    the last build is at least that many minutes old, so the dashboard shows numbers minutes old rather
    than up to an hour. Never while an analytics_job run is queued or running (builds share a pool of
    one). Off (0) by default: analytics_schedule's hourly build then suffices."""
    if analytics.fresh_minutes <= 0:
        return dg.SkipReason(
            "off: TIKTOK_PIPELINES_ANALYTICS_FRESH_MINUTES is 0 (the hourly schedule builds)"
        )
    busy = context.instance.get_run_records(
        dg.RunsFilter(job_name=analytics_job.name, statuses=IN_FLIGHT), limit=1
    )
    if busy:
        return dg.SkipReason("an analytics build is queued or running")
    built, age = last_build(context.instance)
    if age is not None and age < timedelta(minutes=analytics.fresh_minutes):
        return dg.SkipReason(f"the last build is {age.total_seconds():.0f} s old")
    fingerprint = inputs_fingerprint(lake, state.db)
    if built == fingerprint:
        return dg.SkipReason("nothing changed since the last build")
    return dg.RunRequest(run_key=f"fresh:{fingerprint}", tags={FINGERPRINT_TAG: fingerprint})
