"""Listings on Shopee (the `CatalogApi` of its session, reference §5): the category tree, a leaf's
attributes and whether it requires a brand, brands looked up by name, images uploaded as bytes
(`media_space/upload_image`), items created (`add_item`, then `init_tier_variation` for a product with
variants), edited with only the fields that changed (`update_item`), unlisted when the product left the
feed (`unlist_item`, 50 a call), found by seller SKU, and their statuses.

Shopee offers no category recommendation in the reference: every category is mapped by the client (the
mapping's review flow). Brands are registered with Shopee by the seller, not created by a call: a brand
Shopee does not have is the brand map's error, and its products go without a brand where the category
allows it. The logistics channels of a new item are the client's `shipping_channels`, else every channel
the shop enabled, each within its weight limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tiktok_pipelines.channels.base.catalog import ImageSource, ListingBuilder, ListingWrite, listing_failed
from tiktok_pipelines.channels.shopee.client import (
    PUBLIC,
    ShopeeClient,
    ShopeeError,
    ShopeeNotFoundError,
)
from tiktok_pipelines.channels.shopee.listing import PARTS, ShopeeListingDraft, build_draft
from tiktok_pipelines.channels.shopee.offers import ENTRIES_PER_CALL, sku_id
from tiktok_pipelines.core.attribute_rules import AttributeRule, rule_lookup
from tiktok_pipelines.core.models import categories
from tiktok_pipelines.core.models.brands import BrandResult, brand_key
from tiktok_pipelines.core.models.listings import ChannelListing, ImageUpload, ListingOptions, ListingResult
from tiktok_pipelines.core.models.products import Product

BRANDS_PAGE = 100


def _error_text(exc: ShopeeError) -> str:
    return f"{exc.error}: {exc.message}"


def _fail(result: ListingResult, exc: ShopeeError) -> ListingResult:
    return listing_failed(result, exc, _error_text(exc))


def category_nodes(found: Sequence[Mapping[str, Any]]) -> list[categories.CategoryNode]:
    by_id = {int(c["category_id"]): c for c in found}

    def path(category: Mapping[str, Any]) -> str:
        names, seen = [], set()
        while category and int(category["category_id"]) not in seen:
            seen.add(int(category["category_id"]))
            names.append(str(category.get("display_category_name") or category.get("original_category_name")))
            category = by_id.get(int(category.get("parent_category_id") or 0), {})
        return " > ".join(reversed(names))

    return [
        categories.CategoryNode(
            category_id=str(c["category_id"]),
            parent_id=str(c.get("parent_category_id") or 0),
            local_name=str(c.get("display_category_name") or c.get("original_category_name")),
            is_leaf=not c.get("has_children"),
            permitted=True,
            path=path(c),
        )
        for c in found
    ]


class ShopeeCatalog:
    """Listings on Shopee (the `CatalogApi` of its session)."""

    api: ShopeeClient

    # ---------------------------------------------------------------- categories
    def _categories(self) -> list[dict[str, Any]]:
        return list(self.api.response("GET", "/api/v2/product/get_category").get("category_list") or [])

    def category_tree(self) -> list[categories.CategoryNode]:
        return category_nodes(self._categories())

    def _brand_page(self, category_id: int, offset: int, page_size: int = BRANDS_PAGE) -> dict[str, Any]:
        return self.api.response(
            "GET",
            "/api/v2/product/get_brand_list",
            params={"category_id": category_id, "offset": offset, "page_size": page_size, "status": 1},
        )

    def category_rules(self, category_id: str) -> categories.CategoryRules:
        try:
            attributes = self.api.response(
                "GET", "/api/v2/product/get_attributes", params={"category_id": int(category_id)}
            ).get("attribute_list")
            brands = self._brand_page(int(category_id), 0, 1)
        except ShopeeError as exc:
            return categories.CategoryRules(category_id, {}, [], error=_error_text(exc))
        return categories.CategoryRules(
            category_id, {"brand_mandatory": bool(brands.get("is_mandatory"))}, list(attributes or [])
        )

    def recommend_category(self, title: str, description: str | None) -> categories.CategoryRecommendation:
        return categories.CategoryRecommendation(None, "Shopee recommends no category: map it")

    # ---------------------------------------------------------------- brands
    def brand(self, name: str) -> BrandResult:
        key = brand_key(name)
        try:
            leaf = next(int(c["category_id"]) for c in self._categories() if not c.get("has_children"))
            offset = 0
            while True:
                page = self._brand_page(leaf, offset)
                for found in page.get("brand_list") or []:
                    if brand_key(str(found.get("original_brand_name") or "")) == key:
                        return BrandResult(
                            key, name, str(found["brand_id"]), str(found["original_brand_name"]), "matched"
                        )
                if not page.get("has_next_page"):
                    break
                offset = int(page["next_offset"])
        except ShopeeError as exc:
            return BrandResult(key, name, None, error=_error_text(exc))
        except StopIteration:
            return BrandResult(key, name, None, error="Shopee listed no leaf category")
        return BrandResult(
            key, name, None, error="not a Shopee brand (brands are registered in Seller Centre)"
        )

    # ---------------------------------------------------------------- building
    def listing_builder(
        self, options: ListingOptions, attribute_rules: Sequence[AttributeRule]
    ) -> ListingBuilder:
        rules_for = rule_lookup(attribute_rules, "attribute_id", "original_attribute_name")

        def build(
            product: Product,
            category: categories.CategoryChoice,
            brand_id: str | None,
            brand_problem: str | None,
        ) -> ShopeeListingDraft:
            rule_for = rules_for(category.leaf_id)
            draft = build_draft(product, category, brand_id, brand_problem, options, rule_for)
            draft.parts["logistics"] = list(options.shipping_channels)
            return draft

        return build

    def _logistic_info(self, draft: ShopeeListingDraft) -> list[dict[str, Any]]:
        wanted = {str(c) for c in draft.parts.get("logistics") or []}
        found = (
            self.api.response("GET", "/api/v2/logistics/get_channel_list").get("logistics_channel_list") or []
        )
        weight = float(draft.parts.get("weight") or 0)
        return [
            {"logistic_id": c["logistics_channel_id"], "enabled": True}
            for c in found
            if c.get("enabled")
            and (not wanted or str(c["logistics_channel_id"]) in wanted)
            and weight <= float((c.get("weight_limit") or {}).get("item_max_weight") or weight)
        ]

    def _image_ids(
        self, draft: ShopeeListingDraft, images: ImageSource, result: ListingResult
    ) -> list[str] | None:
        ids, errors = images.resolve(draft.image_refs())
        result.warnings.extend(errors.values())
        chosen = [ids[ref] for ref in draft.image_refs() if ref in ids]
        if not chosen:
            result.message = "no image could be used: " + "; ".join(errors.values())[:500]
            return None
        return chosen

    def _fields(
        self, draft: ShopeeListingDraft, names: Iterable[str], image_ids: list[str] | None
    ) -> dict[str, Any]:
        parts, body = draft.parts, {}
        for name in names:
            if name == "images":
                body["image"] = {"image_id_list": image_ids}
            elif name == "dimension":
                if parts.get("dimension"):
                    body["dimension"] = parts["dimension"]
            elif name == "category_id":
                body["category_id"] = parts["category_id"]
                body["attribute_list"] = parts["attribute_list"]
            else:
                body[name] = parts[name]
        return body

    def _price(self, draft: ShopeeListingDraft, write: ListingWrite, seller_sku: str) -> float:
        """A new model's price: by the client's rules on Shopee (`write.prices`), else the draft's."""
        target = write.prices.get(seller_sku)
        return float(target.price if target is not None else draft.prices[seller_sku]["amount"])

    # ---------------------------------------------------------------- writes
    def create_listing(
        self, draft: ShopeeListingDraft, write: ListingWrite, *, adopt: str | None = None
    ) -> ListingResult:
        result = ListingResult(draft.product_key, "create", False)
        if adopt:
            return self._edit(draft, write, adopt, None, result)
        try:
            image_ids = self._image_ids(draft, write.images, result)
            if image_ids is None:
                return result
            logistics = self._logistic_info(draft)
            if not logistics:
                result.message = "no logistics channel of the shop takes the item (shipping_channels, weight)"
                return result
            first = draft.seller_skus[0]
            body = self._fields(draft, PARTS, image_ids) | {
                "original_price": self._price(draft, write, first),
                "logistic_info": logistics,
            }
            if not draft.has_models:
                body |= {"item_sku": first, "seller_stock": [{"stock": self._stock(write, first)}]}
            answer = self.api.response("POST", "/api/v2/product/add_item", json=body)
            result.calls.append("add_item")
            item_id = str(answer["item_id"])
            result.channel_product_id = item_id
            if draft.has_models:
                result.channel_sku_ids = self._init_models(draft, write, item_id)
                result.calls.append("init_tier_variation")
            else:
                result.channel_sku_ids = {first: sku_id(item_id, 0)}
            result.ok = True
        except ShopeeError as exc:
            return _fail(result, exc)
        return result

    def _stock(self, write: ListingWrite, seller_sku: str) -> int:
        return max(0, write.units(seller_sku))

    def _init_models(self, draft: ShopeeListingDraft, write: ListingWrite, item_id: str) -> dict[str, str]:
        models = [
            {
                "tier_index": m["tier_index"],
                "model_sku": m["model_sku"],
                "original_price": self._price(draft, write, m["model_sku"]),
                "seller_stock": [{"stock": self._stock(write, m["model_sku"])}],
            }
            for m in draft.parts["models"]
        ]
        answer = self.api.response(
            "POST",
            "/api/v2/product/init_tier_variation",
            json={"item_id": int(item_id), "tier_variation": draft.parts["tiers"], "model": models},
        )
        return {str(m["model_sku"]): sku_id(item_id, m["model_id"]) for m in answer.get("model") or []}

    def update_listing(
        self,
        draft: ShopeeListingDraft,
        write: ListingWrite,
        *,
        channel_product_id: str,
        pushed: Mapping[str, str] | None,
    ) -> ListingResult:
        return self._edit(
            draft, write, channel_product_id, pushed, ListingResult(draft.product_key, "edit", False)
        )

    def _edit(
        self,
        draft: ShopeeListingDraft,
        write: ListingWrite,
        item_id: str,
        pushed: Mapping[str, str] | None,
        result: ListingResult,
    ) -> ListingResult:
        hashes = draft.part_hashes()
        changed = [n for n in PARTS if pushed is None or pushed.get(n) != hashes[n]]
        variants_changed = pushed is not None and any(pushed.get(n) != hashes[n] for n in ("tiers", "models"))
        try:
            skus = self._sku_ids(int(item_id))
            if variants_changed and set(skus) != set(draft.seller_skus):
                result.message = "the variants changed: Shopee's tier variations are set once, list it again"
                return result
            if changed:
                image_ids = self._image_ids(draft, write.images, result) if "images" in changed else None
                if "images" in changed and image_ids is None:
                    return result
                body = self._fields(draft, changed, image_ids) | {"item_id": int(item_id)}
                self.api.response("POST", "/api/v2/product/update_item", json=body)
                result.calls.append("update_item")
        except ShopeeNotFoundError:
            created = self.create_listing(draft, write)
            created.action = result.action
            created.warnings.insert(0, "the item was no longer on Shopee: created again")
            return created
        except ShopeeError as exc:
            return _fail(result, exc)
        result.ok, result.channel_product_id, result.channel_sku_ids = True, item_id, skus
        return result

    def _sku_ids(self, item_id: int) -> dict[str, str]:
        """Seller SKU → channel SKU id of an item's models (its own SKU when it has none)."""
        info = (
            self.api.response(
                "GET", "/api/v2/product/get_item_base_info", params={"item_id_list": str(item_id)}
            ).get("item_list")
            or []
        )
        if not info or info[0].get("item_status") in ("SELLER_DELETE", "SHOPEE_DELETE"):
            raise ShopeeNotFoundError("product.error_item_not_found", f"Item {item_id} is not found.")
        if not info[0].get("has_model"):
            return {str(info[0].get("item_sku")): sku_id(item_id, 0)} if info[0].get("item_sku") else {}
        models = self.api.response("GET", "/api/v2/product/get_model_list", params={"item_id": item_id})
        return {str(m["model_sku"]): sku_id(item_id, m["model_id"]) for m in models.get("model") or []}

    def check_listing(
        self, draft: ShopeeListingDraft, images: ImageSource, *, warehouse_ids: Sequence[str]
    ) -> ListingResult:
        """Shopee has no dry run of `add_item`: the draft's own checks, its images and the shop's logistics."""
        result = ListingResult(draft.product_key, "check", False)
        try:
            if self._image_ids(draft, images, result) is None:
                return result
            if not self._logistic_info(draft):
                result.message = "no logistics channel of the shop takes the item (shipping_channels, weight)"
                return result
        except ShopeeError as exc:
            return _fail(result, exc)
        result.ok = draft.ok
        result.message = None if draft.ok else "; ".join(m for _, m in draft.problems)
        return result

    def delete_listings(self, products: Mapping[str, str]) -> list[ListingResult]:
        """Unlists the items (a removed product stays on Shopee, hidden): 50 a call."""
        by_id = {pid: key for key, pid in products.items()}
        ids = sorted(by_id)
        results = []
        for start in range(0, len(ids), ENTRIES_PER_CALL):
            chunk = ids[start : start + ENTRIES_PER_CALL]
            try:
                answer = self.api.response(
                    "POST",
                    "/api/v2/product/unlist_item",
                    json={"item_list": [{"item_id": int(pid), "unlist": True} for pid in chunk]},
                )
            except ShopeeError as exc:
                for pid in chunk:
                    failed = _fail(
                        ListingResult(by_id[pid], "delete", False, pid, calls=["unlist_item"]), exc
                    )
                    results.append(failed)
                continue
            refused = {
                str(f.get("item_id")): str(f.get("failed_reason") or "")
                for f in answer.get("failure_list") or []
                if "not found" not in str(f.get("failed_reason") or "").lower()
            }
            for n, pid in enumerate(chunk):
                calls = ["unlist_item"] if n == 0 else []
                results.append(
                    ListingResult(
                        by_id[pid], "delete", pid not in refused, pid, message=refused.get(pid), calls=calls
                    )
                )
        return results

    # ---------------------------------------------------------------- reads
    def find_listings(self, seller_skus: Sequence[str]) -> list[ChannelListing]:
        wanted = set(seller_skus)
        found = []
        for item in self.item_ids():
            skus = tuple(self._sku_ids(int(item["item_id"])))
            if wanted & set(skus):
                found.append(ChannelListing(str(item["item_id"]), skus))
        return found

    def listing_statuses(self, since: int, channel_product_ids: Iterable[str]) -> dict[str, str]:
        wanted = set(channel_product_ids)
        statuses = ("NORMAL", "BANNED", "UNLIST", "REVIEWING", "SELLER_DELETE", "SHOPEE_DELETE")
        return {
            str(i["item_id"]): str(i["item_status"])
            for i in self.item_ids(statuses, since=since)
            if str(i["item_id"]) in wanted
        }

    # ---------------------------------------------------------------- images
    def upload_image(self, data: bytes, use: str, filename: str) -> ImageUpload:
        try:
            answer = self.api.response(
                "POST", "/api/v2/media_space/upload_image", api_type=PUBLIC, files={"image": (filename, data)}
            )
        except ShopeeError as exc:
            return ImageUpload(None, error=_error_text(exc))
        return ImageUpload(str(answer["image_info"]["image_id"]))
