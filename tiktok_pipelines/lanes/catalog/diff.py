"""What changed in the client's feed since it was last published, and whether it may be published.

Products (feed items grouped by `g:item_group_id`) are new, changed, removed or unchanged between what
was last published (the feed hash recorded per product at its last successful push) and the current
feed, by content hash; the result is the lake table `feed_diff`, with the guards' outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass

from tiktok_pipelines.core.catalog_diff import (
    CatalogDiff,
    ProductHash,
    diff_catalogs,
    product_hashes_of_table,
)
from tiktok_pipelines.core.tables import FEED_DIFF
from tiktok_pipelines.lanes.catalog import guards
from tiktok_pipelines.lanes.catalog.errors import CatalogRunError
from tiktok_pipelines.lanes.catalog.guards import GuardResult, ShrinkGuard
from tiktok_pipelines.lanes.catalog.io import CatalogStores, Lake, feed_table
from tiktok_pipelines.lanes.catalog.listings import is_live
from tiktok_pipelines.stores.listings import ListedProduct
from tiktok_pipelines.stores.registry import Client


@dataclass
class FeedDiff:
    """The feed's products against what is published, and the guards of its publication."""

    snapshot_hash: str
    diff: CatalogDiff
    current: dict[str, ProductHash]
    listed: dict[str, ListedProduct]
    live: int  # products listed on the channel now
    items: int
    guards: list[GuardResult]

    def changes(self) -> list[dict]:
        """The products that are not unchanged, for a preview."""
        statuses = self.diff.status_of()
        return [
            {
                "status": statuses[k],
                "product_key": k,
                "skus": len(self.current[k].seller_skus) if k in self.current else 0,
                "channel_product_id": self.listed[k].channel_product_id if k in self.listed else None,
            }
            for k in [*self.diff.new, *self.diff.changed, *self.diff.removed]
        ]


def diff_feed(
    client: Client, stores: CatalogStores, lake: Lake, confirm_shrink: str | None = None
) -> FeedDiff:
    """Diffs the current feed against what is published, writes `feed_diff`, and judges the guards
    (`confirm_shrink`: a data engineer's confirmation of this snapshot's deletions)."""
    client_id = client.client_id
    snapshot = stores.feeds.current(client_id)
    if snapshot is None:
        raise CatalogRunError("no accepted feed snapshot yet: materialize feed_xml and feed_products")
    table = feed_table(
        lake, client_id, ["seller_sku", "item_group_id", "content_hash", "price", "sale_price"]
    )
    current = product_hashes_of_table(table)
    listings = stores.listings
    listed = listings.products(client_id)
    payloads = listings.payload_states(client_id)
    live = {k: p for k, p in listed.items() if is_live(p)}
    published = {k: (payloads[k].source_hash if k in payloads else None) or "" for k in live}
    diff = diff_catalogs(published, {k: h.hash for k, h in current.items()})

    shrink = ShrinkGuard(stores.shrink_guard, client_id, float(client.option("max_delete_share")))
    results = [
        guards.not_empty(table.num_rows, len(current)),
        guards.shrink(shrink.judge(snapshot.content_hash, len(live), len(diff.removed), confirm_shrink)),
        guards.unique_seller_skus(table.column("seller_sku").to_pylist()),
        guards.prices_positive(table, float(client.option("max_bad_price_share"))),
    ]

    statuses = diff.status_of()
    with lake.writer("feed_diff", client_id, FEED_DIFF) as writer:
        for key in sorted(statuses):
            hashed = current.get(key)
            product = listed.get(key)
            writer.append(
                {
                    "client_id": client_id,
                    "channel": listings.channel,
                    "product_key": key,
                    "status": statuses[key],
                    "seller_skus": list(hashed.seller_skus) if hashed else [],
                    "product_hash": hashed.hash if hashed else None,
                    "published_hash": published.get(key) or None,
                    "channel_product_id": product.channel_product_id if product else None,
                    "snapshot_hash": snapshot.content_hash,
                }
            )
    return FeedDiff(snapshot.content_hash, diff, current, listed, len(live), table.num_rows, results)
