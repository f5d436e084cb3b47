"""The order polling safety net."""

import dagster as dg

from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.defs.automation import lane_job, schedule, shop_clients
from tiktok_pipelines.defs.keys import tiktok_shop_key
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.partitions import client_write_tags

orders_job = lane_job(
    "orders_job",
    selection=dg.AssetSelection.groups(Lane.ORDERS.value),
    description="Order details from TikTok, then VTEX orders placed, authorized or cancelled.",
)


@schedule(
    name="order_polling_schedule",
    cron_schedule="*/10 * * * *",
    job=orders_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def order_polling_schedule(context: dg.ScheduleEvaluationContext, state: StateStore):
    """Every 10 minutes, per authorized active client, an orders run that also searches TikTok for
    orders (and returns) changed since the last poll, with an overlapping window: an order whose
    webhooks never came is placed in VTEX all the same."""
    stamp = context.scheduled_execution_time.strftime("%Y%m%dT%H%M")
    for client_id in shop_clients(context.instance, state.registry):
        yield dg.RunRequest(
            run_key=f"orders-poll:{client_id}:{stamp}",
            partition_key=client_id,
            run_config={
                "ops": {tiktok_shop_key("orders").to_python_identifier(): {"config": {"poll": True}}}
            },
            tags=client_write_tags(client_id, Lane.ORDERS),
        )
