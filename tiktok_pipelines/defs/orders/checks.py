"""The webhook dead letter, per client, as an asset check on `tiktok_orders` (the first asset webhooks
feed): it fails while the client has events the queue sensor could not handle, and lists them.

It runs in every orders run, after the orders are placed. `webhook_queue_sensor` requests an orders run
for a client whenever the client's dead letter changes (an event moved there, retried or discarded), so
the check follows within a run's start; it can also be run by hand for any client partition.
"""

from collections.abc import Sequence

import dagster as dg

from tiktok_pipelines.defs.checks import client_asset_check
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.stores.events import DeadLetter, EventDeadLetter

CHECK_NAME = "webhook_dead_letter_empty"
CHECKED_ASSET = dg.AssetKey("tiktok_orders")
CHECK_KEY = dg.AssetCheckKey(CHECKED_ASSET, CHECK_NAME)
# The in-process executor runs higher priorities first: the check waits until the orders are placed.
AFTER_THE_ORDERS = {"dagster/priority": "-1"}


def dead_letter_check(client_id: str, letters: Sequence[DeadLetter]) -> dict:
    """What the check says about a client's open letters: the keyword arguments of its result, which
    name the client (its partition) and list the events."""
    rows = (
        {
            "id": letter.id,
            "event": f"{letter.source}:{letter.event_type} {letter.event_id}",
            "attempts": letter.attempts,
            "failed_at": f"{letter.failed_at:%Y-%m-%d %H:%M:%S}",
            "error": letter.error,
        }
        for letter in letters
    )
    if letters:
        description = (
            f"{len(letters)} webhook event(s) of {client_id} could not be handled: "
            f"`tiktok-pipelines webhooks dead-letter list --client {client_id}`, then `retry` or `discard`"
        )
    else:
        description = f"No webhook event of {client_id} waits in the dead letter."
    return {
        "passed": not letters,
        "severity": dg.AssetCheckSeverity.WARN,
        "description": description,
        "metadata": {
            "client_id": client_id,
            "dead_letter": len(letters),
            "events": md(markdown_table(rows, ["id", "event", "attempts", "failed_at", "error"], 20, 100)),
        },
    }


@client_asset_check(
    CHECKED_ASSET.to_user_string(),
    CHECK_NAME,
    "No webhook or notification of the client sits in the event dead letter (events the queue sensor "
    "failed to handle on every attempt; `tiktok-pipelines webhooks dead-letter`).",
    op_tags=AFTER_THE_ORDERS,
)
def webhook_dead_letter_empty(
    context: dg.AssetCheckExecutionContext, state: StateStore
) -> dg.AssetCheckResult:
    client_id = context.partition_key
    return dg.AssetCheckResult(
        **dead_letter_check(client_id, EventDeadLetter(state.db).list(client_id=client_id))
    )
