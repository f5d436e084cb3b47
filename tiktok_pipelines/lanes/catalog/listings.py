"""Listings on TikTok: create, edit and delete only what differs from what TikTok was last sent.

For every product of the current feed a payload is built (`domain.listing`) and compared with the hash
of the last successful push in the listing map: equal means nothing to do; a product never pushed is
created (with an idempotency key derived from its payload, after checking TikTok has no product with its
SKUs already); a pushed one is edited, sending only the parts that changed. Listed products that left the
feed are deleted, unless that would delete more than the client's share of its listings (the shrink
guard) without a data engineer's confirmation.

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

from tiktok_pipelines.channels.tiktok_shop.client import (
    AuthError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TikTokShopClient,
    TikTokShopError,
    TikTokTransportError,
)
from tiktok_pipelines.channels.tiktok_shop.listing import (
    ALL_PARTS,
    EditPlan,
    ListingDraft,
    create_body,
    plan_edit,
    product_fields,
    sku_body,
)
from tiktok_pipelines.lanes.catalog.images import ImageUploader
from tiktok_pipelines.stores.listings import ListedProduct, ListingMap, PayloadState

log = logging.getLogger(__name__)

NEVER_PAUSE = 10**9
MAX_INVENTORY = 99_999
DELETE_CHUNK = 20
# Seller SKUs per product search: product search 202502 takes at most 10 (12019027), 202309 as many.
SEARCH_SKUS_CHUNK = 10
# Not on TikTok any more: deleted by the catalog ("deleted") or, as a status webhook says, by the seller.
LIVE_EXCLUDED = ("deleted", "DELETED")
NOT_FOUND_CODES = (12019150, 12052032)  # reference §5: product not found


def is_live(listed: ListedProduct | None) -> bool:
    return bool(listed and listed.tiktok_product_id and listed.status not in LIVE_EXCLUDED)


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
    when it is pushed (`plan_edit`), from the draft and the parts last pushed."""
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


def shrink_share(listed_live: int, removed: int) -> float:
    return removed / listed_live if listed_live else 0.0


def idempotency_key(client_id: str, product_key: str, payload_hash: str) -> str:
    """The same product with the same payload always gets the same key: a create retried after a lost
    answer, or by a run restarted after a crash, returns the product created the first time."""
    return hashlib.sha256(f"{client_id}|{product_key}|{payload_hash}".encode()).hexdigest()[:64]


@dataclass
class PushResult:
    product_key: str
    action: str  # create | edit | delete | check
    ok: bool
    tiktok_product_id: str | None = None
    skus: dict[str, str] = field(default_factory=dict)
    message: str | None = None
    transient: bool = False
    systemic: bool = False
    warnings: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)  # create | partial_edit | edit | get | check


@dataclass
class PublishReport:
    results: list[PushResult] = field(default_factory=list)
    adopted: dict[str, str] = field(default_factory=dict)  # product_key → TikTok product found by its SKUs
    stock_warnings: list[str] = field(default_factory=list)
    deletions_blocked: str | None = None

    def extend(self, other: PublishReport) -> None:
        self.results.extend(other.results)
        self.adopted.update(other.adopted)
        self.stock_warnings.extend(other.stock_warnings)

    def count(self, action: str, ok: bool | None = None) -> int:
        return sum(1 for r in self.results if r.action == action and (ok is None or r.ok is ok))

    @property
    def failed(self) -> list[PushResult]:
        return [r for r in self.results if not r.ok]

    def calls(self) -> Counter:
        c: Counter = Counter()
        for r in self.results:
            c.update(r.calls)
        return c


def _error_text(exc: BaseException) -> str:
    """A failure's reason without request ids, so the same failure reads the same every time."""
    if isinstance(exc, TikTokShopError):
        return f"{exc.code}: {exc.message}"
    return f"{type(exc).__name__}: {exc}"


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, RateLimitedError | ServerError | TikTokTransportError)


class ListingPublisher:
    """Runs a plan against one shop and keeps the listing map of `target_client_id` in step."""

    def __init__(
        self,
        shop: TikTokShopClient,
        images: ImageUploader,
        listings: ListingMap,
        target_client_id: str,
        *,
        warehouse_ids: Sequence[str],
        stock: Callable[[Iterable[str]], tuple[dict[str, int], list[str]]],
        pause_after: int = 3,
        logger: Any = None,
    ):
        self.shop = shop
        self.images = images
        self.listings = listings
        self.target = target_client_id
        self.warehouse_ids = list(warehouse_ids)
        self.stock = stock
        self.pause_after = pause_after
        self.log = logger or log
        self._source_hashes: Mapping[str, str] = {}

    # -------------------------------------------------------------------- helpers
    def _inventory(self, quantity: int) -> list[dict[str, Any]]:
        # All of it on the first warehouse: the stock sync spreads it by the client's warehouse map later.
        quantity = max(0, min(MAX_INVENTORY, int(quantity)))
        return [
            {"warehouse_id": wid, "quantity": quantity if i == 0 else 0}
            for i, wid in enumerate(self.warehouse_ids)
        ]

    def _uris(self, draft: ListingDraft, result: PushResult) -> dict[tuple[str, str], str] | None:
        uris, errors = self.images.resolve(draft.image_refs())
        result.warnings.extend(errors.values())
        needed_main = list(draft.parts.get("main_images") or [])
        if not any((u, "MAIN_IMAGE") in uris for u in needed_main):
            result.message = "no main image could be used: " + "; ".join(errors.values())[:500]
            return None
        for cert in draft.parts.get("certifications") or []:
            if not any((u, "CERTIFICATION_IMAGE") in uris for u in cert["images"]):
                result.message = f"certification {cert['id']}: its image could not be used"
                return None
        return uris

    def _sku_map(self, answer: Mapping[str, Any]) -> dict[str, str]:
        return {str(s["seller_sku"]): str(s["id"]) for s in answer.get("skus") or [] if s.get("seller_sku")}

    # -------------------------------------------------------------------- one product
    def create(
        self, draft: ListingDraft, quantities: Mapping[str, int], adopted: str | None = None
    ) -> PushResult:
        result = PushResult(draft.product_key, "create", False)
        try:
            if adopted:
                return self._full_edit(draft, adopted, quantities, result)
            uris = self._uris(draft, result)
            if uris is None:
                return result
            for attempt in range(2):
                body = create_body(
                    draft,
                    uris,
                    {s: self._inventory(quantities.get(s, 0)) for s in draft.seller_skus},
                    idempotency_key(self.target, draft.product_key, draft.payload_hash),
                )
                try:
                    answer = self.shop.create_product(body)
                    result.calls.append("create")
                    break
                except TikTokShopError as exc:
                    result.calls.append("create")
                    if attempt == 0 and self._stale_images(exc, uris):
                        uris = self._uris(draft, result)
                        if uris is None:
                            return result
                        continue
                    raise
            result.ok = True
            result.tiktok_product_id = str(answer["product_id"])
            result.skus = self._sku_map(answer)
            result.warnings.extend(str(w.get("message")) for w in answer.get("warnings") or [] if w)
        except TikTokShopError as exc:
            self._fail(result, exc)
        return result

    def edit(
        self, draft: ListingDraft, listed: ListedProduct, plan: EditPlan, quantities: Mapping[str, int]
    ) -> PushResult:
        result = PushResult(draft.product_key, "edit", False)
        assert listed.tiktok_product_id
        try:
            if plan.kind == "none":  # every part as pushed: nothing to send
                result.ok, result.tiktok_product_id = True, listed.tiktok_product_id
                return result
            if plan.kind == "full":
                return self._full_edit(draft, listed.tiktok_product_id, quantities, result)
            uris = self._uris(draft, result) if {"main_images", "certifications"} & set(plan.fields) else {}
            if uris is None:
                return result
            body = product_fields(draft, uris, plan.fields)
            try:
                answer = self.shop.partial_edit_product(listed.tiktok_product_id, body)
                result.calls.append("partial_edit")
            except NotFoundError:
                result.calls.append("partial_edit")
                return self._recreate(draft, quantities, result)
            result.ok = True
            result.tiktok_product_id = listed.tiktok_product_id
            result.skus = self._sku_map(answer)
        except TikTokShopError as exc:
            self._fail(result, exc)
        return result

    def _recreate(self, draft: ListingDraft, quantities: Mapping[str, int], result: PushResult) -> PushResult:
        """The product is gone from TikTok (deleted in Seller Center): it is created again."""
        created = self.create(draft, quantities)
        created.action = result.action
        created.calls = result.calls + created.calls
        created.warnings = [
            *result.warnings,
            "the product was no longer on TikTok: created again",
            *created.warnings,
        ]
        return created

    def _full_edit(
        self, draft: ListingDraft, product_id: str, quantities: Mapping[str, int], result: PushResult
    ) -> PushResult:
        """Replaces the product (SKUs left out are deleted). Existing SKUs keep the price and stock TikTok
        has now, read first; SKUs new to the product get the feed's price and VTEX's stock."""
        try:
            current = self.shop.get_product(product_id)
            result.calls.append("get")
        except NotFoundError:
            result.calls.append("get")
            return self._recreate(draft, quantities, result)
        uris = self._uris(draft, result)
        if uris is None:
            return result
        existing = {str(s.get("seller_sku")): s for s in current.get("skus") or []}
        body = product_fields(draft, uris, [n for n in ALL_PARTS if n != "skus"])
        skus = []
        for sku in draft.parts["skus"]:
            old = existing.get(sku["seller_sku"])
            if old is None:
                skus.append(
                    sku_body(
                        draft, sku, uris, inventory=self._inventory(quantities.get(sku["seller_sku"], 0))
                    )
                )
                continue
            # The answer shows the price as sale_price / tax_exclusive_price (never `amount`); a price it
            # does not carry in readable form is sent as the feed's, never as a missing amount.
            amount = self.shop.listed_price(current, old)
            currency = (old.get("price") or {}).get("currency") or draft.prices[sku["seller_sku"]]["currency"]
            skus.append(
                sku_body(
                    draft,
                    sku,
                    uris,
                    tiktok_sku_id=str(old["id"]),
                    price=None if amount is None else {"amount": str(amount), "currency": currency},
                    list_price=(old.get("list_price") or None) if amount is not None else None,
                    inventory=[
                        {"warehouse_id": str(i["warehouse_id"]), "quantity": int(i.get("quantity") or 0)}
                        for i in old.get("inventory") or []
                    ]
                    or self._inventory(0),
                )
            )
        body["skus"] = skus
        answer = self.shop.edit_product(product_id, body)
        result.calls.append("edit")
        result.ok = True
        result.tiktok_product_id = product_id
        result.skus = self._sku_map(answer)
        return result

    def _stale_images(self, exc: TikTokShopError, uris: Mapping[tuple[str, str], str]) -> bool:
        """TikTok refused an image uri (unknown or expired): forget the cached uploads to upload again."""
        text = exc.message.lower()
        if "image" not in text or "uri" not in text:
            return False
        self.images.forget(uris.values())
        return True

    def _fail(self, result: PushResult, exc: TikTokShopError) -> None:
        result.ok = False
        result.message = _error_text(exc)
        result.transient = _transient(exc)
        result.systemic = isinstance(exc, AuthError)

    def check(self, draft: ListingDraft) -> PushResult:
        """Dry run: TikTok's listing check of the product as it would be created (images are uploaded,
        which changes no listing)."""
        result = PushResult(draft.product_key, "check", False)
        try:
            uris = self._uris(draft, result)
            if uris is None:
                return result
            body = create_body(
                draft, uris, {s: self._inventory(0) for s in draft.seller_skus}, "check-" + draft.payload_hash
            )
            body.pop("idempotency_key")
            answer = self.shop.check_listing(body)
            result.calls.append("check")
            passed = str(answer.get("check_result") or "").upper() == "PASS"
            reasons = [
                "; ".join(str(x) for x in r.get("reasons") or [])
                for r in answer.get("fail_reasons") or []
                if isinstance(r, Mapping)
            ]
            result.ok = passed
            result.message = (
                None if passed else ("; ".join(r for r in reasons if r) or "listing check failed")
            )
        except TikTokShopError as exc:
            self._fail(result, exc)
        return result

    # -------------------------------------------------------------------- the run
    def find_existing(self, drafts: Sequence[ListingDraft]) -> dict[str, str]:
        """TikTok products that already hold a new product's SKUs (listed by hand, or created by a run that
        crashed before recording it): adopted and brought in line instead of created twice."""
        first_sku = {d.seller_skus[0]: d.product_key for d in drafts if d.seller_skus}
        all_skus = {s: d.product_key for d in drafts for s in d.seller_skus}
        found: dict[str, str] = {}
        wanted = sorted(first_sku)
        for start in range(0, len(wanted), SEARCH_SKUS_CHUNK):
            chunk = wanted[start : start + SEARCH_SKUS_CHUNK]
            for product in self.shop.iter_products(100, seller_skus=chunk):
                if str(product.get("status")) == "DELETED":
                    continue
                for sku in product.get("skus") or []:
                    key = all_skus.get(str(sku.get("seller_sku")))
                    if key and key not in found:
                        found[key] = str(product["id"])
        return found

    def stock_for(self, skus: Mapping[str, str]) -> tuple[dict[str, int], list[str]]:
        """Stock of SKUs being created (`seller_sku` → VTEX SKU id), by seller SKU."""
        if not skus:
            return {}, []
        quantities, warnings = self.stock(skus.values())
        return {sku: quantities.get(vid, 0) for sku, vid in skus.items()}, warnings

    def push(
        self,
        creates: Sequence[ListingDraft],
        edits: Sequence[ListingDraft],
        listed: Mapping[str, ListedProduct],
        payloads: Mapping[str, PayloadState],
        source_hashes: Mapping[str, str],
    ) -> PublishReport:
        """Creates and edits these products concurrently (within the shop's rate budget), recording each
        outcome in the listing map as it comes. Raises AuthError when TikTok refuses the credentials."""
        report = PublishReport()
        self._source_hashes = source_hashes
        if creates:
            try:
                report.adopted = self.find_existing(creates)
            except TikTokShopError as exc:
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

        def run(item: tuple[str, ListingDraft]) -> PushResult:
            kind, draft = item
            key = draft.product_key
            if kind == "create":
                return self.create(draft, quantities, report.adopted.get(key))
            state = payloads.get(key)
            plan = plan_edit(draft, state.part_hashes if state else None)
            return self.edit(draft, listed[key], plan, quantities)

        systemic = None
        for outcome in self.shop.bulk(run, work):
            kind, draft = outcome.item
            if outcome.ok:
                result = outcome.value
            else:
                self.log.error("push of %s failed unexpectedly: %r", draft.product_key, outcome.error)
                result = PushResult(
                    draft.product_key, kind, False, message=f"{type(outcome.error).__name__}: {outcome.error}"
                )
            self._record(result, draft)
            report.results.append(result)
            if result.systemic:
                systemic = result.message
        if systemic:
            raise AuthError(f"TikTok refused the shop's credentials: {systemic}")
        return report

    def _record(self, result: PushResult, draft: ListingDraft) -> None:
        if result.ok:
            self.listings.save_listing(
                self.target,
                draft.product_key,
                result.tiktok_product_id or "",
                "PENDING" if result.action == "create" else self._status_of(draft.product_key),
                draft.payload_hash,
                result.skus or {s: self._known_sku(s) for s in draft.seller_skus},
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
        return known.tiktok_sku_id if known else ""

    def delete(self, keys: Sequence[str], listed: Mapping[str, ListedProduct]) -> list[PushResult]:
        results = []
        by_id = {listed[k].tiktok_product_id: k for k in keys if listed[k].tiktok_product_id}
        ids = sorted(by_id)
        for start in range(0, len(ids), DELETE_CHUNK):
            chunk = ids[start : start + DELETE_CHUNK]
            try:
                answer = self.shop.delete_products(chunk)
            except TikTokShopError as exc:
                for pid in chunk:
                    result = PushResult(
                        by_id[pid], "delete", False, pid, message=_error_text(exc), calls=["delete"]
                    )
                    result.transient = _transient(exc)
                    results.append(result)
                    self.listings.record_failure(self.target, by_id[pid], result.message or "", NEVER_PAUSE)
                continue
            refused = {}
            for error in answer.errors:
                pid = str(error.detail.get("product_id") or "")
                # A product TikTok no longer has is as good as deleted.
                if pid and error.code not in NOT_FOUND_CODES:
                    refused[pid] = f"{error.code}: {error.message}"
            for n, pid in enumerate(chunk):
                key = by_id[pid]
                calls = ["delete"] if n == 0 else []
                if pid in refused:
                    results.append(PushResult(key, "delete", False, pid, message=refused[pid], calls=calls))
                    self.listings.record_failure(self.target, key, refused[pid], NEVER_PAUSE)
                else:
                    results.append(PushResult(key, "delete", True, pid, calls=calls))
                    self.listings.mark_deleted(self.target, key)
        return results

    def refresh_statuses(self, since: int, product_ids: Iterable[str]) -> int:
        """Reads the status TikTok gave the products just pushed (one search page per 100 products)."""
        wanted = set(product_ids)
        if not wanted:
            return 0
        statuses = {}
        for product in self.shop.iter_products(100, update_time_ge=since):
            pid = str(product.get("id"))
            if pid in wanted and product.get("status"):
                statuses[pid] = str(product["status"])
        return self.listings.set_statuses(self.target, statuses)
