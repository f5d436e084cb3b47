"""The catalog area: the feed, its diff, VTEX enrichment, brands, categories and listings, the catalog job,
its nightly schedule and the feed-change sensor."""

import dagster as dg

from tiktok_pipelines.defs.catalog.assets import CATALOG_ASSETS
from tiktok_pipelines.defs.catalog.feed import feed_products, feed_xml
from tiktok_pipelines.defs.catalog.jobs import catalog_daily_schedule, catalog_job
from tiktok_pipelines.defs.catalog.sensors import feed_change_sensor

defs = dg.Definitions(
    assets=[feed_xml, feed_products, *CATALOG_ASSETS],
    jobs=[catalog_job],
    schedules=[catalog_daily_schedule],
    sensors=[feed_change_sensor],
)
