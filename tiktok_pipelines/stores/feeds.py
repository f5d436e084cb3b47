"""Feed snapshots per client: what was fetched, with which validators, and which one is current.

A snapshot is `fetched` when its bytes are stored, then `accepted` (parsed; the newest accepted one is
the client's current catalog) or `rejected` (with the reason). A rejected snapshot never replaces the
current one. An accepted snapshot keeps its `catalog_hash` (what the catalog lane publishes of it, prices
and stock left out), which the feed sensor compares a new feed with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from tiktok_pipelines.stores.db import StateDB, UTCDateTime, client_column, metadata, utcnow

feed_snapshots = sa.Table(
    "feed_snapshots",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    client_column(nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("object_key", sa.Text, nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("item_count", sa.Integer),
    sa.Column("rejected_count", sa.Integer),
    sa.Column("catalog_hash", sa.String(64)),
    sa.Column("fetched_at", UTCDateTime, nullable=False),
    sa.Column("checked_at", UTCDateTime, nullable=False),
    sa.Column("parsed_at", UTCDateTime),
    sa.UniqueConstraint("client_id", "content_hash", name="uq_feed_snapshots_client_hash"),
    sa.Index("ix_feed_snapshots_client_fetched", "client_id", "fetched_at"),
)


@dataclass(frozen=True)
class FeedSnapshot:
    id: int
    client_id: str
    content_hash: str
    object_key: str
    size_bytes: int
    etag: str | None
    last_modified: str | None
    status: str
    error: str | None
    item_count: int | None
    rejected_count: int | None
    catalog_hash: str | None
    fetched_at: datetime
    checked_at: datetime
    parsed_at: datetime | None


def _snapshot(row) -> FeedSnapshot | None:
    return FeedSnapshot(**row._mapping) if row else None


class FeedSnapshots:
    def __init__(self, db: StateDB):
        self.db = db

    def latest(self, client_id: str) -> FeedSnapshot | None:
        """The snapshot most recently fetched or confirmed unchanged by the server."""
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(feed_snapshots)
                .where(feed_snapshots.c.client_id == client_id)
                .order_by(feed_snapshots.c.checked_at.desc(), feed_snapshots.c.id.desc())
                .limit(1)
            ).first()
        return _snapshot(row)

    def current(self, client_id: str) -> FeedSnapshot | None:
        """The newest accepted snapshot: the catalog everything downstream works from."""
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(feed_snapshots)
                .where(feed_snapshots.c.client_id == client_id, feed_snapshots.c.status == "accepted")
                .order_by(feed_snapshots.c.parsed_at.desc(), feed_snapshots.c.id.desc())
                .limit(1)
            ).first()
        return _snapshot(row)

    def find(self, client_id: str, content_hash: str) -> FeedSnapshot | None:
        """The client's snapshot with this content, if it was ever fetched."""
        return _snapshot(self.db.find_row(feed_snapshots, client_id=client_id, content_hash=content_hash))

    def get(self, snapshot_id: int) -> FeedSnapshot:
        row = self.db.find_row(feed_snapshots, id=snapshot_id)
        if row is None:
            raise KeyError(snapshot_id)
        return _snapshot(row)  # type: ignore[return-value]

    def record_fetch(
        self,
        client_id: str,
        content_hash: str,
        object_key: str,
        size_bytes: int,
        etag: str | None,
        last_modified: str | None,
    ) -> tuple[FeedSnapshot, bool]:
        """Records fetched bytes; returns the snapshot and whether its content is new."""
        now = utcnow()
        with self.db.begin() as conn:
            existing = conn.execute(
                sa.select(feed_snapshots.c.id).where(
                    feed_snapshots.c.client_id == client_id, feed_snapshots.c.content_hash == content_hash
                )
            ).first()
            if existing:
                conn.execute(
                    feed_snapshots.update()
                    .where(feed_snapshots.c.id == existing.id)
                    .values(etag=etag, last_modified=last_modified, checked_at=now)
                )
                snapshot_id, new = existing.id, False
            else:
                snapshot_id = conn.execute(
                    feed_snapshots.insert().values(
                        client_id=client_id,
                        content_hash=content_hash,
                        object_key=object_key,
                        size_bytes=size_bytes,
                        etag=etag,
                        last_modified=last_modified,
                        status="fetched",
                        fetched_at=now,
                        checked_at=now,
                    )
                ).inserted_primary_key[0]
                new = True
        return self.get(snapshot_id), new

    def touch(self, snapshot_id: int) -> None:
        """The server answered 304: the snapshot is still the latest."""
        with self.db.begin() as conn:
            conn.execute(
                feed_snapshots.update().where(feed_snapshots.c.id == snapshot_id).values(checked_at=utcnow())
            )

    def mark_accepted(
        self, snapshot_id: int, item_count: int, rejected_count: int, catalog_hash: str | None = None
    ) -> None:
        with self.db.begin() as conn:
            conn.execute(
                feed_snapshots.update()
                .where(feed_snapshots.c.id == snapshot_id)
                .values(
                    status="accepted",
                    error=None,
                    item_count=item_count,
                    rejected_count=rejected_count,
                    catalog_hash=catalog_hash,
                    parsed_at=utcnow(),
                )
            )

    def mark_rejected(self, snapshot_id: int, error: str) -> None:
        with self.db.begin() as conn:
            conn.execute(
                feed_snapshots.update()
                .where(feed_snapshots.c.id == snapshot_id)
                .values(status="rejected", error=error[:4000], parsed_at=utcnow())
            )
