"""The order polling safety net."""

import dagster as dg

from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.defs.automation import active_clients, client_runs, lane_job, schedule
from tiktok_pipelines.defs.keys import tiktok_shop_key
from tiktok_pipelines.defs.resources.state import StateStore

orders_job = lane_job(
    Lane.ORDERS,
    "orders_job",
    description="Order details from TikTok, then VTEX orders placed, authorized or cancelled.",
)


@schedule(
    name="order_polling_schedule",
    cron_schedule="*/10 * * * *",
    job=orders_job,
)
def order_polling_schedule(context: dg.ScheduleEvaluationContext, state: StateStore):
    """Every 10 minutes, per authorized active client, an orders run that also searches TikTok for
    orders (and returns) changed since the last poll, with an overlapping window: an order whose
    webhooks never came is placed in VTEX all the same."""
    return client_runs(
        context,
        active_clients(context.instance, state.registry),
        "orders-poll",
        lane=Lane.ORDERS,
        run_config={"ops": {tiktok_shop_key("orders").to_python_identifier(): {"config": {"poll": True}}}},
    )
