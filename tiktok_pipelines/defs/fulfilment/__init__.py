"""The fulfilment area: invoices and shipments, the fulfilment job and its scan schedule."""

import dagster as dg

from tiktok_pipelines.defs.fulfilment.assets import (
    invoices,
    mercado_livre_shipments,
    mercado_livre_shipping_labels,
    shipments,
    shopee_invoices,
    shopee_shipments,
)
from tiktok_pipelines.defs.fulfilment.jobs import fulfilment_job, fulfilment_schedule

defs = dg.Definitions(
    assets=[
        invoices,
        shipments,
        mercado_livre_shipping_labels,
        mercado_livre_shipments,
        shopee_invoices,
        shopee_shipments,
    ],
    jobs=[fulfilment_job],
    schedules=[fulfilment_schedule],
)
