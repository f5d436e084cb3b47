"""The fulfilment lane's job and its safety-net schedule."""

import dagster as dg

from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.defs.automation import active_clients, client_runs, lane_job, schedule
from tiktok_pipelines.defs.keys import tiktok_shop_key
from tiktok_pipelines.defs.resources.state import StateStore

fulfilment_job = lane_job(
    Lane.FULFILMENT,
    "fulfilment_job",
    description="NF-e invoices from VTEX to TikTok Shop, their verdicts, packages shipped and their tracking.",
)


@schedule(
    name="fulfilment_schedule",
    cron_schedule="*/15 * * * *",
    job=fulfilment_job,
)
def fulfilment_schedule(context: dg.ScheduleEvaluationContext, state: StateStore):
    """Every 15 minutes, per authorized active client, a fulfilment run that scans: orders VTEX invoiced
    without an event saying so (a lost callback or hook), NF-es waiting for a correction, uploads whose
    verdict never came, and the tracking of shipped packages not delivered yet."""
    scan = {"config": {"scan": True}}
    return client_runs(
        context,
        active_clients(context.instance, state.registry),
        "fulfilment-scan",
        lane=Lane.FULFILMENT,
        run_config={"ops": {tiktok_shop_key("invoices").to_python_identifier(): scan, "shipments": scan}},
    )
