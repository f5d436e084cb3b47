"""The fulfilment area: invoices and shipments, the fulfilment job and its scan schedule."""

import dagster as dg

from tiktok_pipelines.defs.fulfilment.assets import FULFILMENT_ASSETS
from tiktok_pipelines.defs.fulfilment.jobs import fulfilment_job, fulfilment_schedule

defs = dg.Definitions(
    assets=FULFILMENT_ASSETS,
    jobs=[fulfilment_job],
    schedules=[fulfilment_schedule],
)
