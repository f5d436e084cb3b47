"""The order polling safety net."""

from tiktok_pipelines.core.names import ChannelName, Lane
from tiktok_pipelines.defs.automation import client_schedule, lane_job
from tiktok_pipelines.defs.keys import channel_key

orders_job = lane_job(
    Lane.ORDERS,
    "orders_job",
    description="Order details from each channel, then VTEX orders placed, authorized or cancelled.",
)


order_polling_schedule = client_schedule(
    "order_polling_schedule",
    orders_job,
    "*/10 * * * *",
    """Every 10 minutes, per authorized active client, an orders run that also searches TikTok for
    orders (and returns) changed since the last poll on each channel, with an overlapping window: an order whose
    webhooks never came is placed in VTEX all the same.""",
    "orders-poll",
    lane=Lane.ORDERS,
    run_config={
        "ops": {
            channel_key(channel, "orders").to_python_identifier(): {"config": {"poll": True}}
            for channel in (ChannelName.TIKTOK_SHOP, ChannelName.MERCADO_LIVRE, ChannelName.SHOPEE)
        }
    },
)
