"""Drains the event queue: records every event once, routes it, and requests the runs it needs.

Each event is handled on its own: one that fails goes back on the queue for another attempt after a
delay, and after its last attempt into the dead letter with its reason, while the others flow on.
"""

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Sequence

import dagster as dg

from tiktok_pipelines.defs.automation import sensor
from tiktok_pipelines.defs.channel_registry import CHANNELS
from tiktok_pipelines.defs.resources.queue import EventQueue
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.lanes.events import (
    MAX_ATTEMPTS,
    RETRY_DELAYS_SECONDS,
    EventHandler,
    EventSource,
    EventSources,
)
from tiktok_pipelines.partitions import CLIENTS_PARTITION, WAITING, client_write_tags, lane_has_run
from tiktok_pipelines.stores.events import EventDeadLetter
from tiktok_pipelines.vtex.notifications import VtexNotifications

BATCH = 100
MAX_EVENTS_PER_TICK = 2000
TICK_BUDGET_SECONDS = 40  # a sensor tick times out at 60 s

# Whose events the queue carries: each declared channel's notifications (`defs/channel_registry`), and
# VTEX's, with the registry field that finds an event's client by its routing key, or the lookup of the
# seller or shop a grant names, and the store of each channel's grants.
EVENT_SOURCES = EventSources(
    *(
        EventSource(
            channel.events.reader,
            client_field=channel.events.client_field,
            name=channel.events.said_as,
            channel=channel.name.value,
            find_client=channel.events.find_client,
            grants=channel.events.grants,
        )
        for channel in CHANNELS
    ),
    EventSource(VtexNotifications(), client_field="vtex_account", name="VTEX"),
)


def _dead_letter_changes(context, dead: EventDeadLetter, reported: dict) -> tuple[list[str], dict, int]:
    """The client partitions whose dead letter changed since the last tick (an event moved there,
    retried or discarded), the versions now seen, and how many letters are open."""
    versions = dead.versions()
    partitions = set(context.instance.get_dynamic_partitions(CLIENTS_PARTITION))
    changed = sorted(
        client_id
        for client_id, (_, version) in versions.items()
        if client_id in partitions and reported.get(client_id) != version
    )
    seen = {client_id: version for client_id, (_, version) in versions.items() if client_id}
    return changed, seen, sum(open_ for open_, _ in versions.values())


def build_webhook_queue_sensor(
    jobs_by_target: dict,
    max_attempts: int = MAX_ATTEMPTS,
    retry_delays_seconds: Sequence[float] = RETRY_DELAYS_SECONDS,
):
    """The sensor, requesting runs of `jobs_by_target[target]` (targets without a job stay pending). An
    event failing on its `max_attempts`-th delivery goes to the dead letter; before that it is taken
    again after `retry_delays_seconds[attempt - 1]`."""

    @sensor(
        name="webhook_queue_sensor",
        minimum_interval_seconds=5,
        jobs=list(jobs_by_target.values()),
    )
    def webhook_queue_sensor(
        context: dg.SensorEvaluationContext, state: StateStore, event_queue: EventQueue
    ) -> dg.SensorResult:
        """Takes verified webhooks (TikTok) and notifications (VTEX) off the event queue in bounded
        batches, records each once in the event log, does what needs no API call (product status, a
        deauthorized seller), and requests one run per client and target (orders, fulfilment, stock
        and prices) with a run key made of the event ids. Events leave the queue only once recorded.
        An event that fails is tried again later, and after its last attempt moved to the webhook dead
        letter with its reason (named in this tick's log, checked by `webhook_dead_letter_empty` per
        client, listed by `tiktok-pipelines webhooks dead-letter list`); the others flow on."""
        queue = event_queue.open()
        handler = EventHandler(state.db, EVENT_SOURCES, context.log, max_attempts, retry_delays_seconds)
        notes: list[str] = []
        started = time.monotonic()
        wanted: dict[tuple[str, str], list[str]] = defaultdict(list)
        counts: dict[str, int] = defaultdict(int)
        while counts["taken"] < MAX_EVENTS_PER_TICK and time.monotonic() - started < TICK_BUDGET_SECONDS:
            batch = queue.take(min(BATCH, MAX_EVENTS_PER_TICK - counts["taken"]))
            if not batch:
                break
            counts["taken"] += len(batch)
            done, failed = [], []
            for queued in batch:
                event = queued.event
                try:
                    handled = handler.handle(event)
                except Exception as exc:  # one event's failure is that event's alone
                    failed.append((queued, exc))
                    continue
                done.append(queued.handle)
                counts[handled.status] += 1
                target, client_id = handled.route.target, handled.client_id
                if handled.status == "pending" and client_id and target not in jobs_by_target:
                    context.log.info(
                        "no job handles %s events yet; event %s stays pending", target, event.event_id
                    )
                elif handled.status == "pending" and client_id and target:
                    wanted[(client_id, target)].append(event.event_id)
            queue.delete(done)
            for queued, exc in failed:
                failure = handler.failed(queue, queued, exc)
                counts["dead_lettered" if failure.dead_lettered else "failed"] += 1
                notes.append(failure.note)
        dead = EventDeadLetter(state.db)
        previous = json.loads(context.cursor) if context.cursor else {}
        changed, seen, open_letters = _dead_letter_changes(context, dead, previous.get("dead_letter", {}))
        # An orders run evaluates `webhook_dead_letter_empty`: one for each client whose letters changed.
        for client_id in changed if "orders" in jobs_by_target else []:
            if (client_id, "orders") not in wanted:
                wanted[(client_id, "orders")].append(f"dead-letter:{seen[client_id]}")
        requests = []
        for (client_id, target), event_ids in sorted(wanted.items()):
            tags = client_write_tags(client_id, target)
            if lane_has_run(context.instance, client_id, target, WAITING):
                continue  # a run that has not started yet will pick these events up
            digest = hashlib.blake2b(",".join(event_ids).encode(), digest_size=8).hexdigest()
            job = jobs_by_target[target]
            requests.append(
                dg.RunRequest(
                    run_key=f"{target}:{client_id}:{digest}",
                    job_name=job.name,
                    partition_key=client_id,
                    tags=tags,
                )
            )
        cursor = json.dumps({"dead_letter": seen}, sort_keys=True)
        waiting = (
            f"; {open_letters} event(s) in the webhook dead letter "
            "(`tiktok-pipelines webhooks dead-letter list`)"
            if open_letters
            else ""
        )
        if counts["taken"]:
            context.log.info("events: %s; runs requested: %d", dict(counts), len(requests))
        if requests:
            return dg.SensorResult(run_requests=requests, cursor=cursor)
        if not counts["taken"]:
            return dg.SensorResult(skip_reason=f"the event queue is empty{waiting}", cursor=cursor)
        summary = "; ".join([f"events: {dict(counts)}, no run needed", *notes])
        return dg.SensorResult(skip_reason=summary + waiting, cursor=cursor)

    return webhook_queue_sensor
