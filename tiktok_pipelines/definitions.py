"""The one Definitions object of the project: assets, checks, sensors, schedules, jobs and resources."""

from __future__ import annotations

import dagster as dg

from tiktok_pipelines.assets.analytics import analytics_db, lake_compaction
from tiktok_pipelines.assets.feed import feed_products, feed_xml
from tiktok_pipelines.resources import build_resources
from tiktok_pipelines.schedules.analytics import (
    analytics_job,
    analytics_schedule,
    lake_compaction_job,
    lake_compaction_schedule,
)
from tiktok_pipelines.sensors.registry import client_registry_sensor
from tiktok_pipelines.settings import Settings

settings = Settings.load()

defs = dg.Definitions(
    assets=[feed_xml, feed_products, analytics_db, lake_compaction],
    jobs=[analytics_job, lake_compaction_job],
    sensors=[client_registry_sensor],
    schedules=[analytics_schedule, lake_compaction_schedule],
    resources=build_resources(settings),
)
