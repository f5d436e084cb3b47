"""The listing map: which channel product and SKUs each catalog product and `seller_sku` is, per channel.

Written by the catalog (`tiktok_shop/listings`) and by product-status webhooks; read by stock and price sync
and by orders. A product is a feed item group (`product_key` = `g:item_group_id`, or the `seller_sku`
of a single-SKU product); its SKUs are the group's items.

`listing_payloads` holds what only the catalog needs about a push: the feed hash of the product that
was published (the baseline of `feed_diff`), the hash of each part of the payload sent (so an edit sends
only the parts that changed), and the payload that last failed (a paused product is tried again once
its payload changes).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tiktok_pipelines.stores.db import (
    ChannelStore,
    UTCDateTime,
    channel_key,
    metadata,
    update_or_insert,
    utcnow,
)

listing_products = sa.Table(
    "listing_products",
    metadata,
    *channel_key(),
    sa.Column("product_key", sa.String(100), primary_key=True),
    sa.Column("channel_product_id", sa.String(40)),
    # creating | live states from the channel (TikTok: ACTIVATE, PENDING, SELLER_DEACTIVATED...) | deleted
    sa.Column("status", sa.String(40), nullable=False),
    sa.Column("payload_hash", sa.String(64)),  # hash of what was last pushed successfully
    sa.Column("pushed_at", UTCDateTime),
    sa.Column("failures", sa.Integer, nullable=False, default=0),  # consecutive failed pushes
    sa.Column("last_error", sa.Text),
    sa.Column("paused", sa.Boolean, nullable=False, default=False),  # after repeated identical failures
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_listing_products_channel_id", "client_id", "channel", "channel_product_id"),
)

listing_skus = sa.Table(
    "listing_skus",
    metadata,
    *channel_key(),
    sa.Column("seller_sku", sa.String(100), primary_key=True),
    sa.Column("product_key", sa.String(100), nullable=False),
    sa.Column("channel_product_id", sa.String(40), nullable=False),
    sa.Column("channel_sku_id", sa.String(40), nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_listing_skus_product", "client_id", "channel", "channel_product_id"),
    sa.Index("ix_listing_skus_channel_sku", "client_id", "channel", "channel_sku_id"),
)


listing_payloads = sa.Table(
    "listing_payloads",
    metadata,
    *channel_key(),
    sa.Column("product_key", sa.String(100), primary_key=True),
    sa.Column("source_hash", sa.String(64)),  # the feed product hash of the last successful push
    sa.Column("part_hashes", sa.Text),  # JSON: payload part → hash, of the last successful push
    sa.Column("failed_hash", sa.String(64)),  # payload hash of the last failed push
    sa.Column("updated_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True)
class PayloadState:
    product_key: str
    source_hash: str | None
    part_hashes: dict[str, str] | None
    failed_hash: str | None


@dataclass(frozen=True)
class ListedProduct:
    client_id: str
    channel: str
    product_key: str
    channel_product_id: str | None
    status: str
    payload_hash: str | None
    pushed_at: datetime | None
    failures: int
    last_error: str | None
    paused: bool
    updated_at: datetime


@dataclass(frozen=True)
class ListedSku:
    client_id: str
    channel: str
    seller_sku: str
    product_key: str
    channel_product_id: str
    channel_sku_id: str
    updated_at: datetime


class ListingMap(ChannelStore):
    """Reads and writes the listing map of the state DB, for one channel (`ChannelName` value)."""

    # -- reads
    def products(self, client_id: str) -> dict[str, ListedProduct]:
        return {r.product_key: ListedProduct(**r._mapping) for r in self._rows(listing_products, client_id)}

    def product(self, client_id: str, product_key: str) -> ListedProduct | None:
        row = self._first(listing_products, client_id, listing_products.c.product_key == product_key)
        return ListedProduct(**row._mapping) if row else None

    def product_by_channel_id(self, client_id: str, channel_product_id: str) -> ListedProduct | None:
        row = self._first(
            listing_products, client_id, listing_products.c.channel_product_id == channel_product_id
        )
        return ListedProduct(**row._mapping) if row else None

    def skus(self, client_id: str, seller_skus: Iterable[str] | None = None) -> dict[str, ListedSku]:
        """Listed SKUs of a client by `seller_sku` (all, or those asked for)."""
        query = sa.select(listing_skus).where(self._of(listing_skus, client_id))
        wanted = None if seller_skus is None else list(seller_skus)
        out: dict[str, ListedSku] = {}
        with self.db.read() as conn:
            if wanted is None:
                rows = conn.execute(query).all()
            else:
                rows = []
                for start in range(0, len(wanted), 500):
                    rows += conn.execute(
                        query.where(listing_skus.c.seller_sku.in_(wanted[start : start + 500]))
                    ).all()
        for r in rows:
            out[r.seller_sku] = ListedSku(**r._mapping)
        return out

    def payload_states(self, client_id: str) -> dict[str, PayloadState]:
        """What the catalog last pushed (or failed to push) per product."""
        return {
            r.product_key: PayloadState(
                r.product_key,
                r.source_hash,
                json.loads(r.part_hashes) if r.part_hashes else None,
                r.failed_hash,
            )
            for r in self._rows(listing_payloads, client_id)
        }

    def sku_by_channel_id(self, client_id: str, channel_sku_id: str) -> ListedSku | None:
        row = self._first(listing_skus, client_id, listing_skus.c.channel_sku_id == channel_sku_id)
        return ListedSku(**row._mapping) if row else None

    # -- writes
    def save_listing(
        self,
        client_id: str,
        product_key: str,
        channel_product_id: str,
        status: str,
        payload_hash: str | None,
        skus: dict[str, str],
        *,
        source_hash: str | None = None,
        part_hashes: dict[str, str] | None = None,
    ) -> None:
        """Records a successful push: the product and its SKUs (`seller_sku` → `channel_sku_id`), replacing
        SKUs the product no longer has, and clearing its failure count. `source_hash` (the feed product
        hash) and `part_hashes` are the catalog's record of what was published."""
        now = utcnow()
        with self.db.begin() as conn:
            state: dict = {"failed_hash": None}
            if source_hash is not None:
                state["source_hash"] = source_hash
            if part_hashes is not None:
                state["part_hashes"] = json.dumps(part_hashes, sort_keys=True)
            self._save_payload_state(conn, client_id, product_key, now, **state)
            values = dict(
                channel_product_id=channel_product_id,
                status=status,
                payload_hash=payload_hash,
                pushed_at=now,
                failures=0,
                last_error=None,
                paused=False,
                updated_at=now,
            )
            update_or_insert(conn, listing_products, self._key(client_id, product_key=product_key), values)
            conn.execute(
                listing_skus.delete().where(
                    self._of(listing_skus, client_id), listing_skus.c.product_key == product_key
                )
            )
            if skus:
                conn.execute(
                    listing_skus.insert(),
                    [
                        dict(
                            client_id=client_id,
                            channel=self.channel,
                            seller_sku=sku,
                            product_key=product_key,
                            channel_product_id=channel_product_id,
                            channel_sku_id=channel_sku_id,
                            updated_at=now,
                        )
                        for sku, channel_sku_id in skus.items()
                    ],
                )

    def record_failure(
        self,
        client_id: str,
        product_key: str,
        error: str,
        pause_after: int = 3,
        *,
        payload_hash: str | None = None,
    ) -> ListedProduct:
        """Counts a failed push; the product pauses after `pause_after` identical failures in a row.
        `payload_hash` is the payload that failed: the catalog tries a paused product again once its
        payload differs."""
        now = utcnow()
        with self.db.begin() as conn:
            if payload_hash is not None:
                self._save_payload_state(conn, client_id, product_key, now, failed_hash=payload_hash)
            row = conn.execute(
                sa.select(listing_products).where(
                    self._of(listing_products, client_id), listing_products.c.product_key == product_key
                )
            ).first()
            if row is None:
                conn.execute(
                    listing_products.insert().values(
                        client_id=client_id,
                        channel=self.channel,
                        product_key=product_key,
                        channel_product_id=None,
                        status="failed",
                        payload_hash=None,
                        pushed_at=None,
                        failures=1,
                        last_error=error,
                        paused=pause_after <= 1,
                        updated_at=now,
                    )
                )
            else:
                failures = row.failures + 1 if row.last_error == error else 1
                conn.execute(
                    listing_products.update()
                    .where(
                        self._of(listing_products, client_id),
                        listing_products.c.product_key == product_key,
                    )
                    .values(
                        failures=failures, last_error=error, paused=failures >= pause_after, updated_at=now
                    )
                )
        product = self.product(client_id, product_key)
        assert product is not None
        return product

    def set_status(self, client_id: str, channel_product_id: str, status: str) -> bool:
        """A product status from the channel (a webhook or a search); False if the product is unknown."""
        product = listing_products.c.channel_product_id == channel_product_id
        return self._update(listing_products, client_id, product, status=status, updated_at=utcnow()) > 0

    def set_source_hashes(self, client_id: str, hashes: dict[str, str]) -> None:
        """The feed changed in ways the listing does not show (a price, the stock): the product's feed
        hash becomes the published one without a push."""
        now = utcnow()
        with self.db.begin() as conn:
            for product_key, source_hash in hashes.items():
                self._save_payload_state(conn, client_id, product_key, now, source_hash=source_hash)

    def set_statuses(self, client_id: str, statuses: dict[str, str]) -> int:
        """Many product statuses at once (`channel_product_id` → status), e.g. from a product search;
        products already marked deleted keep that mark. Returns how many rows changed."""
        changed = 0
        now = utcnow()
        with self.db.begin() as conn:
            for channel_product_id, status in statuses.items():
                changed += conn.execute(
                    listing_products.update()
                    .where(
                        self._of(listing_products, client_id),
                        listing_products.c.channel_product_id == channel_product_id,
                        listing_products.c.status != status,
                        listing_products.c.status != "deleted",
                    )
                    .values(status=status, updated_at=now)
                ).rowcount
        return changed

    def unpause(self, client_id: str, product_key: str) -> None:
        with self.db.begin() as conn:
            conn.execute(
                listing_products.update()
                .where(
                    self._of(listing_products, client_id),
                    listing_products.c.product_key == product_key,
                )
                .values(paused=False, failures=0, updated_at=utcnow())
            )

    def mark_deleted(self, client_id: str, product_key: str) -> None:
        """The product was deleted on the channel: its SKUs leave the map, the product row stays as history."""
        with self.db.begin() as conn:
            conn.execute(
                listing_payloads.delete().where(
                    self._of(listing_payloads, client_id), listing_payloads.c.product_key == product_key
                )
            )
            conn.execute(
                listing_skus.delete().where(
                    self._of(listing_skus, client_id), listing_skus.c.product_key == product_key
                )
            )
            conn.execute(
                listing_products.update()
                .where(
                    self._of(listing_products, client_id),
                    listing_products.c.product_key == product_key,
                )
                .values(status="deleted", payload_hash=None, updated_at=utcnow())
            )

    def _save_payload_state(
        self, conn: Connection, client_id: str, product_key: str, now: datetime, **values: Any
    ) -> None:
        """Sets `values` on the product's payload state (made when it has none), in `conn`'s transaction."""
        key = self._key(client_id, product_key=product_key)
        update_or_insert(conn, listing_payloads, key, {**values, "updated_at": now})
