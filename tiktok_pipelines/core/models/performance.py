"""A product's performance on one day, as a channel's analytics report it (the input of the analysts'
views → orders conversion)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
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


@dataclass(frozen=True)
class ShopDay:
    """The whole shop on one reporting day of the channel. A figure the channel leaves out is None
    (unknown), never 0."""

    day: date
    gmv: Decimal | None
    currency: str | None
    orders: int | None
    units: int | None
    buyers: int | None
    page_views: int | None
    visitors: int | None


@dataclass(frozen=True)
class ContentDay:
    """One video or LIVE of a shop on one reporting day of the channel: what it sold and how it was
    seen. `kind` is `video` or `live`; `started_at`/`ended_at` are the LIVE's (a video's post time is its
    `started_at`). A figure the channel leaves out is None."""

    kind: str
    content_id: str
    day: date
    title: str | None
    creator: str | None
    started_at: datetime | None
    ended_at: datetime | None
    views: int | None
    viewers: int | None
    orders: int | None
    units: int | None
    gmv: Decimal | None
    currency: str | None
    click_through_rate: float | None
