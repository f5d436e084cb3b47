"""The fulfilment lane's job and its safety-net schedule."""

import dagster as dg

from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.defs.automation import lane_job, schedule, shop_clients
from tiktok_pipelines.defs.keys import tiktok_shop_key
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.partitions import client_write_tags

fulfilment_job = lane_job(
    "fulfilment_job",
    selection=dg.AssetSelection.groups(Lane.FULFILMENT.value),
    description="NF-e invoices from VTEX to TikTok Shop, their verdicts, packages shipped and their tracking.",
)


@schedule(
    name="fulfilment_schedule",
    cron_schedule="*/15 * * * *",
    job=fulfilment_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def fulfilment_schedule(context: dg.ScheduleEvaluationContext, state: StateStore):
    """Every 15 minutes, per authorized active client, a fulfilment run that scans: orders VTEX invoiced
    without an event saying so (a lost callback or hook), NF-es waiting for a correction, uploads whose
    verdict never came, and the tracking of shipped packages not delivered yet."""
    stamp = context.scheduled_execution_time.strftime("%Y%m%dT%H%M")
    for client_id in shop_clients(context.instance, state.registry):
        yield dg.RunRequest(
            run_key=f"fulfilment-scan:{client_id}:{stamp}",
            partition_key=client_id,
            run_config={
                "ops": {
                    tiktok_shop_key("invoices").to_python_identifier(): {"config": {"scan": True}},
                    "shipments": {"config": {"scan": True}},
                }
            },
            tags=client_write_tags(client_id, Lane.FULFILMENT),
        )
