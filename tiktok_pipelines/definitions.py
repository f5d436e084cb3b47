"""The one Definitions object of the project: assets, checks, sensors, schedules, jobs and resources."""

from __future__ import annotations

import dagster as dg

from tiktok_pipelines.defs.analytics.assets import analytics_db, lake_compaction
from tiktok_pipelines.defs.analytics.jobs import (
    analytics_job,
    analytics_schedule,
    lake_compaction_job,
    lake_compaction_schedule,
)
from tiktok_pipelines.defs.analytics.performance import (
    product_performance_job,
    product_performance_schedule,
    tiktok_product_performance,
)
from tiktok_pipelines.defs.catalog.assets import CATALOG_ASSETS
from tiktok_pipelines.defs.catalog.feed import feed_products, feed_xml
from tiktok_pipelines.defs.catalog.jobs import catalog_daily_schedule, catalog_job
from tiktok_pipelines.defs.catalog.sensors import feed_change_sensor
from tiktok_pipelines.defs.events.registry import client_registry_sensor
from tiktok_pipelines.defs.events.sensors import build_webhook_queue_sensor
from tiktok_pipelines.defs.fulfilment.assets import invoices, shipments
from tiktok_pipelines.defs.fulfilment.jobs import fulfilment_job, fulfilment_schedule
from tiktok_pipelines.defs.orders.assets import tiktok_orders, vtex_orders
from tiktok_pipelines.defs.orders.checks import webhook_dead_letter_empty
from tiktok_pipelines.defs.orders.jobs import order_polling_schedule, orders_job
from tiktok_pipelines.defs.resources import build_resources
from tiktok_pipelines.defs.stock_price.assets import STOCK_PRICE_ASSETS
from tiktok_pipelines.defs.stock_price.jobs import (
    stock_price_full_job,
    stock_price_job,
    stock_price_nightly_schedule,
    stock_price_realtime_job,
    stock_price_schedule,
)
from tiktok_pipelines.defs.tokens.assets import tiktok_tokens
from tiktok_pipelines.defs.tokens.jobs import tiktok_token_job, tiktok_token_schedule
from tiktok_pipelines.settings import Settings

settings = Settings.load()

webhook_queue_sensor = build_webhook_queue_sensor(
    {"orders": orders_job, "fulfilment": fulfilment_job, "stock_price": stock_price_realtime_job}
)

defs = dg.Definitions(
    assets=[
        feed_xml,
        feed_products,
        *CATALOG_ASSETS,
        tiktok_tokens,
        tiktok_orders,
        vtex_orders,
        invoices,
        shipments,
        *STOCK_PRICE_ASSETS,
        tiktok_product_performance,
        analytics_db,
        lake_compaction,
    ],
    asset_checks=[webhook_dead_letter_empty],
    jobs=[
        tiktok_token_job,
        catalog_job,
        orders_job,
        fulfilment_job,
        stock_price_realtime_job,
        stock_price_job,
        stock_price_full_job,
        analytics_job,
        lake_compaction_job,
        product_performance_job,
    ],
    schedules=[
        tiktok_token_schedule,
        catalog_daily_schedule,
        order_polling_schedule,
        fulfilment_schedule,
        stock_price_schedule,
        stock_price_nightly_schedule,
        analytics_schedule,
        lake_compaction_schedule,
        product_performance_schedule,
    ],
    sensors=[client_registry_sensor, feed_change_sensor, webhook_queue_sensor],
    resources=build_resources(settings),
)
