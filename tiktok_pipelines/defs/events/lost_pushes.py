"""Shopee's lost pushes onto the event queue, every 5 minutes: the pushes Shopee gave up delivering
(listed for 3 days) become the events their delivery would have queued, and `webhook_queue_sensor` takes
them from there like any push."""

import dagster as dg

from tiktok_pipelines.channels.base import ChannelError
from tiktok_pipelines.defs.automation import sensor
from tiktok_pipelines.defs.resources.queue import EventQueue
from tiktok_pipelines.defs.resources.shopee import Shopee
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.lanes.missed_notifications import take_missed
from tiktok_pipelines.settings import ConfigError
from tiktok_pipelines.stores.channel_tokens import client_of_shop
from tiktok_pipelines.stores.events import EventDeadLetter

INTERVAL_SECONDS = 300  # Shopee's order search runs every 5 minutes too (`order_polling_schedule`)


@sensor(name="shopee_lost_push_sensor", minimum_interval_seconds=INTERVAL_SECONDS)
def shopee_lost_push_sensor(
    context: dg.SensorEvaluationContext, state: StateStore, shopee: Shopee, event_queue: EventQueue
) -> dg.SensorResult:
    """Every 5 minutes, the pushes Shopee could not deliver (`get_lost_push_message`, 100 a page, kept 3
    days) put on the event queue as the pushes they were (the same event ids, so one that also arrived
    live is one event), each page confirmed to Shopee only once its events are on the queue; a lost
    push that cannot be read goes to the webhook dead letter. Skipped while Shopee's partner app is
    not configured."""
    try:
        report = take_missed(
            shopee.channel(),
            event_queue.open(),
            EventDeadLetter(state.db),
            lambda shop_id: client_of_shop(state.db, shop_id) if shop_id else None,
            context.log,
        )
    except ConfigError as exc:
        return dg.SensorResult(skip_reason=f"Shopee is not configured: {exc}")
    except ChannelError as exc:
        return dg.SensorResult(skip_reason=f"Shopee's lost pushes could not be read this time: {exc}")
    summary = (
        f"{report.listed} lost push(es) in {report.pages} page(s): {report.queued} new on the event "
        f"queue, {report.dead_lettered} unreadable in the webhook dead letter"
        + ("; more wait for the next tick" if report.more else "")
    )
    if report.listed:
        context.log.info(summary)
    return dg.SensorResult(skip_reason=summary if report.listed else "Shopee lists no lost push")
