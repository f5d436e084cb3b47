"""Listings: the channel's category tree and rules, brands, a listing built from a `core.models` product
and validated against its category rules, then created, updated or deleted; images; listing statuses.

What the catalog lane keeps between runs (brand map, category mapping and caches, image cache, listing
map) is the lane's: a channel makes the calls and answers with `core.models`, and never touches a store.
Calls about one item (a brand, a recommendation, a leaf's rules, an image, a listing write) answer the
platform's refusals in their result, worded the same for the same failure; the others raise
`channels.base.errors`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tiktok_pipelines.channels.base.errors import ChannelAuthError, ChannelError, ChannelRetryableError
from tiktok_pipelines.core.attribute_rules import AttributeRule
from tiktok_pipelines.core.models.brands import BrandResult
from tiktok_pipelines.core.models.categories import (
    CategoryChoice,
    CategoryNode,
    CategoryRecommendation,
    CategoryRules,
)
from tiktok_pipelines.core.models.listings import (
    ChannelListing,
    ImageUpload,
    ListingDraft,
    ListingOptions,
    ListingResult,
)
from tiktok_pipelines.core.models.offers import PriceTarget
from tiktok_pipelines.core.models.products import Product

# A product, its leaf, and its brand on the channel (its id, or why there is none) → its draft.
ListingBuilder = Callable[[Product, CategoryChoice, str | None, str | None], ListingDraft]


class ImageSource(Protocol):
    """Where a channel gets the images a listing needs, uploaded: the catalog lane's image cache."""

    def resolve(self, refs: Iterable[tuple[str, str]]) -> tuple[dict[tuple[str, str], str], dict[str, str]]:
        """Uploaded references for (url, use) pairs, and the errors of those that failed (by url)."""
        ...

    def forget(self, uris: Iterable[str]) -> None:
        """Drops uploads the channel refused as unknown, so the next use uploads them again."""
        ...


@dataclass(frozen=True)
class ListingWrite:
    """What a create or an edit of a listing needs besides its draft: where its images come from, the
    stock of its new SKUs (by seller SKU, then by the channel's stock key: its warehouse, or `ONE_STOCK`),
    the channel's warehouses, a key that makes a retried create return the listing created the first time,
    and the prices its new SKUs are created with (by seller SKU; the client's rules on the channel, as the
    stock and price lane works them out). A SKU without a price here gets the draft's own (a dry run)."""

    images: ImageSource
    stock: Mapping[str, Mapping[str, int]]
    warehouse_ids: Sequence[str]
    idempotency_key: str
    prices: Mapping[str, PriceTarget] = field(default_factory=dict)

    def units(self, seller_sku: str) -> int:
        """The units a new SKU is created with, over every stock key (a channel without warehouses)."""
        return sum(int(q) for q in (self.stock.get(seller_sku) or {}).values())

    def units_in(self, seller_sku: str, key: str) -> int:
        """The units a new SKU is created with in one of the channel's warehouses."""
        return int((self.stock.get(seller_sku) or {}).get(key, 0))


class CatalogApi(ABC):
    """Listings: the channel's category tree and rules, brands, a listing built from a `core.models`
    product and validated against its category rules, then created, updated or deleted; images; listing
    statuses."""

    # ---------------------------------------------------------------- brands
    @abstractmethod
    def brand(self, name: str) -> BrandResult:
        """The channel's brand of this name (case, accents and spaces aside), created when it has none."""

    # ---------------------------------------------------------------- categories
    @abstractmethod
    def category_tree(self) -> list[CategoryNode]:
        """Every category of the channel's tree, with the shop's permission to list in it."""

    @abstractmethod
    def category_rules(self, category_id: str) -> CategoryRules:
        """A leaf's rules and attribute definitions."""

    @abstractmethod
    def recommend_category(self, title: str, description: str | None) -> CategoryRecommendation:
        """The leaf the channel recommends for a product's title and description."""

    # ---------------------------------------------------------------- listings
    @abstractmethod
    def listing_builder(
        self, options: ListingOptions, attribute_rules: Sequence[AttributeRule]
    ) -> ListingBuilder:
        """Builds drafts with the client's options and attribute rules; a draft is checked against its
        leaf's rules without any call."""

    @abstractmethod
    def create_listing(
        self, draft: ListingDraft, write: ListingWrite, *, adopt: str | None = None
    ) -> ListingResult:
        """Creates the draft's listing, its SKUs with their stock (`write.stock`) and the draft's prices; a
        retried create (same `write.idempotency_key`) returns the listing created the first time. `adopt`:
        a listing the channel already has with these SKUs, brought in line instead of created twice."""

    @abstractmethod
    def update_listing(
        self,
        draft: ListingDraft,
        write: ListingWrite,
        *,
        channel_product_id: str,
        pushed: Mapping[str, str] | None,
    ) -> ListingResult:
        """Updates a listing with what changed since the parts last pushed (`pushed`, the draft's part
        hashes then; unknown: everything). Existing SKUs keep their price and stock on the channel; new
        ones get the draft's price and their stock (`write.stock`). A listing the channel no longer has is
        created again."""

    @abstractmethod
    def check_listing(
        self, draft: ListingDraft, images: ImageSource, *, warehouse_ids: Sequence[str]
    ) -> ListingResult:
        """The channel's own check of the draft as it would be created, changing no listing."""

    @abstractmethod
    def delete_listings(self, products: Mapping[str, str]) -> list[ListingResult]:
        """Deletes listings (product key → the channel's product id), at most
        `capabilities.products_per_delete_call` a call. A listing the channel no longer has counts as
        deleted."""

    @abstractmethod
    def find_listings(self, seller_skus: Sequence[str]) -> list[ChannelListing]:
        """Listings the channel has (deleted ones aside) holding any of these seller SKUs."""

    @abstractmethod
    def listing_statuses(self, since: int, channel_product_ids: Iterable[str]) -> dict[str, str]:
        """The channel's status of these listings, among those changed since `since` (epoch seconds)."""

    # ---------------------------------------------------------------- images
    @abstractmethod
    def upload_image(self, data: bytes, use: str, filename: str) -> ImageUpload:
        """Uploads an image's bytes for a use the channel names (a main image, a SKU's, a certificate's...)."""


def listing_failed(result: ListingResult, exc: ChannelError, message: str) -> ListingResult:
    """`result` failed with `exc`, which the channel words `message`: transient when the channel was busy
    or unreachable, systemic when it refused the shop's credentials."""
    result.ok = False
    result.message = message
    result.transient = isinstance(exc, ChannelRetryableError)
    result.systemic = isinstance(exc, ChannelAuthError)
    return result
