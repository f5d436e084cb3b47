"""Which of a client's listed products the product posts have seen: the products listed when the client
opted in (the baseline, never posted), and each product listed since, with the post prepared for it.
A product is seen once, so it gets at most one post (the post's `source_key` holds that too)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from tiktok_pipelines.stores.db import UTCDateTime, client_column, metadata, utcnow

product_post_watches = sa.Table(
    "product_post_watches",
    metadata,
    client_column(primary_key=True),
    sa.Column("creator_id", sa.String(63), nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("baseline", sa.Integer, nullable=False),  # products listed at the start, never posted
)

product_post_seen = sa.Table(
    "product_post_seen",
    metadata,
    client_column(primary_key=True),
    sa.Column("product_key", sa.String(100), primary_key=True),
    sa.Column("post_id", sa.Integer),  # None: in the baseline
    sa.Column("seen_at", UTCDateTime, nullable=False),
)


class ProductPostWatch:
    """The watch of one client's newly listed products."""

    def __init__(self, db):
        self.db = db

    def started(self, client_id: str) -> datetime | None:
        with self.db.read() as conn:
            return conn.execute(
                sa.select(product_post_watches.c.started_at).where(
                    product_post_watches.c.client_id == client_id
                )
            ).scalar()

    def start(self, client_id: str, creator_id: str, listed: Iterable[str]) -> int:
        """Starts watching: what is listed now is the baseline (no post for it). Returns its size."""
        now = utcnow()
        keys = sorted(set(listed))
        with self.db.begin() as conn:
            conn.execute(
                product_post_watches.insert().values(
                    client_id=client_id, creator_id=creator_id, started_at=now, baseline=len(keys)
                )
            )
            if keys:
                conn.execute(
                    product_post_seen.insert(),
                    [
                        {"client_id": client_id, "product_key": k, "post_id": None, "seen_at": now}
                        for k in keys
                    ],
                )
        return len(keys)

    def unseen(self, client_id: str, listed: Iterable[str]) -> list[str]:
        with self.db.read() as conn:
            seen = set(
                conn.execute(
                    sa.select(product_post_seen.c.product_key).where(
                        product_post_seen.c.client_id == client_id
                    )
                ).scalars()
            )
        return sorted(set(listed) - seen)

    def seen(self, client_id: str, product_key: str, post_id: int | None) -> None:
        with self.db.begin() as conn:
            conn.execute(
                product_post_seen.insert().values(
                    client_id=client_id, product_key=product_key, post_id=post_id, seen_at=utcnow()
                )
            )
