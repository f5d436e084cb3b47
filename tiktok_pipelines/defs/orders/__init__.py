"""The orders area: channel orders, VTEX orders, their checks, the orders job and its polling schedule."""

import dagster as dg

from tiktok_pipelines.defs.orders.assets import ORDERS_ASSETS
from tiktok_pipelines.defs.orders.checks import webhook_dead_letter_empty
from tiktok_pipelines.defs.orders.jobs import order_polling_schedule, orders_job

defs = dg.Definitions(
    assets=ORDERS_ASSETS,
    asset_checks=[webhook_dead_letter_empty],
    jobs=[orders_job],
    schedules=[order_polling_schedule],
)
