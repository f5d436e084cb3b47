"""What must hold before a feed is published: not empty, no mass deletion without a confirmation (the
shrink guard), unique seller SKUs, prices above zero.

The shrink guard is decided here and only here: `feed_diff`'s check and the publication of listings
both ask `ShrinkGuard`, so materializing `tiktok_shop/listings` alone cannot bypass it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from tiktok_pipelines.stores.catalog import ShrinkGuardStore, ShrinkRecord

ERROR, WARN = "error", "warn"


@dataclass(frozen=True)
class GuardResult:
    """The outcome of one guard for a client's feed; a failed one of severity `error` stops the push."""

    name: str
    passed: bool
    severity: str = ERROR
    metadata: dict[str, Any] = field(default_factory=dict)
    description: str | None = None


def shrink_share(listed_live: int, removed: int) -> float:
    return removed / listed_live if listed_live else 0.0


@dataclass(frozen=True)
class ShrinkDecision:
    """Whether a feed snapshot may delete the `removed` of the `listed` live products it no longer has:
    yes when that is at most the client's share, or when a data engineer confirmed the snapshot."""

    client_id: str
    snapshot_hash: str
    removed: int
    listed: int
    max_share: float
    record: ShrinkRecord | None = None  # the snapshot's entry in the guard, when above the share
    ignored_confirmation: str | None = None  # a confirmation given for another snapshot

    @property
    def share(self) -> float:
        return shrink_share(self.listed, self.removed)

    @property
    def within_share(self) -> bool:
        return self.share <= self.max_share

    @property
    def confirmed(self) -> bool:
        return self.record is not None and self.record.confirmed_at is not None

    @property
    def passed(self) -> bool:
        return self.within_share or self.confirmed

    def allows_deletions(self, products: int) -> bool:
        """Deletions go ahead when the guard passed and the feed has products (an empty one deletes nothing)."""
        return products > 0 and self.passed

    def blocked(self, deletes: int) -> str:
        """Why `deletes` deletions were held back."""
        return (
            f"{deletes} of {self.listed} listed products ({self.share:.0%}) would be deleted, above "
            f"{self.max_share:.0%}: no deletion until `tiktok-pipelines catalog confirm-shrink {self.client_id}`"
        )


class ShrinkGuard:
    """The client's shrink guard: its share (`max_delete_share`) and the snapshots confirmed."""

    def __init__(self, store: ShrinkGuardStore, client_id: str, max_share: float):
        self.store = store
        self.client_id = client_id
        self.max_share = max_share

    def decide(self, snapshot_hash: str, listed: int, removed: int) -> ShrinkDecision:
        """The decision for a snapshot, as it stands."""
        decision = ShrinkDecision(self.client_id, snapshot_hash, removed, listed, self.max_share)
        if decision.within_share:
            return decision
        return ShrinkDecision(
            self.client_id,
            snapshot_hash,
            removed,
            listed,
            self.max_share,
            self.store.get(self.client_id, snapshot_hash),
        )

    def judge(
        self, snapshot_hash: str, listed: int, removed: int, confirm: str | None = None
    ) -> ShrinkDecision:
        """The decision for a snapshot, recording it for confirmation when it is above the share, and
        applying `confirm` (the snapshot's hash, or its first 12+ characters) when it names this one."""
        decision = ShrinkDecision(self.client_id, snapshot_hash, removed, listed, self.max_share)
        if decision.within_share:
            return decision
        record = self.store.record(self.client_id, snapshot_hash, removed, listed)
        wanted = (confirm or "").strip()
        ignored = None
        if wanted and record.confirmed_at is None:
            if len(wanted) >= 12 and snapshot_hash.startswith(wanted):
                record = (
                    self.store.confirm(self.client_id, snapshot_hash, "run config of feed_diff") or record
                )
            else:
                ignored = f"{wanted!r} is not this snapshot ({snapshot_hash[:12]}…)"
        return ShrinkDecision(self.client_id, snapshot_hash, removed, listed, self.max_share, record, ignored)


# ---------------------------------------------------------------- the guards of feed_diff
def not_empty(items: int, products: int) -> GuardResult:
    return GuardResult(
        "feed_not_empty",
        passed=items > 0,
        metadata={"items": items, "products": products},
        description=None if items else "the feed has no usable item: nothing is pushed and nothing deleted",
    )


def shrink(decision: ShrinkDecision) -> GuardResult:
    metadata: dict[str, Any] = {
        "removed": decision.removed,
        "listed": decision.listed,
        "share": round(decision.share, 4),
        "max_delete_share": decision.max_share,
        "snapshot_hash": decision.snapshot_hash,
    }
    if decision.within_share:
        return GuardResult("shrink_guard", passed=True, metadata=metadata)
    if decision.ignored_confirmation:
        metadata["confirmation_ignored"] = decision.ignored_confirmation
    metadata["confirmed"] = decision.confirmed
    record = decision.record
    if decision.confirmed and record is not None:
        metadata["confirmed_by"] = record.confirmed_by or ""
        metadata["confirmed_at"] = record.confirmed_at.isoformat() if record.confirmed_at else ""
    removed, listed, client_id = decision.removed, decision.listed, decision.client_id
    return GuardResult(
        "shrink_guard",
        passed=decision.confirmed,
        metadata=metadata,
        description=(
            f"confirmed: {removed} of {listed} listed products will be deleted"
            if decision.confirmed
            else f"{removed} of {listed} listed products ({decision.share:.0%}) would be deleted, above the "
            f"client's {decision.max_share:.0%}: nothing is pushed until a data engineer confirms this "
            f"snapshot with `tiktok-pipelines catalog confirm-shrink {client_id} --snapshot "
            f"{decision.snapshot_hash[:12]}` (or the feed_diff run config confirm_shrink_snapshot), then "
            "runs catalog_job again"
        ),
    )


def unique_seller_skus(seller_skus: Sequence[str]) -> GuardResult:
    counts = Counter(s.strip().casefold() for s in seller_skus)
    duplicates = sorted(k for k, n in counts.items() if n > 1)
    return GuardResult(
        "unique_seller_skus",
        passed=not duplicates,
        metadata={
            "items": len(seller_skus),
            "duplicates": len(duplicates),
            "examples": ", ".join(duplicates[:10]),
        },
    )


def prices_positive(table: pa.Table, max_share: float) -> GuardResult:
    """Items whose price or sale price is not above zero: a warning, an error above `max_share` of them."""
    bad = [
        sku
        for sku, price, sale in zip(
            table.column("seller_sku").to_pylist(),
            table.column("price").to_pylist(),
            table.column("sale_price").to_pylist(),
            strict=True,
        )
        if price is None or price <= 0 or (sale is not None and sale <= 0)
    ]
    share = len(bad) / table.num_rows if table.num_rows else 0.0
    return GuardResult(
        "prices_positive",
        passed=not bad,
        severity=ERROR if share > max_share else WARN,
        metadata={
            "items": table.num_rows,
            "not_positive": len(bad),
            "share": round(share, 4),
            "max_bad_price_share": max_share,
            "examples": ", ".join(bad[:10]),
        },
    )
