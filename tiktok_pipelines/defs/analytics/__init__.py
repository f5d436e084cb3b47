"""The analytics area: channel performance, the DuckDB build for analysts and the lake's compaction."""

import dagster as dg

from tiktok_pipelines.defs.analytics.assets import analytics_db, lake_compaction
from tiktok_pipelines.defs.analytics.freshness import analytics_freshness_sensor
from tiktok_pipelines.defs.analytics.jobs import (
    analytics_job,
    analytics_schedule,
    lake_compaction_job,
    lake_compaction_schedule,
    product_performance_job,
    product_performance_schedule,
)
from tiktok_pipelines.defs.analytics.performance import (
    tiktok_live_performance,
    tiktok_product_performance,
    tiktok_shop_performance,
    tiktok_video_performance,
)

defs = dg.Definitions(
    assets=[
        tiktok_product_performance,
        tiktok_shop_performance,
        tiktok_video_performance,
        tiktok_live_performance,
        analytics_db,
        lake_compaction,
    ],
    jobs=[analytics_job, lake_compaction_job, product_performance_job],
    schedules=[analytics_schedule, lake_compaction_schedule, product_performance_schedule],
    sensors=[analytics_freshness_sensor],
)
