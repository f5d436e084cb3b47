"""Analytics: what a channel reports about its shop's products (views, impressions, orders, sales)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import date

from tiktok_pipelines.core.models.performance import ProductDay


class AnalyticsApi(ABC):
    """A shop's product analytics, per reporting day of the channel."""

    @abstractmethod
    def product_performance(self, day: date) -> Iterator[ProductDay]:
        """Every product the channel reports for `day` (its reporting day), read page by page as the
        caller iterates."""
