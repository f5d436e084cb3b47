"""Listings on a channel: create, edit and delete only what differs from what the channel was last sent.

For every product of the current feed a draft is built (by the channel, from the core `Product`) and its
payload hash compared with the hash of the last successful push in the listing map: equal means nothing
to do; a product never pushed is created (with an idempotency key derived from its payload, after
checking the channel has no product with its SKUs already); a pushed one is edited, the channel sending
only the parts that changed. Listed products that left the feed are deleted, unless the shrink guard
holds the deletions back (`guards.py`).

Failures are per product: recorded in the listing map with their reason and tried again next run; a
product that fails the same way `pause_after` times in a row is paused until its payload changes.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from tiktok_pipelines.channels.base import ChannelAuthError, ChannelError, ChannelSession
from tiktok_pipelines.channels.base.catalog import ImageSource, ListingWrite
from tiktok_pipelines.core.models.listings import ListingDraft, ListingResult
from tiktok_pipelines.core.models.offers import PriceTarget
from tiktok_pipelines.stores.listings import ListedProduct, ListingMap, PayloadState

log = logging.getLogger(__name__)

NEVER_PAUSE = 10**9
# Not on the channel any more: deleted by the catalog ("deleted") or, as a status webhook says, by the seller.
LIVE_EXCLUDED = ("deleted", "DELETED")


def is_live(listed: ListedProduct | None) -> bool:
    return bool(listed and listed.channel_product_id and listed.status not in LIVE_EXCLUDED)


@dataclass
class ListingPlan:
    creates: list[str] = field(default_factory=list)
    edits: list[str] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    feed_only_changes: list[str] = field(default_factory=list)  # feed changed, nothing the catalog sends did
    invalid: list[str] = field(default_factory=list)
    paused: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)  # over the run's max_products


class DraftSummary(NamedTuple):
    """What planning needs of a draft (a `ListingDraft` serves as well)."""

    ok: bool
    payload_hash: str


def plan_listings(
    drafts: Mapping[str, DraftSummary | ListingDraft],
    source_hashes: Mapping[str, str],
    listed: Mapping[str, ListedProduct],
    payloads: Mapping[str, PayloadState],
    *,
    retry_paused: bool = False,
    max_products: int | None = None,
) -> ListingPlan:
    """What to do with each product of the feed (pure: no call is made). What an edit sends is decided
    by the channel when it is pushed, from the draft and the parts last pushed."""
    plan = ListingPlan()
    for key in sorted(drafts):
        draft = drafts[key]
        current = listed.get(key)
        state = payloads.get(key)
        if not draft.ok:
            plan.invalid.append(key)
            continue
        if (
            current is not None
            and current.paused
            and not retry_paused
            and state is not None
            and state.failed_hash == draft.payload_hash
        ):
            plan.paused.append(key)
            continue
        if is_live(current):
            assert current is not None
            if current.payload_hash == draft.payload_hash:
                plan.unchanged.append(key)
                if state is None or state.source_hash != source_hashes.get(key):
                    plan.feed_only_changes.append(key)
            else:
                plan.edits.append(key)
        else:
            plan.creates.append(key)
    plan.deletes = sorted(k for k, p in listed.items() if k not in drafts and is_live(p))
    if max_products is not None:
        budget = max(0, max_products)
        plan.deferred = plan.edits[budget:]
        plan.edits = plan.edits[:budget]
        room = max(0, budget - len(plan.edits))
        plan.deferred += plan.creates[room:]
        plan.creates = plan.creates[:room]
    return plan


def idempotency_key(client_id: str, product_key: str, payload_hash: str) -> str:
    """The same product with the same payload always gets the same key: a create retried after a lost
    answer, or by a run restarted after a crash, returns the product created the first time."""
    return hashlib.sha256(f"{client_id}|{product_key}|{payload_hash}".encode()).hexdigest()[:64]


@dataclass
class PublishReport:
    results: list[ListingResult] = field(default_factory=list)
    adopted: dict[str, str] = field(default_factory=dict)  # product_key → channel product found by its SKUs
    stock_warnings: list[str] = field(default_factory=list)
    deletions_blocked: str | None = None

    def extend(self, other: PublishReport) -> None:
        self.results.extend(other.results)
        self.adopted.update(other.adopted)
        self.stock_warnings.extend(other.stock_warnings)

    def count(self, action: str, ok: bool | None = None) -> int:
        return sum(1 for r in self.results if r.action == action and (ok is None or r.ok is ok))

    @property
    def failed(self) -> list[ListingResult]:
        return [r for r in self.results if not r.ok]

    def calls(self) -> Counter:
        c: Counter = Counter()
        for r in self.results:
            c.update(r.calls)
        return c


class ListingPublisher:
    """Runs a plan against one shop of a channel and keeps the listing map of `target_client_id` in step."""

    def __init__(
        self,
        session: ChannelSession,
        images: ImageSource,
        listings: ListingMap,
        target_client_id: str,
        *,
        warehouse_ids: Sequence[str],
        stock: Callable[[Iterable[str]], tuple[dict[str, dict[str, int]], list[str]]],
        prices: Callable[[ListingDraft], Mapping[str, PriceTarget]],
        pause_after: int = 3,
        logger: Any = None,
    ):
        self.session = session
        self.images = images
        self.listings = listings
        self.target = target_client_id
        self.warehouse_ids = list(warehouse_ids)
        self.stock = stock  # VTEX SKU id → units per stock key of the channel (`offers.FirstOffer`)
        self.prices = prices  # a draft's new SKUs' prices by the client's rules on the channel
        self.pause_after = pause_after
        self.log = logger or log
        self._source_hashes: Mapping[str, str] = {}

    def check(self, draft: ListingDraft) -> ListingResult:
        """Dry run: the channel's own check of the product as it would be created."""
        return self.session.check_listing(draft, self.images, warehouse_ids=self.warehouse_ids)

    def find_existing(self, drafts: Sequence[ListingDraft]) -> dict[str, str]:
        """Channel products that already hold a new product's SKUs (listed by hand, or created by a run
        that crashed before recording it): adopted and brought in line instead of created twice."""
        first_sku = {d.seller_skus[0]: d.product_key for d in drafts if d.seller_skus}
        all_skus = {s: d.product_key for d in drafts for s in d.seller_skus}
        found: dict[str, str] = {}
        for listing in self.session.find_listings(sorted(first_sku)):
            for sku in listing.seller_skus:
                key = all_skus.get(sku)
                if key and key not in found:
                    found[key] = listing.channel_product_id
        return found

    def stock_for(self, skus: Mapping[str, str]) -> tuple[dict[str, dict[str, int]], list[str]]:
        """Stock of SKUs being created (`seller_sku` → VTEX SKU id), by seller SKU (a SKU VTEX could
        not give has none: 0 everywhere)."""
        if not skus:
            return {}, []
        quantities, warnings = self.stock(skus.values())
        return {sku: quantities.get(vtex_sku_id, {}) for sku, vtex_sku_id in skus.items()}, warnings

    def push(
        self,
        creates: Sequence[ListingDraft],
        edits: Sequence[ListingDraft],
        listed: Mapping[str, ListedProduct],
        payloads: Mapping[str, PayloadState],
        source_hashes: Mapping[str, str],
    ) -> PublishReport:
        """Creates and edits these products concurrently (within the shop's rate budget), recording each
        outcome in the listing map as it comes. Raises ChannelAuthError when the channel refuses the
        shop's credentials."""
        report = PublishReport()
        self._source_hashes = source_hashes
        if creates:
            try:
                report.adopted = self.find_existing(creates)
            except ChannelError as exc:
                # Without the search a product created by a crashed run could be created again; the
                # idempotency key still covers a run that crashed with the same payload.
                self.log.warning("could not look for existing products by seller SKU: %s", exc)
        listed_skus = self.listings.skus(self.target)
        # SKUs that will be created: those of new products, and new variants of edited ones.
        new_skus = {
            sku: draft.vtex_sku_ids[sku]
            for draft in [*creates, *edits]
            for sku in draft.seller_skus
            if sku not in listed_skus and sku in draft.vtex_sku_ids
        }
        quantities, report.stock_warnings = self.stock_for(new_skus)
        work = [("create", d) for d in creates] + [("edit", d) for d in edits]

        def run(item: tuple[str, ListingDraft]) -> ListingResult:
            kind, draft = item
            key = draft.product_key
            write = ListingWrite(
                self.images,
                quantities,
                self.warehouse_ids,
                idempotency_key(self.target, key, draft.payload_hash),
                self.prices(draft),
            )
            if kind == "create":
                return self.session.create_listing(draft, write, adopt=report.adopted.get(key))
            state = payloads.get(key)
            channel_product_id = listed[key].channel_product_id
            assert channel_product_id
            return self.session.update_listing(
                draft,
                write,
                channel_product_id=channel_product_id,
                pushed=state.part_hashes if state else None,
            )

        systemic = None
        for outcome in self.session.run_many(run, work):
            kind, draft = outcome.item
            if outcome.ok:
                result = outcome.value
            else:
                self.log.error("push of %s failed unexpectedly: %r", draft.product_key, outcome.error)
                result = ListingResult(
                    draft.product_key, kind, False, message=f"{type(outcome.error).__name__}: {outcome.error}"
                )
            self._record(result, draft)
            report.results.append(result)
            if result.systemic:
                systemic = result.message
        if systemic:
            name = self.session.capabilities.display_name
            raise ChannelAuthError(f"{name} refused the shop's credentials: {systemic}")
        return report

    def _record(self, result: ListingResult, draft: ListingDraft) -> None:
        if result.ok:
            self.listings.save_listing(
                self.target,
                draft.product_key,
                result.channel_product_id or "",
                "PENDING" if result.action == "create" else self._status_of(draft.product_key),
                draft.payload_hash,
                result.channel_sku_ids or {s: self._known_sku(s) for s in draft.seller_skus},
                source_hash=self._source_hashes.get(draft.product_key),
                part_hashes=draft.part_hashes(),
            )
        else:
            self.listings.record_failure(
                self.target,
                draft.product_key,
                result.message or "failed",
                NEVER_PAUSE if result.transient or result.systemic else self.pause_after,
                payload_hash=draft.payload_hash,
            )

    def _status_of(self, product_key: str) -> str:
        product = self.listings.product(self.target, product_key)
        return product.status if product and product.status not in ("failed", "deleted") else "PENDING"

    def _known_sku(self, seller_sku: str) -> str:
        known = self.listings.skus(self.target, [seller_sku]).get(seller_sku)
        return known.channel_sku_id if known else ""

    def delete(self, keys: Sequence[str], listed: Mapping[str, ListedProduct]) -> list[ListingResult]:
        """Deletes these listed products, a call's worth at a time, recording each outcome as it comes."""
        results = []
        by_id = {listed[k].channel_product_id: k for k in keys if listed[k].channel_product_id}
        ids = sorted(by_id)
        per_call = self.session.capabilities.products_per_delete_call
        for start in range(0, len(ids), per_call):
            chunk = ids[start : start + per_call]
            for result in self.session.delete_listings({by_id[pid]: pid for pid in chunk}):
                results.append(result)
                if result.ok:
                    self.listings.mark_deleted(self.target, result.product_key)
                else:
                    self.listings.record_failure(
                        self.target, result.product_key, result.message or "", NEVER_PAUSE
                    )
        return results

    def refresh_statuses(self, since: int, channel_product_ids: Iterable[str]) -> int:
        """Reads the status the channel gave the products just pushed."""
        wanted = set(channel_product_ids)
        if not wanted:
            return 0
        return self.listings.set_statuses(self.target, self.session.listing_statuses(since, wanted))
