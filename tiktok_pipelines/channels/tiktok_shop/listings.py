"""Listings on TikTok Shop (the `CatalogApi` of its session): brands (`brands.py`), the category tree
(`categories.py`), leaf rules and recommendations, the product built from a core `Product`
(`listing.py`), and its create, edit, delete and check; images uploaded as bytes; listing statuses and
products found by seller SKU.

A create carries an idempotency key and, when TikTok refuses an image uri it no longer knows, uploads the
images again once. An edit sends only the product fields that changed (a partial edit), or replaces the
product (a full edit, which keeps the price and stock TikTok has for the SKUs it already has, read first)
when SKUs come, go, or change their sales attributes. A product gone from TikTok (deleted in Seller
Center) is created again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tiktok_pipelines.channels.base.catalog import ImageSource, ListingBuilder, ListingWrite, listing_failed
from tiktok_pipelines.channels.base.errors import ChannelRetryableError
from tiktok_pipelines.channels.tiktok_shop.brands import resolve_brand
from tiktok_pipelines.channels.tiktok_shop.categories import category_nodes
from tiktok_pipelines.channels.tiktok_shop.client import (
    MAX_PRODUCT_IDS_PER_DELETE,
    NotFoundError,
    RateLimitedError,
    TikTokShopClient,
    TikTokShopError,
)
from tiktok_pipelines.channels.tiktok_shop.listing import (
    ALL_PARTS,
    TikTokListingDraft,
    build_draft,
    create_body,
    plan_edit,
    price_fields,
    product_fields,
    sku_body,
)
from tiktok_pipelines.core.attribute_rules import AttributeRule, rule_lookup
from tiktok_pipelines.core.models import categories
from tiktok_pipelines.core.models.brands import BrandResult
from tiktok_pipelines.core.models.listings import (
    ChannelListing,
    ImageUpload,
    ListingOptions,
    ListingResult,
)
from tiktok_pipelines.core.models.products import Product

# Seller SKUs per product search: product search 202502 takes at most 10 (12019027), 202309 as many.
SEARCH_SKUS_CHUNK = 10
NOT_FOUND_CODES = (12019150, 12052032)  # reference §5: product not found


def _error_text(exc: BaseException) -> str:
    """A failure's reason without request ids, so the same failure reads the same every time."""
    if isinstance(exc, TikTokShopError):
        return f"{exc.code}: {exc.message}"
    return f"{type(exc).__name__}: {exc}"


def _fail(result: ListingResult, exc: TikTokShopError) -> None:
    listing_failed(result, exc, _error_text(exc))


def _sku_map(answer: Mapping[str, Any]) -> dict[str, str]:
    return {str(s["seller_sku"]): str(s["id"]) for s in answer.get("skus") or [] if s.get("seller_sku")}


def _inventory(write: ListingWrite, seller_sku: str | None) -> list[dict[str, Any]]:
    """A new SKU's stock in each warehouse of the shop (none: 0 in each)."""
    return [
        {"warehouse_id": wid, "quantity": write.units_in(seller_sku, wid) if seller_sku else 0}
        for wid in write.warehouse_ids
    ]


def _uris(
    write: ListingWrite, draft: TikTokListingDraft, result: ListingResult
) -> dict[tuple[str, str], str] | None:
    uris, errors = write.images.resolve(draft.image_refs())
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


class TikTokCatalog:
    """Listings on TikTok Shop (the `CatalogApi` of its session)."""

    api: TikTokShopClient

    # ---------------------------------------------------------------- brands
    def brand(self, name: str) -> BrandResult:
        return resolve_brand(self.api, name)

    # ---------------------------------------------------------------- categories
    def category_tree(self) -> list[categories.CategoryNode]:
        return category_nodes(self.api.get_categories())

    def category_rules(self, category_id: str) -> categories.CategoryRules:
        try:
            rules = self.api.get_category_rules(category_id)
            attributes = self.api.get_category_attributes(category_id)
        except TikTokShopError as exc:
            return categories.CategoryRules(category_id, {}, [], error=f"{exc.code}: {exc.message}")
        return categories.CategoryRules(category_id, rules, attributes)

    def recommend_category(self, title: str, description: str | None) -> categories.CategoryRecommendation:
        try:
            answer = self.api.recommend_category(title, description)
        except RateLimitedError:
            return categories.CategoryRecommendation(None, "rate limited", retry_later=True)
        except TikTokShopError as exc:
            return categories.CategoryRecommendation(None, f"{exc.code} {exc.message}")
        return categories.CategoryRecommendation(str(answer.get("leaf_category_id") or "") or None)

    # ---------------------------------------------------------------- building
    def listing_builder(
        self, options: ListingOptions, attribute_rules: Sequence[AttributeRule]
    ) -> ListingBuilder:
        rules_for = rule_lookup(attribute_rules)

        def build(
            product: Product,
            category: categories.CategoryChoice,
            brand_id: str | None,
            brand_problem: str | None,
        ) -> TikTokListingDraft:
            return build_draft(
                product, category, brand_id, brand_problem, rules_for(category.leaf_id), options
            )

        return build

    # ---------------------------------------------------------------- writes
    def create_listing(
        self, draft: TikTokListingDraft, write: ListingWrite, *, adopt: str | None = None
    ) -> ListingResult:
        return self._create(draft, write, adopt)

    def update_listing(
        self,
        draft: TikTokListingDraft,
        write: ListingWrite,
        *,
        channel_product_id: str,
        pushed: Mapping[str, str] | None,
    ) -> ListingResult:
        plan = plan_edit(draft, pushed)
        result = ListingResult(draft.product_key, "edit", False)
        try:
            if plan.kind == "none":  # every part as pushed: nothing to send
                result.ok, result.channel_product_id = True, channel_product_id
                return result
            if plan.kind == "full":
                return self._full_edit(draft, channel_product_id, write, result)
            uris = _uris(write, draft, result) if {"main_images", "certifications"} & set(plan.fields) else {}
            if uris is None:
                return result
            body = product_fields(draft, uris, plan.fields)
            try:
                answer = self.api.partial_edit_product(channel_product_id, body)
                result.calls.append("partial_edit")
            except NotFoundError:
                result.calls.append("partial_edit")
                return self._recreate(draft, write, result)
            result.ok = True
            result.channel_product_id = channel_product_id
            result.channel_sku_ids = _sku_map(answer)
        except TikTokShopError as exc:
            _fail(result, exc)
        return result

    def _create(
        self, draft: TikTokListingDraft, write: ListingWrite, adopt: str | None = None
    ) -> ListingResult:
        result = ListingResult(draft.product_key, "create", False)
        try:
            if adopt:
                return self._full_edit(draft, adopt, write, result)
            uris = _uris(write, draft, result)
            if uris is None:
                return result
            for attempt in range(2):
                body = create_body(
                    draft,
                    uris,
                    {s: _inventory(write, s) for s in draft.seller_skus},
                    write.idempotency_key,
                    write.prices,
                )
                try:
                    answer = self.api.create_product(body)
                    result.calls.append("create")
                    break
                except TikTokShopError as exc:
                    result.calls.append("create")
                    if attempt == 0 and self._stale_images(exc, uris, write.images):
                        uris = _uris(write, draft, result)
                        if uris is None:
                            return result
                        continue
                    raise
            result.ok = True
            result.channel_product_id = str(answer["product_id"])
            result.channel_sku_ids = _sku_map(answer)
            result.warnings.extend(str(w.get("message")) for w in answer.get("warnings") or [] if w)
        except TikTokShopError as exc:
            _fail(result, exc)
        return result

    def _recreate(
        self, draft: TikTokListingDraft, write: ListingWrite, result: ListingResult
    ) -> ListingResult:
        """The product is gone from TikTok (deleted in Seller Center): it is created again."""
        created = self._create(draft, write)
        created.action = result.action
        created.calls = result.calls + created.calls
        created.warnings = [
            *result.warnings,
            "the product was no longer on TikTok: created again",
            *created.warnings,
        ]
        return created

    def _full_edit(
        self, draft: TikTokListingDraft, product_id: str, write: ListingWrite, result: ListingResult
    ) -> ListingResult:
        """Replaces the product (SKUs left out are deleted). Existing SKUs keep the price and stock TikTok
        has now, read first; SKUs new to the product get the feed's price and VTEX's stock."""
        try:
            current = self.api.get_product(product_id)
            result.calls.append("get")
        except NotFoundError:
            result.calls.append("get")
            return self._recreate(draft, write, result)
        uris = _uris(write, draft, result)
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
                        draft,
                        sku,
                        uris,
                        inventory=_inventory(write, sku["seller_sku"]),
                        **price_fields(write.prices.get(sku["seller_sku"])),
                    )
                )
                continue
            # The answer shows the price as sale_price / tax_exclusive_price (never `amount`); a price it
            # does not carry in readable form is sent as the feed's, never as a missing amount.
            amount = self.api.listed_price(current, old)
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
                    or _inventory(write, None),
                )
            )
        body["skus"] = skus
        answer = self.api.edit_product(product_id, body)
        result.calls.append("edit")
        result.ok = True
        result.channel_product_id = product_id
        result.channel_sku_ids = _sku_map(answer)
        return result

    @staticmethod
    def _stale_images(exc: TikTokShopError, uris: Mapping[tuple[str, str], str], images: ImageSource) -> bool:
        """TikTok refused an image uri (unknown or expired): forget the cached uploads to upload again."""
        text = exc.message.lower()
        if "image" not in text or "uri" not in text:
            return False
        images.forget(uris.values())
        return True

    def check_listing(
        self,
        draft: TikTokListingDraft,
        images: ImageSource,
        *,
        warehouse_ids: Sequence[str],
    ) -> ListingResult:
        """Dry run: TikTok's listing check of the product as it would be created (images are uploaded,
        which changes no listing)."""
        write = ListingWrite(images, {}, warehouse_ids, "check-" + draft.payload_hash)
        result = ListingResult(draft.product_key, "check", False)
        try:
            uris = _uris(write, draft, result)
            if uris is None:
                return result
            body = create_body(
                draft, uris, {s: _inventory(write, None) for s in draft.seller_skus}, write.idempotency_key
            )
            body.pop("idempotency_key")
            answer = self.api.check_listing(body)
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
            _fail(result, exc)
        return result

    def delete_listings(self, products: Mapping[str, str]) -> list[ListingResult]:
        results = []
        by_id = {pid: key for key, pid in products.items()}
        ids = sorted(by_id)
        for start in range(0, len(ids), MAX_PRODUCT_IDS_PER_DELETE):
            chunk = ids[start : start + MAX_PRODUCT_IDS_PER_DELETE]
            try:
                answer = self.api.delete_products(chunk)
            except TikTokShopError as exc:
                for pid in chunk:
                    result = ListingResult(
                        by_id[pid], "delete", False, pid, message=_error_text(exc), calls=["delete"]
                    )
                    result.transient = isinstance(exc, ChannelRetryableError)
                    results.append(result)
                continue
            refused = {}
            for error in answer.errors:
                pid = str(error.detail.get("product_id") or "")
                # A product TikTok no longer has is as good as deleted.
                if pid and error.code not in NOT_FOUND_CODES:
                    refused[pid] = f"{error.code}: {error.message}"
            for n, pid in enumerate(chunk):
                calls = ["delete"] if n == 0 else []
                if pid in refused:
                    results.append(
                        ListingResult(by_id[pid], "delete", False, pid, message=refused[pid], calls=calls)
                    )
                else:
                    results.append(ListingResult(by_id[pid], "delete", True, pid, calls=calls))
        return results

    # ---------------------------------------------------------------- reads
    def find_listings(self, seller_skus: Sequence[str]) -> list[ChannelListing]:
        found = []
        wanted = list(seller_skus)
        for start in range(0, len(wanted), SEARCH_SKUS_CHUNK):
            chunk = wanted[start : start + SEARCH_SKUS_CHUNK]
            for product in self.api.iter_products(100, seller_skus=chunk):
                if str(product.get("status")) == "DELETED":
                    continue
                skus = tuple(str(sku.get("seller_sku")) for sku in product.get("skus") or [])
                found.append(ChannelListing(str(product["id"]), skus))
        return found

    def listing_statuses(self, since: int, channel_product_ids: Iterable[str]) -> dict[str, str]:
        wanted = set(channel_product_ids)
        statuses = {}
        for product in self.api.iter_products(100, update_time_ge=since):
            pid = str(product.get("id"))
            if pid in wanted and product.get("status"):
                statuses[pid] = str(product["status"])
        return statuses

    # ---------------------------------------------------------------- images
    def upload_image(self, data: bytes, use: str, filename: str) -> ImageUpload:
        try:
            answer = self.api.upload_image(data, use, filename=filename)
        except TikTokShopError as exc:
            return ImageUpload(None, error=f"{exc.code} {exc.message}")
        return ImageUpload(str(answer["uri"]), answer.get("width"), answer.get("height"))
