"""The events area: the client registry sensor, the webhook queue sensor, which requests the runs of
the lanes that events are for, and the sensor that queues Shopee's lost pushes."""

import dagster as dg

from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.defs.events.lost_pushes import shopee_lost_push_sensor
from tiktok_pipelines.defs.events.registry import client_registry_sensor
from tiktok_pipelines.defs.events.sensors import build_webhook_queue_sensor
from tiktok_pipelines.defs.fulfilment.jobs import fulfilment_job
from tiktok_pipelines.defs.orders.jobs import orders_job
from tiktok_pipelines.defs.stock_price.jobs import stock_price_realtime_job

webhook_queue_sensor = build_webhook_queue_sensor(
    {Lane.ORDERS: orders_job, Lane.FULFILMENT: fulfilment_job, Lane.STOCK_PRICE: stock_price_realtime_job}
)

defs = dg.Definitions(sensors=[client_registry_sensor, webhook_queue_sensor, shopee_lost_push_sensor])
