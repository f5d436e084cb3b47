"""VTEX's data for the feed's SKUs, refreshed incrementally into the lake table `vtex_catalog` (what is
fetched and when: `vtex.enrichment`)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from tiktok_pipelines.core.tables import VTEX_CATALOG
from tiktok_pipelines.lanes.catalog.errors import CatalogRunError
from tiktok_pipelines.lanes.catalog.io import Lake, feed_table
from tiktok_pipelines.stores.db import utcnow
from tiktok_pipelines.stores.registry import Client
from tiktok_pipelines.vtex.client import VtexClient
from tiktok_pipelines.vtex.enrichment import (
    FeedSku,
    RefreshPlan,
    RefreshResult,
    cached_skus,
    plan_refresh,
    refresh,
    weight_mismatches,
)


@dataclass
class Enrichment:
    """What `enrich_from_vtex` did."""

    plan: RefreshPlan
    result: RefreshResult
    rows: int  # in the table written
    statuses: Counter  # rows by status
    weight_unit: str
    mismatched: list[str]  # SKUs whose VTEX and feed weights differ tenfold
    requests: dict[str, int]
    seconds: float

    def preview(self) -> list[dict]:
        """The SKUs read this run."""
        return [
            {
                "seller_sku": sku,
                "status": r.status,
                "brand": r.brand_name,
                "category": r.category_label,
                "weight_kg": r.weight_kg,
                "dims_cm": "x".join(str(v) for v in (r.length_cm, r.width_cm, r.height_cm) if v is not None),
                "images": len(r.image_urls),
                "ean": r.ean,
            }
            for sku, r in sorted(self.result.rows.items())
            if sku in self.plan.fetch
        ]


def enrich_from_vtex(
    client: Client, lake: Lake, vtex_client: Callable[[], AbstractContextManager[VtexClient]]
) -> Enrichment:
    """Reads from VTEX the SKUs due (new, changed in the feed, failed, and a slow rotation) and writes
    `vtex_catalog`: their rows, and the previous rows of every other SKU of the feed."""
    client_id = client.client_id
    feed = feed_table(lake, client_id, ["seller_sku", "link", "content_hash", "shipping_weight_kg"])
    previous = lake.read_table("vtex_catalog", client_id)
    cached = cached_skus(previous)
    now = utcnow()
    try:
        plan = plan_refresh(
            (
                FeedSku(s, link, h)
                for s, link, h in zip(
                    feed.column("seller_sku").to_pylist(),
                    feed.column("link").to_pylist(),
                    feed.column("content_hash").to_pylist(),
                    strict=True,
                )
            ),
            cached,
            now,
            refresh_days=float(client.option("vtex_refresh_days")),
            max_rotation=int(client.option("vtex_refresh_max_per_run")),
            sku_id_source=str(client.option("vtex_sku_id_source")),
        )
        weight_unit = str(client.option("vtex_weight_unit"))
        started = time.monotonic()
        with vtex_client() as api:
            result = refresh(
                api, plan, weight_unit, now, sales_channel=client.vtex_trade_policy, cached=cached
            )
            requests = dict(api.stats)
    except ValueError as exc:  # a client option with a value the code cannot use
        raise CatalogRunError(f"client {client_id}: {exc}") from None
    if result.auth_error and len(result.failed) == len(plan.fetch):
        raise CatalogRunError(f"VTEX refused the client's credentials: {result.auth_error}")
    # Rows not read again are copied in Arrow from the previous table: no Python object per SKU.
    fresh = pa.Table.from_pylist([r.as_row(client_id) for r in result.rows.values()], schema=VTEX_CATALOG)
    parts = [fresh]
    if previous is not None and result.keep:
        kept = previous.filter(pc.is_in(previous["seller_sku"], value_set=pa.array(sorted(result.keep))))
        parts.insert(0, kept.select(VTEX_CATALOG.names).cast(VTEX_CATALOG))
    table = pa.concat_tables(parts).sort_by("seller_sku")
    lake.write_table("vtex_catalog", client_id, table)
    feed_weights = dict(
        zip(feed.column("seller_sku").to_pylist(), feed.column("shipping_weight_kg").to_pylist(), strict=True)
    )
    return Enrichment(
        plan,
        result,
        table.num_rows,
        Counter(table.column("status").to_pylist()),
        weight_unit,
        weight_mismatches(result.rows, feed_weights),
        requests,
        time.monotonic() - started,
    )
