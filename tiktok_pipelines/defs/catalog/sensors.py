"""Watches the clients' feeds and runs the catalog of a client whose feed changed what the catalog
publishes."""

import json
import time

import dagster as dg

from tiktok_pipelines.defs.automation import active_clients, sensor
from tiktok_pipelines.defs.catalog.jobs import catalog_job
from tiktok_pipelines.defs.catalog.lane import stores_of
from tiktok_pipelines.defs.resources.feeds import FeedDownloader
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.http import map_concurrently
from tiktok_pipelines.lanes.catalog.feed import probe_feed
from tiktok_pipelines.partitions import client_write_tags, lane_has_run
from tiktok_pipelines.stores.registry import redact_url
from tiktok_pipelines.vtex.feed_download import FeedFetchError

CLIENTS_PER_TICK = 8
TICK_BUDGET_SECONDS = 40.0  # a tick is cut at 60 s
PROBE_CONCURRENCY = 4


@sensor(
    name="feed_change_sensor",
    job=catalog_job,
    minimum_interval_seconds=60,
)
def feed_change_sensor(
    context: dg.SensorEvaluationContext, state: StateStore, feed_downloader: FeedDownloader
) -> dg.SensorResult:
    """Checks a few active clients' feeds per tick (a rotating cursor goes round all of them) with a
    conditional GET (ETag / Last-Modified; without them, the body's hash). A feed whose content differs
    from the client's latest snapshot is read, and requests one catalog_job run, keyed
    `feed:<client>:<hash>` (a content is published once however often it is seen), only when what the
    catalog publishes changed: its catalog digest differs from the current snapshot's. A change to
    prices or availability alone belongs to the stock and price lane and starts no catalog run. A client
    whose catalog run is queued or in progress is not probed: that run reads the feed as it is then, and
    a later change is seen once it ends (so a feed that changes faster than its catalog runs never piles
    runs up in the queue)."""
    cursor = json.loads(context.cursor) if context.cursor else {}
    seen: dict[str, list] = cursor.get("seen", {})
    clients = active_clients(context.instance, state.registry, with_shop=False)
    if not clients:
        return dg.SensorResult(skip_reason="no active client with a partition", cursor=context.cursor)
    start = int(cursor.get("next", 0)) % len(clients)
    batch = [clients[(start + i) % len(clients)] for i in range(min(CLIENTS_PER_TICK, len(clients)))]
    busy = {c.client_id for c in batch if lane_has_run(context.instance, c.client_id, "catalog")}
    skipped = [c for c in batch if c.client_id in busy]
    batch = [c for c in batch if c.client_id not in busy]
    feeds = stores_of(state).feeds
    started = time.monotonic()

    def probe(client):
        if time.monotonic() - started > TICK_BUDGET_SECONDS:
            return None  # left for the next tick
        return probe_feed(client, feeds, feed_downloader, seen.get(client.client_id, ()))

    requests, checked, errors, stock_price_only = [], 0, [], []
    for outcome in map_concurrently(probe, batch, max_workers=PROBE_CONCURRENCY):
        client = outcome.item
        if outcome.error is not None:
            if not isinstance(outcome.error, FeedFetchError):
                raise outcome.error
            errors.append(client.client_id)
            context.log.warning("feed of %s: %s", client.client_id, outcome.error)
            continue
        if outcome.value is None:
            continue
        checked += 1
        found = outcome.value
        if found.fetch.not_modified:
            continue
        seen[client.client_id] = found.memo()
        if not found.new_content:
            continue
        content_hash = found.content_hash
        if not found.catalog_changed:
            stock_price_only.append(client.client_id)
            context.log.info(
                "feed of %s changed (%s) only in fields the stock and price lane owns: no catalog run",
                client.client_id,
                content_hash[:12],
            )
            continue
        run_key = f"feed:{client.client_id}:{content_hash}"
        if found.latest is not None and feeds.find(client.client_id, content_hash) is not None:
            # Back to an earlier content: its key was used when it was new.
            run_key += f":{found.latest.id}"
        context.log.info(
            "feed of %s changed (%s): %s", client.client_id, redact_url(client.feed_url), content_hash[:12]
        )
        requests.append(
            dg.RunRequest(
                run_key=run_key,
                partition_key=client.client_id,
                tags=client_write_tags(client.client_id, "catalog"),
            )
        )
    known = {c.client_id for c in clients}
    new_cursor = json.dumps(
        {
            "next": (start + checked + len(errors) + len(skipped)) % len(clients),
            "seen": {k: v for k, v in seen.items() if k in known},
        },
        sort_keys=True,
    )
    if not requests:
        return dg.SensorResult(
            skip_reason=f"{checked} feed(s) checked, none changed"
            + (
                f" for the catalog ({len(stock_price_only)} only in prices or availability)"
                if stock_price_only
                else ""
            )
            + (f"; {len(errors)} unreachable" if errors else "")
            + (f"; {len(skipped)} with a catalog run in flight" if skipped else ""),
            cursor=new_cursor,
        )
    return dg.SensorResult(run_requests=requests, cursor=new_cursor)
