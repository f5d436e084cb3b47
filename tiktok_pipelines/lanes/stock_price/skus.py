"""Which SKUs the stock and price lane works on: the listed ones (registered in `sku_sync` with their
VTEX SKU id), those VTEX notified, and the slice a run reads again."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.core.sku_ids import SkuIdMap
from tiktok_pipelines.stores.events import EventLog
from tiktok_pipelines.stores.listings import ListedSku
from tiktok_pipelines.stores.stock_price import ListedIds, SkuSyncStore, SyncRow

TARGET = Lane.STOCK_PRICE.value  # the event log's target for VTEX SKU notifications
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def listed_skus(listing: Mapping[str, ListedSku], ids: SkuIdMap) -> dict[str, ListedIds]:
    """The listing map's SKUs with their VTEX SKU id (`core.sku_ids`: what VTEX enrichment found,
    else the seller SKU itself when the client's feed uses VTEX SKU ids)."""
    return {
        seller_sku: ListedIds(ids.vtex_sku_id(seller_sku), sku.channel_product_id, sku.channel_sku_id)
        for seller_sku, sku in listing.items()
    }


@dataclass
class ClaimReport:
    """VTEX notifications turned into SKUs to read again."""

    events: int = 0
    marked: int = 0
    not_listed: list[str] = field(default_factory=list)  # VTEX SKU ids no listed SKU has


def kinds_of_notification(body: Mapping[str, Any]) -> set[str]:
    """What a VTEX SKU notification says changed; both when it does not say."""
    kinds = {k for k, flag in (("stock", "StockModified"), ("price", "PriceModified")) if body.get(flag)}
    return kinds or {"stock", "price"}


def claim_events(
    events: EventLog,
    store: SkuSyncStore | Sequence[SkuSyncStore],
    client_id: str,
    refresh: Callable[[], object] | None = None,
) -> ClaimReport:
    """Turns the client's pending VTEX SKU notifications into `dirty` marks (durable, so a run that dies
    later loses nothing) in the sync state of every channel given (`store`, or several: one VTEX
    notification serves every channel listing the SKU) and marks the events handled. SKUs no channel
    registers trigger one `refresh` (a listing newer than the last run); still unknown, their events are
    `ignored`."""
    stores = [store] if isinstance(store, SkuSyncStore) else list(store)
    report = ClaimReport()
    pending = events.pending(client_id, TARGET)
    if not pending:
        return report
    wanted: dict[str, set[str]] = defaultdict(set)
    event_skus: dict[int, str] = {}
    for entry in pending:
        try:
            body = json.loads(entry.body)
        except ValueError:
            body = {}
        for vtex_sku_id in entry.key_list:
            wanted[vtex_sku_id] |= kinds_of_notification(body)
            event_skus[entry.id] = vtex_sku_id
    found = [s.seller_skus_of(client_id, wanted) for s in stores]
    if refresh is not None and set(wanted) - {v for f in found for v in f}:
        refresh()
        found = [s.seller_skus_of(client_id, wanted) for s in stores]
    for each, found_here in zip(stores, found, strict=True):
        marks = {sku: wanted[vtex_sku_id] for vtex_sku_id, skus in found_here.items() for sku in skus}
        report.marked += each.mark_dirty(client_id, marks)
    report.not_listed = sorted(set(wanted) - {v for f in found for v in f})
    unknown = [e.id for e in pending if event_skus.get(e.id) in report.not_listed]
    events.mark([e.id for e in pending if e.id not in set(unknown)], "handled")
    events.mark(unknown, "ignored", "the SKU is not listed on any channel")
    report.events = len(pending)
    return report


def rows_to_read(
    stores: Sequence[SkuSyncStore],
    client_id: str,
    kind: str,
    mode: str,
    refresh_limit: int,
    seller_skus: list[str] | None = None,
) -> list[SyncRow]:
    """The SKUs a run reads from VTEX, on every channel given: those named (a repair by hand), else
    those of the mode (see `SkuSyncStore.to_read`), the incremental slice of `refresh_limit` taken over
    the VTEX SKUs of all channels (never-read first, then those read longest ago). A VTEX SKU chosen for
    one channel brings its SKUs on every other channel along, so VTEX is read once for them all."""
    if seller_skus:
        return [row for store in stores for row in store.rows(client_id, kind, seller_skus)]
    if mode == "full":
        return [row for store in stores for row in store.to_read(client_id, kind, mode)]
    notified = [row for store in stores for row in store.to_read(client_id, kind, "realtime")]
    chosen = {row.vtex_sku_id for row in notified if row.vtex_sku_id}
    if mode != "realtime" and refresh_limit > 0:
        candidates = sorted(
            (row for store in stores for row in store.to_read(client_id, kind, mode, refresh_limit)),
            key=lambda r: (r.observed_at is not None, r.observed_at or _EPOCH, r.seller_sku),
        )
        slice_ids: dict[str, None] = {}
        for row in candidates:
            if row.vtex_sku_id is None or row.vtex_sku_id in chosen or row.dirty:
                continue
            if len(slice_ids) >= refresh_limit:
                break
            slice_ids[row.vtex_sku_id] = None
        chosen |= set(slice_ids)
    no_id = [row for row in notified if row.vtex_sku_id is None]
    rows = []
    for store in stores:
        skus = [sku for found in store.seller_skus_of(client_id, chosen).values() for sku in found]
        rows += store.rows(client_id, kind, skus)
    return rows + no_id
