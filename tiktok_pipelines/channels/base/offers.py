"""Stock and prices: pushes of the targets the stock and price lane computed, per product with every changed SKU, and a read of what the channel actually shows (the drift repair of full runs)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence

from tiktok_pipelines.core.models.offers import PriceUpdate, ProductOffers, PushResult, StockUpdate


class OfferApi(ABC):
    """Stock and prices of one shop's listed SKUs, one product per call.

    A push answers per SKU (`PushResult`: the SKUs refused, and why; a stock refusal names the channel
    warehouses of the SKU the push left out, which the lane then lists at 0 and sends again). A push the
    channel answers as a whole raises one of `channels.base.errors`:
    - `ChannelRefusedError`, `ChannelNotFoundError`: the product's SKUs were refused (their data, or the
      product is gone): the SKUs' fault, counted against them;
    - `ChannelRetryableError` (or any other error): not the SKUs' fault, tried again later;
    - `ChannelAuthError`, `ChannelRequestError`: nothing item-specific; the lane stops the run.
    """

    @abstractmethod
    def push_inventory(self, channel_product_id: str, updates: Sequence[StockUpdate]) -> PushResult:
        """Sets the units of SKUs of one product, every channel warehouse of each SKU listed."""

    @abstractmethod
    def push_prices(self, channel_product_id: str, updates: Sequence[PriceUpdate]) -> PushResult:
        """Sets the price and list price of SKUs of one product."""

    @abstractmethod
    def listed_offers(self) -> Iterator[ProductOffers]:
        """Every product of the shop with what it shows for each SKU (units per warehouse, price), read
        page by page as the caller iterates."""
