"""The one Definitions object of the project: assets, checks, sensors, schedules, jobs and resources."""

from __future__ import annotations

import dagster as dg

from tiktok_pipelines.assets.catalog import CATALOG_ASSETS
from tiktok_pipelines.assets.feed import feed_products, feed_xml
from tiktok_pipelines.assets.tiktok_auth import tiktok_tokens
from tiktok_pipelines.resources import build_resources
from tiktok_pipelines.schedules.catalog import catalog_daily_schedule, catalog_job
from tiktok_pipelines.schedules.tiktok import tiktok_token_job, tiktok_token_schedule
from tiktok_pipelines.sensors.feed import feed_change_sensor
from tiktok_pipelines.sensors.registry import client_registry_sensor
from tiktok_pipelines.settings import Settings

settings = Settings.load()

defs = dg.Definitions(
    assets=[feed_xml, feed_products, *CATALOG_ASSETS, tiktok_tokens],
    jobs=[tiktok_token_job, catalog_job],
    schedules=[tiktok_token_schedule, catalog_daily_schedule],
    sensors=[client_registry_sensor, feed_change_sensor],
    resources=build_resources(settings),
)
