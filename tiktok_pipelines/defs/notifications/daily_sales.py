"""The day's sales total: at 21:00 (São Paulo) each active client's orders paid that day and their
total, per channel, recorded as a `daily_sales` notification (the sender delivers it)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from tiktok_pipelines.defs.automation import active_clients, schedule
from tiktok_pipelines.defs.notifications.assets import GROUP
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.defs.resources.storage import ParquetLake
from tiktok_pipelines.lanes.notifications.daily_sales import daily_sales_notices
from tiktok_pipelines.partitions import clients_partitions
from tiktok_pipelines.stores.notifications import NotificationOutbox

SALES_TIMEZONE = "America/Sao_Paulo"
DAY_TAG = "tiktok_pipelines/day"


@dg.asset(
    key="daily_sales_notification", partitions_def=clients_partitions, group_name=GROUP, kinds={"parquet"}
)
def daily_sales_notification(context: dg.AssetExecutionContext, state: StateStore, lake: ParquetLake):
    """The client's sales of the day (the run's `tiktok_pipelines/day` tag, else today in São Paulo) per
    channel, from the lake's `orders`: orders paid that day and not cancelled, and what buyers paid,
    recorded as a notification once per day and channel."""
    client_id = context.partition_key
    day = context.run.tags.get(DAY_TAG) or datetime.now(ZoneInfo(SALES_TIMEZONE)).date().isoformat()
    found = daily_sales_notices(lake.lake(), client_id, datetime.fromisoformat(day).date(), SALES_TIMEZONE)
    recorded = NotificationOutbox(state.db).record(found)
    return dg.MaterializeResult(
        metadata={
            "client_id": client_id,
            "day": day,
            "recorded": len(recorded),
            "totals": md(
                markdown_table(
                    [n.facts | {"channel": n.channel} for n in found],
                    ["channel", "orders", "gross", "currency"],
                )
            ),
        }
    )


daily_sales_job = dg.define_asset_job(
    "daily_sales_job",
    selection=dg.AssetSelection.assets("daily_sales_notification"),
    partitions_def=clients_partitions,
    description="Records a client's sales total of the day (orders and gross per channel) as a notification.",
)


@schedule(
    name="daily_sales_schedule",
    cron_schedule="0 21 * * *",
    execution_timezone=SALES_TIMEZONE,
    job=daily_sales_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def daily_sales_schedule(context: dg.ScheduleEvaluationContext, state: StateStore):
    """Every day at 21:00 (São Paulo), per active client: the day's orders and gross per channel, one
    notification per client and channel."""
    day = context.scheduled_execution_time.astimezone(ZoneInfo(SALES_TIMEZONE)).date().isoformat()
    for client in active_clients(context.instance, state.registry, with_shop=False):
        yield dg.RunRequest(
            run_key=f"daily-sales:{client.client_id}:{day}",
            partition_key=client.client_id,
            tags={DAY_TAG: day},
        )
