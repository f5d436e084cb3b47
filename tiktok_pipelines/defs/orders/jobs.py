"""The orders job and its polling safety net, each channel searched at its own cadence."""

import dagster as dg

from tiktok_pipelines.core.names import ChannelName, Lane
from tiktok_pipelines.defs.automation import (
    ConnectedChannels,
    active_clients,
    client_runs,
    lane_job,
    schedule,
)
from tiktok_pipelines.defs.channel_registry import CHANNELS
from tiktok_pipelines.defs.keys import channel_key
from tiktok_pipelines.defs.resources.state import StateStore

orders_job = lane_job(
    Lane.ORDERS,
    "orders_job",
    description="Order details from each channel, then VTEX orders placed, authorized or cancelled.",
)

# Minutes between two searches of a channel's orders, the net under its notifications: as each
# channel's declaration says (`defs/channel_registry/<channel>.py`).
POLL_MINUTES = {channel.name: channel.events.poll_minutes for channel in CHANNELS}
TICK_MINUTES = 5  # the schedule's tick: every cadence above is a multiple of it


def channels_due(minute_of_day: int) -> set[ChannelName]:
    """The channels whose orders are searched at this minute of the day."""
    return {channel for channel, every in POLL_MINUTES.items() if minute_of_day % every == 0}


@schedule(name="order_polling_schedule", job=orders_job, cron_schedule=f"*/{TICK_MINUTES} * * * *")
def order_polling_schedule(context: dg.ScheduleEvaluationContext, state: StateStore):
    """Every 5 minutes, per active client with a shop on a channel due then, an orders run that also
    searches that channel for orders (and returns) changed since its last poll, with an overlapping
    window, so an order whose notifications never came is placed in VTEX all the same: Shopee's every
    5 minutes, TikTok Shop's and Mercado Livre's every 10."""
    when = context.scheduled_execution_time
    due = channels_due(when.hour * 60 + when.minute)
    connected = ConnectedChannels(state.db)
    config = {
        "ops": {
            channel_key(channel, "orders").to_python_identifier(): {"config": {"poll": True}}
            for channel in sorted(due)
        }
    }
    requests = []
    for client in active_clients(context.instance, state.registry):
        if due & connected.of(client):
            requests += client_runs(context, [client], "orders-poll", lane=Lane.ORDERS, run_config=config)
    return requests or dg.SkipReason(f"no client has a shop on {', '.join(sorted(due))} to poll now")
