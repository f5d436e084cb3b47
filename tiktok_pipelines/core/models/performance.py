"""A product's performance on one day, as a channel's analytics report it (the input of the analysts'
views → orders conversion)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class ProductDay:
    """One product of a shop on one reporting day of the channel."""

    channel_product_id: str
    day: date
    page_views: int
    impressions: int
    orders: int
    units: int
    gmv: Decimal
    currency: str | None
