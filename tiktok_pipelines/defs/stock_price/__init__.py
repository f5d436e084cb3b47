"""The stock and price area: VTEX reads, pushes to the channel, the realtime, incremental and full jobs and
their schedules."""

import dagster as dg

from tiktok_pipelines.defs.stock_price.assets import STOCK_PRICE_ASSETS
from tiktok_pipelines.defs.stock_price.jobs import (
    stock_price_full_job,
    stock_price_job,
    stock_price_nightly_schedule,
    stock_price_realtime_job,
    stock_price_schedule,
)

defs = dg.Definitions(
    assets=STOCK_PRICE_ASSETS,
    jobs=[stock_price_realtime_job, stock_price_job, stock_price_full_job],
    schedules=[stock_price_schedule, stock_price_nightly_schedule],
)
