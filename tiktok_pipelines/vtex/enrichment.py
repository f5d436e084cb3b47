"""VTEX enrichment of the feed's SKUs, refreshed incrementally.

Each run fetches the SKU context of: SKUs not enriched yet, SKUs whose feed content changed since they
were fetched, SKUs whose last fetch failed, and a slow rotation of the rest (the oldest, once they are
older than the client's `vtex_refresh_days`, at most `vtex_refresh_max_per_run` a run). Every other SKU
keeps its previous row. So a run after a 5-product change reads those SKUs only, and the whole catalog
is re-read about every `vtex_refresh_days`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import pyarrow as pa

from tiktok_pipelines.core import sku_ids
from tiktok_pipelines.core.enrichment import VtexSkuData
from tiktok_pipelines.vtex.client import VtexAuthError, VtexClient, VtexNotFoundError
from tiktok_pipelines.vtex.sku_context import parse_sku_context


@dataclass(frozen=True)
class FeedSku:
    seller_sku: str
    link: str | None
    content_hash: str


@dataclass
class RefreshPlan:
    fetch: dict[str, tuple[str, str]] = field(default_factory=dict)  # seller_sku → (VTEX SKU id, feed hash)
    keep: dict[str, Any] = field(default_factory=dict)  # seller_sku → previous row (its planning fields)
    no_sku_id: list[str] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)
    dropped: int = 0


def plan_refresh(
    feed: Iterable[FeedSku],
    cached: Mapping[str, Any],
    now: datetime,
    *,
    refresh_days: float = 7.0,
    max_rotation: int = 2000,
    sku_id_source: str = "id",
) -> RefreshPlan:
    """Which SKUs to fetch from VTEX this run, and which keep their cached enrichment."""
    plan = RefreshPlan()
    stale: list[tuple[datetime, str, str, str]] = []
    seen: set[str] = set()
    cutoff = now - timedelta(days=refresh_days)
    for item in feed:
        seen.add(item.seller_sku)
        vtex_sku_id = sku_ids.vtex_sku_id(item.seller_sku, item.link, sku_id_source)
        if vtex_sku_id is None:
            plan.no_sku_id.append(item.seller_sku)
            continue
        old = cached.get(item.seller_sku)
        reason = None
        if old is None or old.status == "no_sku_id":
            reason = "new"
        elif old.vtex_sku_id != vtex_sku_id or old.feed_hash != item.content_hash:
            reason = "changed"
        elif old.status == "failed":
            reason = "retry"
        if reason:
            plan.fetch[item.seller_sku] = (vtex_sku_id, item.content_hash)
            plan.reasons[reason] += 1
            continue
        assert old is not None
        plan.keep[item.seller_sku] = old
        if old.fetched_at is None or old.fetched_at < cutoff:
            stale.append(
                (
                    old.fetched_at or datetime.min.replace(tzinfo=now.tzinfo),
                    item.seller_sku,
                    vtex_sku_id,
                    item.content_hash,
                )
            )
    stale.sort()
    for _, sku, vtex_sku_id, content_hash in stale[: max(0, max_rotation)]:
        plan.fetch[sku] = (vtex_sku_id, content_hash)
        plan.reasons["rotation"] += 1
    plan.dropped = sum(1 for sku in cached if sku not in seen)
    return plan


@dataclass
class RefreshResult:
    rows: dict[str, VtexSkuData]  # rows read this run (or recorded: not found, no SKU id, failed)
    keep: set[str]  # SKUs whose previous row stays (not due, or failed again with an earlier good row)
    fetched: int
    failed: dict[str, str]  # seller_sku → error
    not_found: list[str]
    auth_error: str | None = None  # VTEX refused the credentials


def refresh(
    api: VtexClient,
    plan: RefreshPlan,
    weight_unit: str,
    now: datetime,
    sales_channel: str | None = None,
    cached: Container[str] = (),
) -> RefreshResult:
    """Fetches the planned SKUs (concurrently, within the account's limits). A SKU VTEX does not know is
    recorded as `not_found`; a failed fetch keeps the previous row when there is one (`cached`)."""
    rows: dict[str, VtexSkuData] = {}
    keep = set(plan.keep)
    for sku in plan.no_sku_id:
        rows[sku] = VtexSkuData(
            sku, None, "no_sku_id", fetched_at=now, error="no VTEX SKU id in g:id or the link"
        )
    by_vtex_sku_id: dict[str, list[tuple[str, str]]] = {}
    for sku, (vtex_sku_id, content_hash) in plan.fetch.items():
        by_vtex_sku_id.setdefault(vtex_sku_id, []).append((sku, content_hash))
    result = api.skus_many(list(by_vtex_sku_id), sales_channel) if by_vtex_sku_id else None
    failed: dict[str, str] = {}
    not_found: list[str] = []
    auth_error = None
    if result is not None:
        for vtex_sku_id, context in result.values.items():
            for sku, content_hash in by_vtex_sku_id.get(vtex_sku_id, []):
                rows[sku] = parse_sku_context(sku, context, weight_unit, content_hash, now)
        for vtex_sku_id, error in result.errors.items():
            for sku, content_hash in by_vtex_sku_id.get(vtex_sku_id, []):
                if isinstance(error, VtexNotFoundError):
                    not_found.append(sku)
                    rows[sku] = VtexSkuData(
                        sku,
                        vtex_sku_id,
                        "not_found",
                        feed_hash=content_hash,
                        fetched_at=now,
                        error="SKU not in VTEX",
                    )
                    continue
                failed[sku] = str(error)
                if isinstance(error, VtexAuthError):
                    auth_error = str(error)
                if sku in cached:
                    keep.add(sku)
                else:
                    rows[sku] = VtexSkuData(
                        sku, vtex_sku_id, "failed", feed_hash=content_hash, fetched_at=now, error=str(error)
                    )
    return RefreshResult(rows, keep, len(plan.fetch) - len(failed), failed, sorted(not_found), auth_error)


class CachedSku(NamedTuple):
    """What planning a refresh needs of a SKU's previous row."""

    seller_sku: str
    vtex_sku_id: str | None
    status: str
    feed_hash: str | None
    fetched_at: datetime | None


def cached_skus(table: pa.Table | None) -> dict[str, CachedSku]:
    """The previous `vtex_catalog` rows, as far as planning goes (five columns: the rest stays in Arrow)."""
    if table is None:
        return {}
    columns = [table.column(name).to_pylist() for name in CachedSku._fields]
    return {row[0]: CachedSku(*row) for row in zip(*columns, strict=True)}


def weight_mismatches(rows: Mapping[str, VtexSkuData], feed_weights: Mapping[str, object]) -> list[str]:
    """SKUs whose VTEX weight and feed `g:shipping_weight` differ tenfold or more: the usual sign of a
    wrong `vtex_weight_unit` (grams read as kilograms, or the reverse)."""
    out = []
    for sku, row in rows.items():
        feed = feed_weights.get(sku)
        if row.weight_kg and feed:
            ratio = float(row.weight_kg) / float(feed)  # type: ignore[arg-type]
            if ratio >= 10 or ratio <= 0.1:
                out.append(sku)
    return sorted(out)
