"""The client's notification outbox as an asset: what was delivered, what waits and what failed, with
the check `failed_notifications_empty` (no delivery given up). `notification_sender_sensor` requests a
run for a client whenever its count of failed deliveries changes, so the check follows within a tick."""

import dagster as dg

from tiktok_pipelines.defs.checks import client_check, client_check_result
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.partitions import clients_partitions
from tiktok_pipelines.stores.notifications import NotificationOutbox

GROUP = "notifications"
FAILED_CHECK = "failed_notifications_empty"
COLUMNS = ["id", "kind", "channel", "destination", "state", "attempts", "created_at", "last_error"]


@dg.asset(
    key="notification_outbox",
    partitions_def=clients_partitions,
    group_name=GROUP,
    kinds={"sqlite"},
    check_specs=[
        client_check(
            FAILED_CHECK,
            "notification_outbox",
            "No notification of the client was given up: every one reached each destination it was for "
            "(`tiktok-pipelines notifications list --state failed`, then `notifications retry`).",
        )
    ],
)
def notification_outbox(context: dg.AssetExecutionContext, state: StateStore):
    """The client's notifications and their delivery to each destination (email, chat): counts per state
    and the latest ones. Written by the lanes with the changes they tell of; sent by
    `notification_sender_sensor`."""
    client_id = context.partition_key
    outbox = NotificationOutbox(state.db)
    counts = outbox.counts(client_id)
    failed = outbox.failed(client_id, limit=20)
    yield dg.MaterializeResult(
        metadata={
            "client_id": client_id,
            **{f"deliveries_{name}": n for name, n in counts.items()},
            "latest": md(markdown_table(outbox.listing(client_id, limit=20), COLUMNS, limit=20, width=80)),
        }
    )
    yield client_check_result(
        FAILED_CHECK,
        client_id,
        passed=not failed,
        metadata={"failed": counts["failed"], "deliveries": md(markdown_table(failed, COLUMNS, 20, 100))},
        description=(
            f"{counts['failed']} notification delivery(ies) of {client_id} given up: "
            f"`tiktok-pipelines notifications list {client_id} --state failed`, then "
            f"`tiktok-pipelines notifications retry {client_id}`"
            if failed
            else None
        ),
    )


notifications_job = dg.define_asset_job(
    "notifications_job",
    selection=dg.AssetSelection.assets("notification_outbox"),
    partitions_def=clients_partitions,
    description="Reports a client's notification outbox and checks that no delivery was given up.",
)
