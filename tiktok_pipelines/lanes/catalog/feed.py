"""The client's product feed: fetched with a conditional GET and kept byte for byte as a snapshot in the
object store, read in a stream into the lake table `feed_products`, and probed for a change that matters
to the catalog (the feed-change sensor's question).

A snapshot is recorded only once its bytes are stored; it becomes the client's current catalog only once
read whole and accepted; a rejected one never replaces the current one.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tiktok_pipelines.core.feed import (
    FeedFormatError,
    FeedParser,
    FeedSummary,
    ItemProblem,
    feed_refusal,
)
from tiktok_pipelines.core.feed_table import write_feed_products
from tiktok_pipelines.core.tables import (
    FEED_PROBLEMS,
    FEED_PRODUCTS,
    FEED_PRODUCTS_BATCH_ROWS,
    FEED_PRODUCTS_DICTIONARY,
    feed_product_columns,
)
from tiktok_pipelines.lanes.catalog.errors import CatalogRunError
from tiktok_pipelines.lanes.catalog.io import Lake, ObjectStore
from tiktok_pipelines.stores.feeds import FeedSnapshot, FeedSnapshots
from tiktok_pipelines.stores.registry import Client, redact_url
from tiktok_pipelines.vtex.feed_download import FeedFetch, FeedFetchError

DEFAULT_MAX_REJECTED_SHARE = 0.2
UNREADABLE = "unreadable"  # the catalog digest of a feed that cannot be read


class FeedDownload(Protocol):
    """Conditional downloads of feeds (`defs.resources.feeds.FeedDownloader`)."""

    def fetch(
        self, url: str, dest: Path, etag: str | None = None, last_modified: str | None = None
    ) -> FeedFetch: ...

    def probe(
        self, url: str, etag: str | None = None, last_modified: str | None = None, dest: Path | None = None
    ) -> FeedFetch: ...


def feed_object_key(client_id: str, content_hash: str) -> str:
    return f"feeds/{client_id}/{content_hash}.xml"


# ---------------------------------------------------------------- fetch
@dataclass
class FeedFetched:
    """What `fetch_feed` did: the answer, and the snapshot it is (new, or the latest one again)."""

    fetch: FeedFetch
    snapshot: FeedSnapshot
    new_content: bool
    seconds: float


def fetch_feed(
    client: Client, snapshots: FeedSnapshots, objects: ObjectStore, downloader: FeedDownload
) -> FeedFetched:
    """Fetches the client's feed with the latest snapshot's validators; new bytes are stored, then
    recorded as a snapshot. A 304 or identical bytes only mark the latest snapshot as checked."""
    latest = snapshots.latest(client.client_id)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ttp-feed-") as tmp:
        dest = Path(tmp) / "feed.xml"
        try:
            fetch = downloader.fetch(
                client.feed_url,
                dest,
                etag=latest.etag if latest else None,
                last_modified=latest.last_modified if latest else None,
            )
        except FeedFetchError as exc:
            raise CatalogRunError(str(exc), {"feed_url": redact_url(client.feed_url)}) from None
        if fetch.not_modified:
            if latest is None:
                raise CatalogRunError("the feed server answered 304 to an unconditional request")
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
    return FeedFetched(fetch, snapshot, new_content, time.monotonic() - started)


# ---------------------------------------------------------------- read
class FeedRefused(CatalogRunError):
    """The latest snapshot cannot be the catalog; the last good one stays current."""

    def __init__(self, message: str, metadata: dict[str, Any], problems: Sequence[ItemProblem]):
        super().__init__(message, metadata)
        self.problems = list(problems)


@dataclass
class FeedRead:
    """What `read_feed` did: the snapshot read, the parser's summary, and a preview of its items."""

    snapshot: FeedSnapshot
    summary: FeedSummary
    products: int
    seconds: float
    preview: list[dict] = field(default_factory=list)
    compiled: bool = False  # read by the compiled reader of plain items (core/_feed_rows.c)


def read_feed(client: Client, snapshots: FeedSnapshots, objects: ObjectStore, lake: Lake) -> FeedRead:
    """Reads the latest snapshot in a stream into `feed_products` (one row per item) and its problems into
    `feed_problems`, and accepts it. A feed that cannot be read whole, that has no item, or whose share
    of rejected items is above the client's `feed_max_rejected_share` is rejected (`FeedRefused`)."""
    snapshot = snapshots.latest(client.client_id)
    if snapshot is None:
        raise CatalogRunError("no feed snapshot yet: materialize feed_xml for this client first")
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
        snapshots.mark_rejected(snapshot.id, str(exc))
        current = snapshots.current(client.client_id)
        raise FeedRefused(
            f"feed snapshot {snapshot.content_hash[:12]} rejected: {exc}. "
            + (
                f"The last good snapshot ({current.content_hash[:12]}) stays current."
                if current
                else "There is no earlier good snapshot."
            ),
            {"snapshot_hash": snapshot.content_hash, "error": str(exc)},
            parser.summary.problems,
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
    snapshots.mark_accepted(snapshot.id, summary.items, summary.rejected, summary.catalog_digest)
    return FeedRead(snapshot, summary, len(table.products), seconds, table.preview, table.compiled)


# ---------------------------------------------------------------- probe
@dataclass
class FeedProbe:
    """A feed looked at without fetching it as a snapshot: the answer, the client's latest and current
    snapshots, and the catalog digest of new content (None when there is none to compare)."""

    latest: FeedSnapshot | None
    current: FeedSnapshot | None
    fetch: FeedFetch
    digest: str | None

    @property
    def content_hash(self) -> str:
        return self.fetch.content_hash or ""

    @property
    def new_content(self) -> bool:
        """The feed answered with content other than the latest snapshot's."""
        return not self.fetch.not_modified and (
            self.latest is None or self.latest.content_hash != self.content_hash
        )

    @property
    def catalog_changed(self) -> bool:
        """The new content changes what the catalog publishes (not only prices or availability, which the
        stock and price lane owns)."""
        return self.new_content and not (
            self.digest is not None and self.current is not None and self.digest == self.current.catalog_hash
        )

    def memo(self) -> list[Any]:
        """What the next probe of this feed starts from (`probe_feed`'s `seen`)."""
        return [self.fetch.etag, self.fetch.last_modified, self.content_hash, self.digest]


def probe_feed(
    client: Client, snapshots: FeedSnapshots, downloader: FeedDownload, seen: Sequence[Any] = ()
) -> FeedProbe:
    """A conditional GET of the client's feed with the validators last seen (`seen`: etag, last-modified,
    content hash and catalog digest of the last answer; else the latest snapshot's validators). New
    content is read for its catalog digest, unless it is the content seen last time."""
    latest = snapshots.latest(client.client_id)
    etag, modified, seen_hash, seen_digest = [*seen, None, None, None, None][:4]
    if etag is None and modified is None and latest is not None:
        etag, modified = latest.etag, latest.last_modified
    current = snapshots.current(client.client_id)
    with tempfile.TemporaryDirectory(prefix="ttp-feed-probe-") as tmp:
        body = Path(tmp) / "feed.xml"
        fetch = downloader.probe(client.feed_url, etag, modified, dest=body)
        digest = None
        unchanged = fetch.not_modified or (latest is not None and latest.content_hash == fetch.content_hash)
        if not unchanged and current is not None and current.catalog_hash:
            if seen_hash == fetch.content_hash and seen_digest:
                digest = seen_digest  # this content was read on an earlier tick
            else:
                digest = catalog_digest(body, client.option("currency", "BRL"))
    return FeedProbe(latest, current, fetch, digest)


def catalog_digest(path: Path, currency: str) -> str:
    """The catalog digest of a downloaded feed, as `read_feed` would record it, or UNREADABLE (a catalog
    run is then requested, and fails saying why)."""
    parser = FeedParser(default_currency=currency, max_problems_kept=0)
    try:
        for _ in parser.iter(path):
            pass
    except FeedFormatError:
        return UNREADABLE
    return parser.summary.catalog_digest
