"""Drains the event queue: records every event once, routes it, and requests the runs it needs.

Each event is handled on its own: one that fails goes back on the queue for another attempt after a
delay, and after its last attempt into the dead letter with its reason, while the others flow on.
"""

import hashlib
import json
import time
import traceback
from collections import defaultdict
from collections.abc import Sequence

import dagster as dg

from tiktok_pipelines.core.events import InboundEvent, Route, route_event
from tiktok_pipelines.defs.resources.queue import EventQueue
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.partitions import CLIENTS_PARTITION, WAITING, client_write_tags, lane_has_run
from tiktok_pipelines.stores.events import EventDeadLetter, EventLog, QueuedEvent
from tiktok_pipelines.stores.listings import ListingMap
from tiktok_pipelines.stores.orders import OrderStore
from tiktok_pipelines.stores.registry import Client, ClientRegistry

BATCH = 100
MAX_EVENTS_PER_TICK = 2000
TICK_BUDGET_SECONDS = 40  # a sensor tick times out at 60 s
# An event that fails is taken again after these delays (longer than a tick, so a tick never takes the
# same event twice); failing on its MAX_ATTEMPTS-th delivery, it goes to the dead letter.
MAX_ATTEMPTS = 3
RETRY_DELAYS_SECONDS = (60, 300)


class _Resolver:
    """Finds the client an event belongs to (TikTok shop id or VTEX account), with a per-tick cache."""

    def __init__(self, registry: ClientRegistry):
        self.registry = registry
        self.cache: dict[tuple[str, str], Client | None] = {}

    def client_of(self, event: InboundEvent) -> Client | None:
        key = (event.source, event.routing_key)
        if key not in self.cache:
            field = "tiktok_shop_id" if event.source == "tiktok" else "vtex_account"
            self.cache[key] = self.registry.find_by(**{field: event.routing_key})
        return self.cache[key]


def _apply_inline(context, state: StateStore, client: Client, event: InboundEvent, route: Route) -> str:
    """Does what needs no API call; returns the event's status (`pending` waits for a run)."""
    data = event.payload().get("data") or {}
    if route.action == "product_status":
        known = ListingMap(state.db).set_status(client.client_id, route.keys[0], str(data.get("status")))
        if not known:
            context.log.info("status of unknown TikTok product %s for %s", route.keys[0], client.client_id)
        return "handled"
    if route.action == "deauthorized":
        state.registry.set_status(client.client_id, "needs_reauthorization")
        context.log.error(
            "TikTok seller deauthorized the app for client %s; send `tiktok-pipelines oauth url %s`",
            client.client_id,
            client.client_id,
        )
        return "handled"
    if route.action == "authorization_expiring":
        context.log.warning(
            "TikTok authorization of client %s expires at %s; ask the seller to authorize again",
            client.client_id,
            data.get("expiration_time"),
        )
        return "handled"
    if route.action in ("vtex_order_status", "vtex_invoiced"):
        payload = event.payload()
        OrderStore(state.db).set_vtex_status(
            client.client_id, str(payload.get("OrderId")), str(payload.get("State"))
        )
    if route.action == "unknown_type":
        context.log.info(
            "event type %s from %s recorded and acknowledged (no handler)", event.event_type, event.source
        )
        return "ignored"
    return "pending" if route.target else "handled"


def _handle(
    context, state: StateStore, log: EventLog, orders: OrderStore, resolver: _Resolver, event: InboundEvent
) -> tuple[str, str | None, Route]:
    """Records and routes one event; returns its status (`unknown_client`, `duplicates`, or the status it
    was recorded with), its client and its route."""
    client = resolver.client_of(event)
    route = route_event(event)
    if client is None:
        log.record(event, None, route.target, route.action, route.keys, "ignored")
        context.log.warning(
            "no client for %s %s; event %s kept in the log as ignored",
            event.source,
            event.routing_key,
            event.event_id,
        )
        return "unknown_client", None, route
    status = _apply_inline(context, state, client, event, route)
    if not log.record(event, client.client_id, route.target, route.action, route.keys, status):
        # Recorded before: a redelivery, or a tick that died before its queue delete. Only an event
        # still pending needs its run requested again.
        logged = log.get(event.source, event.event_id)
        if logged is None or logged.status != "pending":
            return "duplicates", client.client_id, route
        status = "pending"
    if route.target == "orders":
        keys = list(route.keys)
        if route.action == "vtex_order_status":
            # The hook names the VTEX order; the order map is keyed by the TikTok order id.
            found = (orders.by_vtex_order_id(client.client_id, k) for k in keys)
            keys = [r.order_id for r in found if r is not None]
        orders.mark_for_sync(client.client_id, keys, route.action)
    return status, client.client_id, route


def _describe(event: InboundEvent) -> str:
    return f"{event.source} event {event.event_id} (type {event.event_type}, from {event.routing_key})"


def _reason(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:500]


class _Failures:
    """What a tick does with the events it failed to handle: another attempt later, or the dead letter."""

    def __init__(self, context, queue, dead: EventDeadLetter, resolver: _Resolver, max_attempts, delays):
        self.context, self.queue, self.dead, self.resolver = context, queue, dead, resolver
        self.max_attempts, self.delays = max_attempts, delays
        self.notes: list[str] = []

    def _client_id(self, event: InboundEvent) -> str | None:
        try:
            client = self.resolver.client_of(event)
        except Exception:
            return None
        return client.client_id if client else None

    def handle(self, queued: QueuedEvent, exc: Exception, counts: dict[str, int]) -> None:
        event, attempt, reason = queued.event, queued.deliveries, _reason(exc)
        if attempt >= self.max_attempts:
            trace = "".join(traceback.format_exception(exc))
            letter = self.dead.add(event, self._client_id(event), attempt, reason, trace)
            self.queue.delete([queued.handle])
            counts["dead_lettered"] += 1
            note = (
                f"{_describe(event)} failed {attempt} times, moved to the webhook dead letter as #{letter}: "
                f"{reason} (`tiktok-pipelines webhooks dead-letter show {letter}`)"
            )
            self.context.log.error(note)
        else:
            delay = self.delays[min(attempt, len(self.delays)) - 1]
            self.queue.retry_later(queued.handle, delay)
            counts["failed"] += 1
            note = (
                f"{_describe(event)} failed (attempt {attempt} of {self.max_attempts}, "
                f"again in {delay} s): {reason}"
            )
            self.context.log.warning(note)
        self.notes.append(note)


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

    @dg.sensor(
        name="webhook_queue_sensor",
        minimum_interval_seconds=5,
        default_status=dg.DefaultSensorStatus.RUNNING,
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
        log, orders, resolver = EventLog(state.db), OrderStore(state.db), _Resolver(state.registry)
        dead = EventDeadLetter(state.db)
        failures = _Failures(context, queue, dead, resolver, max_attempts, retry_delays_seconds)
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
                    status, client_id, route = _handle(context, state, log, orders, resolver, event)
                except Exception as exc:  # one event's failure is that event's alone
                    failed.append((queued, exc))
                    continue
                done.append(queued.handle)
                counts[status] += 1
                if status == "pending" and client_id and route.target not in jobs_by_target:
                    context.log.info(
                        "no job handles %s events yet; event %s stays pending", route.target, event.event_id
                    )
                elif status == "pending" and client_id:
                    wanted[(client_id, route.target)].append(event.event_id)
            queue.delete(done)
            for queued, exc in failed:
                failures.handle(queued, exc, counts)
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
        summary = "; ".join([f"events: {dict(counts)}, no run needed", *failures.notes])
        return dg.SensorResult(skip_reason=summary + waiting, cursor=cursor)

    return webhook_queue_sensor
