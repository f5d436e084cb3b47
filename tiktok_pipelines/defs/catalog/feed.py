"""The client's product feed: the raw XML snapshot and the parsed product table."""

import dagster as dg

from tiktok_pipelines.defs.catalog.lane import catalog_asset, lane_failures, stores_of
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.defs.resources.feeds import FeedDownloader
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.defs.resources.storage import ObjectStore, ParquetLake
from tiktok_pipelines.lanes.catalog.feed import FeedRefused, fetch_feed, read_feed
from tiktok_pipelines.stores.registry import redact_url


@catalog_asset(
    kinds={"xml"},
)
def feed_xml(
    context: dg.AssetExecutionContext,
    state: StateStore,
    objects: ObjectStore,
    feed_downloader: FeedDownloader,
) -> dg.MaterializeResult:
    """The client's product feed (Google Merchant XML), fetched with a conditional GET (ETag /
    Last-Modified) and kept byte for byte as a snapshot in the object store, keyed by its SHA-256.
    A 304 or identical bytes record a check, not a new snapshot."""
    client = state.registry.get(context.partition_key)
    with lane_failures():
        fetched = fetch_feed(client, stores_of(state).feeds, objects, feed_downloader)
    snapshot = fetched.snapshot
    context.log.info(
        "feed %s: HTTP %s, %s",
        redact_url(client.feed_url),
        fetched.fetch.status_code,
        "new content" if fetched.new_content else "unchanged",
    )
    return dg.MaterializeResult(
        metadata={
            "feed_url": redact_url(client.feed_url),
            "http_status": fetched.fetch.status_code,
            "new_content": fetched.new_content,
            "content_hash": snapshot.content_hash,
            "size_bytes": snapshot.size_bytes,
            "etag": snapshot.etag or "",
            "last_modified": snapshot.last_modified or "",
            "snapshot_status": snapshot.status,
            "object": objects.uri(snapshot.object_key),
            "download_seconds": round(fetched.seconds, 3),
        },
        data_version=dg.DataVersion(snapshot.content_hash),
    )


@catalog_asset(
    deps=[feed_xml],
    kinds={"parquet"},
)
def feed_products(
    context: dg.AssetExecutionContext, state: StateStore, objects: ObjectStore, lake: ParquetLake
) -> dg.MaterializeResult:
    """The feed's items as a table (one row per variant, `seller_sku` = `g:id`), parsed in a stream from
    the latest snapshot and written to the lake as Parquet. A feed that cannot be read whole, that has
    no item, or whose share of rejected items is above the client's `feed_max_rejected_share` (default
    20 %), fails the run and the last good table stays current. Rejected items (each with its reason,
    e.g. a price outside its range) are listed in `feed_problems`."""
    client = state.registry.get(context.partition_key)
    with lane_failures():
        try:
            read = read_feed(client, stores_of(state).feeds, objects, lake)
        except FeedRefused as exc:
            problems = md(_problems_table(exc.problems))
            raise dg.Failure(description=str(exc), metadata={**exc.metadata, "problems": problems}) from None
    summary, snapshot, seconds = read.summary, read.snapshot, read.seconds
    if summary.rejected:
        context.log.warning("%d items rejected, see feed_problems", summary.rejected)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": summary.items,
            "products": read.products,
            "rejected_items": summary.rejected,
            "warnings": summary.warnings,
            "format": summary.format or "",
            "snapshot_hash": snapshot.content_hash,
            "catalog_hash": summary.catalog_digest,
            "size_bytes": snapshot.size_bytes,
            "parse_seconds": round(seconds, 3),
            "parse_mb_per_second": round(snapshot.size_bytes / 1e6 / seconds, 1) if seconds else 0.0,
            "feed_reader": "compiled" if read.compiled else "python",
            "preview": md(
                markdown_table(
                    read.preview, ["seller_sku", "title", "price", "sale_price", "brand", "availability"]
                )
            ),
            "problems": md(_problems_table(summary.problems)),
        },
        data_version=dg.DataVersion(snapshot.content_hash),
    )


def _problems_table(problems) -> str:
    rows = (
        {
            "line": p.line,
            "seller_sku": p.seller_sku,
            "field": p.field,
            "severity": p.severity,
            "message": p.message,
        }
        for p in problems
    )
    return markdown_table(rows, ["line", "seller_sku", "field", "severity", "message"], limit=20, width=100)
