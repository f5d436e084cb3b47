"""The client's product feed: the raw XML snapshot and the parsed product table."""

import tempfile
import time
from pathlib import Path

import dagster as dg

from tiktok_pipelines.assets.reporting import markdown_table, md
from tiktok_pipelines.clients.feed import FeedFetchError
from tiktok_pipelines.domain.feed import FeedFormatError, FeedParser, feed_refusal
from tiktok_pipelines.domain.feed_table import write_feed_products
from tiktok_pipelines.domain.tables import (
    FEED_PROBLEMS,
    FEED_PRODUCTS,
    FEED_PRODUCTS_BATCH_ROWS,
    FEED_PRODUCTS_DICTIONARY,
    feed_product_columns,
)
from tiktok_pipelines.partitions import clients_partitions
from tiktok_pipelines.resources.feeds import FeedDownloader
from tiktok_pipelines.resources.state import StateStore
from tiktok_pipelines.resources.storage import ObjectStore, ParquetLake
from tiktok_pipelines.state.registry import redact_url

DEFAULT_MAX_REJECTED_SHARE = 0.2


def feed_object_key(client_id: str, content_hash: str) -> str:
    return f"feeds/{client_id}/{content_hash}.xml"


@dg.asset(
    partitions_def=clients_partitions,
    group_name="catalog",
    kinds={"xml"},
    code_version="1",
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
    snapshots = state.feeds
    latest = snapshots.latest(client.client_id)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ttp-feed-") as tmp:
        dest = Path(tmp) / "feed.xml"
        try:
            fetch = feed_downloader.fetch(
                client.feed_url,
                dest,
                etag=latest.etag if latest else None,
                last_modified=latest.last_modified if latest else None,
            )
        except FeedFetchError as exc:
            raise dg.Failure(
                description=str(exc), metadata={"feed_url": redact_url(client.feed_url)}
            ) from None
        if fetch.not_modified:
            if latest is None:
                raise dg.Failure(description="the feed server answered 304 to an unconditional request")
            snapshots.touch(latest.id)
            snapshot, new_content = latest, False
        else:
            key = feed_object_key(client.client_id, fetch.content_hash or "")
            objects.put_file(key, dest)  # stored before it is recorded: the DB never points at nothing
            snapshot, new_content = snapshots.record_fetch(
                client.client_id,
                fetch.content_hash or "",
                key,
                fetch.size_bytes,
                fetch.etag,
                fetch.last_modified,
            )
    seconds = time.monotonic() - started
    context.log.info(
        "feed %s: HTTP %s, %s",
        redact_url(client.feed_url),
        fetch.status_code,
        "new content" if new_content else "unchanged",
    )
    return dg.MaterializeResult(
        metadata={
            "feed_url": redact_url(client.feed_url),
            "http_status": fetch.status_code,
            "new_content": new_content,
            "content_hash": snapshot.content_hash,
            "size_bytes": snapshot.size_bytes,
            "etag": snapshot.etag or "",
            "last_modified": snapshot.last_modified or "",
            "snapshot_status": snapshot.status,
            "object": objects.uri(snapshot.object_key),
            "download_seconds": round(seconds, 3),
        },
        data_version=dg.DataVersion(snapshot.content_hash),
    )


@dg.asset(
    partitions_def=clients_partitions,
    group_name="catalog",
    deps=[feed_xml],
    kinds={"parquet"},
    code_version="1",
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
    snapshot = state.feeds.latest(client.client_id)
    if snapshot is None:
        raise dg.Failure(description="no feed snapshot yet: materialize feed_xml for this client first")
    max_rejected = float(client.option("feed_max_rejected_share", DEFAULT_MAX_REJECTED_SHARE))
    parser = FeedParser(default_currency=client.option("currency", "BRL"))
    started = time.monotonic()
    try:
        with (
            objects.local_copy(snapshot.object_key) as path,
            lake.writer(
                "feed_products",
                client.client_id,
                FEED_PRODUCTS,
                batch_rows=FEED_PRODUCTS_BATCH_ROWS,
                dictionary_columns=FEED_PRODUCTS_DICTIONARY,
                columns_of=feed_product_columns(client.client_id, snapshot.content_hash),
            ) as writer,
        ):
            table = write_feed_products(parser, path, writer, client.client_id, snapshot.content_hash)
            refusal = feed_refusal(parser.summary, max_rejected)
            if refusal is not None:
                raise FeedFormatError(refusal)
    except FeedFormatError as exc:
        state.feeds.mark_rejected(snapshot.id, str(exc))
        current = state.feeds.current(client.client_id)
        raise dg.Failure(
            description=f"feed snapshot {snapshot.content_hash[:12]} rejected: {exc}. "
            + (
                f"The last good snapshot ({current.content_hash[:12]}) stays current."
                if current
                else "There is no earlier good snapshot."
            ),
            metadata={
                "snapshot_hash": snapshot.content_hash,
                "error": str(exc),
                "problems": md(_problems_table(parser.summary.problems)),
            },
        ) from None
    seconds = time.monotonic() - started
    summary = parser.summary
    with lake.writer("feed_problems", client.client_id, FEED_PROBLEMS) as writer:
        for p in summary.problems:
            writer.append(
                {
                    "client_id": client.client_id,
                    "line": p.line,
                    "seller_sku": p.seller_sku,
                    "field": p.field,
                    "severity": p.severity,
                    "message": p.message,
                    "snapshot_hash": snapshot.content_hash,
                }
            )
    state.feeds.mark_accepted(snapshot.id, summary.items, summary.rejected, summary.catalog_digest)
    if summary.rejected:
        context.log.warning("%d items rejected, see feed_problems", summary.rejected)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": summary.items,
            "products": len(table.products),
            "rejected_items": summary.rejected,
            "warnings": summary.warnings,
            "format": summary.format or "",
            "snapshot_hash": snapshot.content_hash,
            "catalog_hash": summary.catalog_digest,
            "size_bytes": snapshot.size_bytes,
            "parse_seconds": round(seconds, 3),
            "parse_mb_per_second": round(snapshot.size_bytes / 1e6 / seconds, 1) if seconds else 0.0,
            "feed_reader": "compiled" if table.compiled else "python",
            "preview": md(
                markdown_table(
                    table.preview, ["seller_sku", "title", "price", "sale_price", "brand", "availability"]
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
