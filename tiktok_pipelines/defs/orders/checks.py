"""The orders area's checks.

`failed_orders_empty`, on `vtex_orders` (evaluated in its step): no order of the client waits for a
person.

The webhook dead letter, per client, as an asset check on `tiktok_shop/orders` (the first asset webhooks
feed): it fails while the client has events the queue sensor could not handle, and lists them.
It runs in every orders run, after the orders are placed. `webhook_queue_sensor` requests an orders run
for a client whenever the client's dead letter changes (an event moved there, retried or discarded), so
the check follows within a run's start; it can also be run by hand for any client partition.
"""

from collections.abc import Sequence

import dagster as dg

from tiktok_pipelines.defs.checks import client_asset_check, client_check_result
from tiktok_pipelines.defs.keys import tiktok_shop_key
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.stores.events import DeadLetter, EventDeadLetter
from tiktok_pipelines.stores.orders import OrderStore

FAILED_ORDERS_CHECK = "failed_orders_empty"


def failed_orders_check(store: OrderStore, client_id: str) -> dg.AssetCheckResult:
    """The orders of the client no run retries any more, listed with their reason."""
    given_up = store.given_up(client_id)
    rows = [
        {
            "order_id": r.order_id,
            "state": r.state,
            "since": r.updated_at.strftime("%Y-%m-%d %H:%M"),
            "reason": r.last_error,
        }
        for r in given_up
    ]
    return client_check_result(
        FAILED_ORDERS_CHECK,
        client_id,
        passed=not given_up,
        metadata={
            "failed_orders": len(given_up),
            "orders": md(markdown_table(rows, ["order_id", "state", "since", "reason"], limit=20, width=160)),
        },
        description=(
            f"{len(given_up)} TikTok order(s) of {client_id} that no run retries any more: "
            f"`tiktok-pipelines orders list {client_id} --failed`, then `orders reprocess`"
            if given_up
            else None
        ),
    )


def combined_check(results: list[dg.AssetCheckResult]) -> dg.AssetCheckResult:
    """One check result for the client's channels (each channel's order map checked on its own): the first
    that fails, else the first."""
    return next((r for r in results if not r.passed), results[0])


CHECK_NAME = "webhook_dead_letter_empty"
CHECKED_ASSET = tiktok_shop_key("orders")
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
    CHECKED_ASSET,
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
