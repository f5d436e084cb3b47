"""Analytics: what a channel reports about its shop (the whole shop, its products, its videos and LIVEs:
views, orders, units, sales)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import date

from tiktok_pipelines.core.models.performance import ContentDay, ProductDay, ShopDay


class AnalyticsApi(ABC):
    """A shop's analytics, per reporting day of the channel."""

    @abstractmethod
    def product_performance(self, day: date) -> Iterator[ProductDay]:
        """Every product the channel reports for `day` (its reporting day), read page by page as the
        caller iterates."""

    @abstractmethod
    def shop_performance(self, day: date) -> ShopDay | None:
        """The whole shop on `day`; None when the channel reports nothing for it."""

    @abstractmethod
    def video_performance(self, day: date) -> Iterator[ContentDay]:
        """Every shoppable video the channel reports for `day`, page by page."""

    @abstractmethod
    def live_performance(self, day: date) -> Iterator[ContentDay]:
        """Every LIVE the channel reports for `day`, page by page."""


class NoAnalytics(AnalyticsApi):
    """The analytics of a channel whose reference documents none for sellers: it reports nothing."""

    def product_performance(self, day: date) -> Iterator[ProductDay]:
        return iter(())

    def shop_performance(self, day: date) -> ShopDay | None:
        return None

    def video_performance(self, day: date) -> Iterator[ContentDay]:
        return iter(())

    def live_performance(self, day: date) -> Iterator[ContentDay]:
        return iter(())
