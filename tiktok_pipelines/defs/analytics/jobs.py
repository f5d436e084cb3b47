"""Refreshing the analytics database, and compacting the lake at night."""

from datetime import UTC, datetime, timedelta

import dagster as dg

from tiktok_pipelines.analytics.refresh import inputs_fingerprint
from tiktok_pipelines.defs.analytics.assets import analytics_key, lake_compaction
from tiktok_pipelines.defs.analytics.performance import (
    tiktok_live_performance,
    tiktok_product_performance,
    tiktok_shop_performance,
    tiktok_video_performance,
)
from tiktok_pipelines.defs.automation import client_schedule, schedule
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.defs.resources.storage import ParquetLake

# Ongoing stock-outs grow longer with time: rebuild at least this often even if no input changed.
MAX_BUILD_AGE = timedelta(hours=24)
FINGERPRINT_TAG = "tiktok_pipelines/inputs_fingerprint"

analytics_job = dg.define_asset_job(
    "analytics_job",
    selection=dg.AssetSelection.key_prefixes(["analytics"]),
    description="Build and publish analytics.duckdb.",
)

lake_compaction_job = dg.define_asset_job(
    "lake_compaction_job",
    selection=dg.AssetSelection.assets(lake_compaction),
    description="Merge each client's append-only lake parts.",
)

product_performance_job = dg.define_asset_job(
    "product_performance_job",
    selection=dg.AssetSelection.assets(
        tiktok_product_performance, tiktok_shop_performance, tiktok_video_performance, tiktok_live_performance
    ),
    description="TikTok's shop, product, video and LIVE performance of the last days, per client.",
)


@schedule(
    name="analytics_schedule",
    job=analytics_job,
    cron_schedule="5 * * * *",
    execution_timezone="UTC",
)
def analytics_schedule(
    context: dg.ScheduleEvaluationContext, lake: ParquetLake, state: StateStore
) -> dg.RunRequest | dg.SkipReason:
    """Every hour, rebuilds analytics.duckdb when the lake's parts or the webhook event log changed since
    the last build (or that build is a day old); otherwise skips, so a quiet night costs nothing."""
    fingerprint = inputs_fingerprint(lake, state.db)
    built, age = last_build(context.instance)
    if built == fingerprint and age is not None and age < MAX_BUILD_AGE:
        return dg.SkipReason(f"nothing changed since the build of {age.total_seconds() / 60:.0f} minutes ago")
    return dg.RunRequest(tags={FINGERPRINT_TAG: fingerprint})


def last_build(instance: dg.DagsterInstance) -> tuple[str | None, timedelta | None]:
    """The inputs fingerprint of the last build of analytics.duckdb and its age (None, None: never built)."""
    last = instance.get_latest_materialization_event(analytics_key("orders"))
    if last is None or last.asset_materialization is None:
        return None, None
    built = last.asset_materialization.metadata.get("inputs_fingerprint")
    age = datetime.now(UTC) - datetime.fromtimestamp(last.timestamp, UTC)
    return (built.value if built is not None else None), age


@schedule(
    name="lake_compaction_schedule",
    job=lake_compaction_job,
    cron_schedule="30 3 * * *",
    execution_timezone="UTC",
)
def lake_compaction_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Every night at 03:30 UTC (00:30 in Brazil, the quietest hour), compacts the lake's append-only
    tables of every client that has piled up parts."""
    return dg.RunRequest()


product_performance_schedule = client_schedule(
    "product_performance_schedule",
    product_performance_job,
    "30 5 * * *",
    "Every morning (05:30 UTC, after TikTok closes the day), per authorized active client.",
    "performance",
    stamp="%Y%m%d",
)
