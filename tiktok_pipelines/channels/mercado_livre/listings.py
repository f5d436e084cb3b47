"""Listings on Mercado Livre (the `CatalogApi` of its session, reference §5): the site's category tree
and a leaf's attributes, the category prediction (`domain_discovery`), items created, edited with only
what changed, checked by `/items/validate` (the dry run), and closed when their product leaves the feed.

- A brand is an attribute (`BRAND`) with a free value on Mercado Livre: nothing to look up or create.
- An item is never deleted: a product gone from the feed is closed (`status: closed`), which keeps its
  sales history; an item Mercado Livre no longer has counts as closed.
- An edit sends the item's fields that changed (title, pictures, attributes, variations) and, apart,
  its description. Every existing variation is named by its id (one left out would be deleted, one
  without its id created anew); a new SKU is a new variation with the draft's price and its stock. An
  item with sales keeps its title (Mercado Livre refuses to change it): the edit says so.
- Mercado Livre has no idempotency key: a create whose answer was lost is found again by its SKUs on the
  next attempt (the lane's `find_listings` and `adopt`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tiktok_pipelines.channels.base.catalog import ImageSource, ListingBuilder, ListingWrite, listing_failed
from tiktok_pipelines.channels.mercado_livre.client import (
    MercadoLivreClient,
    MercadoLivreError,
    MercadoLivreNotFoundError,
    MercadoLivreRetryableError,
)
from tiktok_pipelines.channels.mercado_livre.listing import (
    DEFAULT_LISTING_TYPE,
    DESCRIPTION_PART,
    ITEM_PART,
    MercadoLivreDraft,
    build_draft,
    create_body,
    item_price,
    item_skus,
)
from tiktok_pipelines.channels.mercado_livre.orders import iso_time
from tiktok_pipelines.core.attribute_rules import AttributeRule, rule_lookup
from tiktok_pipelines.core.models import categories
from tiktok_pipelines.core.models.brands import BrandResult, brand_key
from tiktok_pipelines.core.models.listings import ChannelListing, ImageUpload, ListingOptions, ListingResult
from tiktok_pipelines.core.models.products import Product
from tiktok_pipelines.core.names import ChannelName

SITE_ID = "MLB"
# Fields fixed once an item exists (or changed through other calls): not part of an edit.
NOT_EDITED = ("category_id", "currency_id", "buying_mode", "condition", "listing_type_id")


def error_text(exc: MercadoLivreError) -> str:
    causes = "; ".join(str(c.get("message") or c.get("code")) for c in exc.cause if isinstance(c, dict))
    return f"{exc.code} {exc.error}: {causes or exc.message}"


def failed(result: ListingResult, exc: MercadoLivreError) -> ListingResult:
    return listing_failed(result, exc, error_text(exc))


class MercadoLivreCatalog:
    """Listings of a seller (`api`, `seller_id`) on the site `site_id`; the listing type is the client's
    (`ListingOptions.listing_types["mercado_livre"]`, else gold_special)."""

    api: MercadoLivreClient
    seller_id: str
    site_id: str = SITE_ID

    # ---------------------------------------------------------------- brands and categories
    def brand(self, name: str) -> BrandResult:
        clean = " ".join(name.split())
        return BrandResult(brand_key(name), name, clean, clean, "matched")

    def category_tree(self) -> list[categories.CategoryNode]:
        nodes: list[categories.CategoryNode] = []
        pending = [(str(c["id"]), "0") for c in self.api.request("GET", f"/sites/{self.site_id}/categories")]
        while pending:
            category_id, parent = pending.pop(0)
            category = self.api.request("GET", f"/categories/{category_id}")
            children = category.get("children_categories") or []
            nodes.append(
                categories.CategoryNode(
                    category_id=category_id,
                    parent_id=parent,
                    local_name=str(category.get("name") or ""),
                    is_leaf=not children,
                    permitted=bool((category.get("settings") or {}).get("listing_allowed", not children)),
                    path=" > ".join(str(p.get("name")) for p in category.get("path_from_root") or []),
                )
            )
            pending.extend((str(c["id"]), category_id) for c in children)
        return nodes

    def category_rules(self, category_id: str) -> categories.CategoryRules:
        try:
            category = self.api.request("GET", f"/categories/{category_id}")
            attributes = self.api.request("GET", f"/categories/{category_id}/attributes")
        except MercadoLivreError as exc:
            return categories.CategoryRules(category_id, {}, [], error=error_text(exc))
        return categories.CategoryRules(category_id, category.get("settings") or {}, attributes)

    def recommend_category(self, title: str, description: str | None) -> categories.CategoryRecommendation:
        try:
            found = self.api.request(
                "GET", f"/sites/{self.site_id}/domain_discovery/search", params={"q": title, "limit": 1}
            )
        except MercadoLivreRetryableError as exc:
            return categories.CategoryRecommendation(None, error_text(exc), retry_later=True)
        except MercadoLivreError as exc:
            return categories.CategoryRecommendation(None, error_text(exc))
        if not found:
            return categories.CategoryRecommendation(
                None, "Mercado Livre predicts no category for this title"
            )
        return categories.CategoryRecommendation(str(found[0]["category_id"]))

    # ---------------------------------------------------------------- building
    def listing_builder(
        self, options: ListingOptions, attribute_rules: Sequence[AttributeRule]
    ) -> ListingBuilder:
        rules_for = rule_lookup(attribute_rules)
        listing_type = options.listing_types.get(ChannelName.MERCADO_LIVRE.value, DEFAULT_LISTING_TYPE)

        def build(
            product: Product,
            category: categories.CategoryChoice,
            brand_id: str | None,
            brand_problem: str | None,
        ) -> MercadoLivreDraft:
            return build_draft(
                product, category, brand_id, brand_problem, rules_for(category.leaf_id), options, listing_type
            )

        return build

    # ---------------------------------------------------------------- writes
    def _describe(self, item_id: str, draft: MercadoLivreDraft, result: ListingResult) -> None:
        self.api.request("PUT", f"/items/{item_id}/description", json={"plain_text": draft.description})
        result.calls.append("description")

    def create_listing(
        self, draft: MercadoLivreDraft, write: ListingWrite, *, adopt: str | None = None
    ) -> ListingResult:
        if adopt:
            return self.update_listing(draft, write, channel_product_id=adopt, pushed=None)
        result = ListingResult(draft.product_key, "create", True, calls=["create"])
        try:
            item = self.api.request(
                "POST",
                "/items",
                json=create_body(draft, {s: write.units(s) for s in draft.skus}, write.prices),
            )
            result.channel_product_id = str(item["id"])
            result.channel_sku_ids = item_skus(item)
            self._describe(result.channel_product_id, draft, result)
        except MercadoLivreError as exc:
            return failed(result, exc)
        return result

    def _edit_body(
        self, draft: MercadoLivreDraft, item: Mapping[str, Any], write: ListingWrite
    ) -> dict[str, Any]:
        body = {k: v for k, v in draft.body.items() if k not in NOT_EDITED}
        if item.get("sold_quantity"):
            body.pop("title", None)
        if "variations" not in body:
            return body
        existing = item_skus(item)
        price = item_price(draft, write.prices)
        variations = []
        for variation, sku in zip(body["variations"], draft.skus, strict=True):
            if sku in existing:
                variations.append({"id": int(existing[sku])} | variation)
            else:
                variations.append(
                    variation | {"available_quantity": write.units(sku), "price": float(price or 0)}
                )
        body["variations"] = variations
        return body

    def update_listing(
        self,
        draft: MercadoLivreDraft,
        write: ListingWrite,
        *,
        channel_product_id: str,
        pushed: Mapping[str, str] | None,
    ) -> ListingResult:
        result = ListingResult(draft.product_key, "edit", True, channel_product_id)
        changed = {p for p, h in draft.part_hashes().items() if not pushed or pushed.get(p) != h}
        try:
            item = self.api.request("GET", f"/items/{channel_product_id}")
        except MercadoLivreNotFoundError:
            return self.create_listing(draft, write)
        except MercadoLivreError as exc:
            return failed(result, exc)
        if item.get("status") == "closed" or "deleted" in (item.get("sub_status") or []):
            return self.create_listing(draft, write)
        try:
            if ITEM_PART in changed:
                if item.get("sold_quantity") and draft.title != item.get("title"):
                    result.warnings.append("the item has sales: Mercado Livre keeps its title")
                item = self.api.request(
                    "PUT", f"/items/{channel_product_id}", json=self._edit_body(draft, item, write)
                )
                result.calls.append("edit")
            if DESCRIPTION_PART in changed:
                self._describe(channel_product_id, draft, result)
        except MercadoLivreError as exc:
            return failed(result, exc)
        result.channel_sku_ids = item_skus(item)
        return result

    def check_listing(
        self, draft: MercadoLivreDraft, images: ImageSource, *, warehouse_ids: Sequence[str]
    ) -> ListingResult:
        result = ListingResult(draft.product_key, "check", True, calls=["validate"])
        try:
            self.api.request("POST", "/items/validate", json=create_body(draft, {}, {}))
        except MercadoLivreError as exc:
            return failed(result, exc)
        return result

    def delete_listings(self, products: Mapping[str, str]) -> list[ListingResult]:
        """Closes the items (never deletes them: their sales stay)."""
        results = []
        for key, item_id in products.items():
            result = ListingResult(key, "delete", True, item_id, calls=["close"])
            try:
                self.api.request("PUT", f"/items/{item_id}", json={"status": "closed"})
            except MercadoLivreNotFoundError:
                pass
            except MercadoLivreError as exc:
                if "closed" not in exc.message.lower():
                    failed(result, exc)
            results.append(result)
        return results

    # ---------------------------------------------------------------- reads
    def find_listings(self, seller_skus: Sequence[str]) -> list[ChannelListing]:
        ids: list[str] = []
        for sku in seller_skus:
            page = self.api.request(
                "GET", f"/users/{self.seller_id}/items/search", params={"seller_sku": sku}
            )
            ids.extend(str(i) for i in page.get("results") or [] if str(i) not in ids)
        return [
            ChannelListing(str(item["id"]), tuple(item_skus(item)))
            for item in self.api.items(ids)
            if "deleted" not in (item.get("sub_status") or [])
        ]

    def listing_statuses(self, since: int, channel_product_ids: Iterable[str]) -> dict[str, str]:
        after = datetime.fromtimestamp(since, UTC)
        statuses = {}
        for start_ids in _chunks(list(channel_product_ids), 20):
            answers = self.api.request(
                "GET", "/items", params={"ids": ",".join(start_ids), "attributes": "id,status,last_updated"}
            )
            for answer in answers:
                item = answer.get("body") or {}
                changed = iso_time(item.get("last_updated"))
                if answer.get("code") == 200 and item.get("status") and (changed is None or changed >= after):
                    statuses[str(item["id"])] = str(item["status"])
        return statuses

    # ---------------------------------------------------------------- images
    def upload_image(self, data: bytes, use: str, filename: str) -> ImageUpload:
        try:
            answer = self.api.raw("POST", "/pictures/items/upload", files={"file": (filename, data)}).json()
        except MercadoLivreError as exc:
            return ImageUpload(None, error=error_text(exc))
        size = str(answer.get("max_size") or "x").split("x")
        width, height = (int(size[0]), int(size[1])) if all(s.isdigit() for s in size) else (None, None)
        return ImageUpload(str(answer["id"]), width, height)


def _chunks(values: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
