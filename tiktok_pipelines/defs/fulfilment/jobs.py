"""The fulfilment lane's job and its safety-net schedule."""

from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.defs.automation import client_schedule, lane_job
from tiktok_pipelines.defs.channel_registry import CHANNELS

fulfilment_job = lane_job(
    Lane.FULFILMENT,
    "fulfilment_job",
    description="NF-e invoices from VTEX to the channels that take them, their verdicts, packages shipped and "
    "their tracking, on every channel the client sells on.",
)


_SCAN = {"config": {"scan": True}}

fulfilment_schedule = client_schedule(
    "fulfilment_schedule",
    fulfilment_job,
    "*/15 * * * *",
    """Every 15 minutes, per authorized active client, a fulfilment run that scans: orders VTEX invoiced
    without an event saying so (a lost callback or hook), NF-es waiting for a correction, uploads whose
    verdict never came, and the tracking of shipped packages not delivered yet.""",
    "fulfilment-scan",
    lane=Lane.FULFILMENT,
    run_config={
        "ops": {
            channel.key(name).to_python_identifier(): _SCAN
            for channel in CHANNELS
            if channel.capabilities.invoice_upload
            for name in ("invoices", "shipments")
        }
    },
)
