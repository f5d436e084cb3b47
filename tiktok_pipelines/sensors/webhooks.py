"""Drains the event queue: records every event once, routes it, and requests the runs it needs."""

import hashlib
import time
from collections import defaultdict

import dagster as dg

from tiktok_pipelines.domain.events import InboundEvent, Route, route_event
from tiktok_pipelines.partitions import WAITING, client_write_tags, lane_has_run
from tiktok_pipelines.resources.queue import EventQueue
from tiktok_pipelines.resources.state import StateStore
from tiktok_pipelines.state.events import EventLog
from tiktok_pipelines.state.listings import ListingMap
from tiktok_pipelines.state.orders import OrderStore
from tiktok_pipelines.state.registry import Client, ClientRegistry

BATCH = 100
MAX_EVENTS_PER_TICK = 2000
TICK_BUDGET_SECONDS = 40  # a sensor tick times out at 60 s


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


def build_webhook_queue_sensor(jobs_by_target: dict):
    """The sensor, requesting runs of `jobs_by_target[target]` (targets without a job stay pending)."""

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
        and prices) with a run key made of the event ids. Events leave the queue only once recorded."""
        queue = event_queue.open()
        log, orders, resolver = EventLog(state.db), OrderStore(state.db), _Resolver(state.registry)
        started = time.monotonic()
        wanted: dict[tuple[str, str], list[str]] = defaultdict(list)
        counts: dict[str, int] = defaultdict(int)
        while counts["taken"] < MAX_EVENTS_PER_TICK and time.monotonic() - started < TICK_BUDGET_SECONDS:
            batch = queue.take(min(BATCH, MAX_EVENTS_PER_TICK - counts["taken"]))
            if not batch:
                break
            counts["taken"] += len(batch)
            for queued in batch:
                event = queued.event
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
                    counts["unknown_client"] += 1
                    continue
                status = _apply_inline(context, state, client, event, route)
                if status == "pending" and route.target not in jobs_by_target:
                    context.log.info(
                        "no job handles %s events yet; event %s stays pending", route.target, event.event_id
                    )
                if not log.record(event, client.client_id, route.target, route.action, route.keys, status):
                    # Recorded before: a redelivery, or a tick that died before its queue delete. Only
                    # an event still pending needs its run requested again.
                    logged = log.get(event.source, event.event_id)
                    if logged is None or logged.status != "pending":
                        counts["duplicates"] += 1
                        continue
                    status = "pending"
                counts[status] += 1
                if route.target == "orders":
                    keys = list(route.keys)
                    if route.action == "vtex_order_status":
                        # The hook names the VTEX order; the order map is keyed by the TikTok order id.
                        found = (orders.by_vtex_order_id(client.client_id, k) for k in keys)
                        keys = [r.order_id for r in found if r is not None]
                    orders.mark_for_sync(client.client_id, keys, route.action)
                if status == "pending" and route.target in jobs_by_target:
                    wanted[(client.client_id, route.target)].append(event.event_id)
            queue.delete([q.handle for q in batch])
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
        if not counts["taken"]:
            return dg.SensorResult(skip_reason="the event queue is empty")
        context.log.info("events: %s; runs requested: %d", dict(counts), len(requests))
        return dg.SensorResult(run_requests=requests)

    return webhook_queue_sensor
