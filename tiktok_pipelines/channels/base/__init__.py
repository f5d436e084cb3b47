"""The Channel interface: what a marketplace (TikTok Shop, Mercado Livre, Shopee) must offer for the lanes
to sell a client's catalog on it, keep its stock and prices, take its orders and fulfil them.

A channel has two levels:
- `Channel`, the app: its name and capabilities, authorization (`AuthApi`), its notifications
  (`NotificationApi`), and `session(client)`, which opens a session bound to one client's shop;
- `ChannelSession`, one client's shop: catalog (`CatalogApi`), stock and prices (`OfferApi`), orders
  (`OrderApi`), fulfilment (`FulfilmentApi`) and analytics (`AnalyticsApi`), plus the counts of calls it
  made.

The lanes talk only to these types (and to the models of `core.models`), so a new marketplace is one
package under `channels/` that implements them, and no branch in a lane.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from tiktok_pipelines.channels.base.analytics import AnalyticsApi, NoAnalytics
from tiktok_pipelines.channels.base.auth import AuthApi
from tiktok_pipelines.channels.base.catalog import CatalogApi
from tiktok_pipelines.channels.base.errors import (
    ChannelAuthError,
    ChannelError,
    ChannelNotFoundError,
    ChannelRefusedError,
    ChannelRequestError,
    ChannelRetryableError,
)
from tiktok_pipelines.channels.base.fulfilment import FulfilmentApi
from tiktok_pipelines.channels.base.notifications import (
    MissedNotification,
    MissedPage,
    NotificationApi,
)
from tiktok_pipelines.channels.base.offers import OfferApi
from tiktok_pipelines.channels.base.orders import OrderApi
from tiktok_pipelines.core.images import ImageRules
from tiktok_pipelines.core.models.offers import ONE_STOCK
from tiktok_pipelines.core.names import ChannelName
from tiktok_pipelines.http import Outcome, map_concurrently

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Capabilities:
    """What a channel can do and within which limits; lanes size their work by these, never by name."""

    name: ChannelName
    display_name: str
    requests_per_second: float  # per shop and endpoint
    max_concurrency: int
    warehouses: bool  # stock is kept per warehouse of the channel
    partial_edit: bool  # a listing can be edited field by field
    invoice_upload: bool  # the channel takes the NF-e of a package
    orders_per_detail_call: int
    products_per_delete_call: int
    images: ImageRules  # what its image upload takes, and how many main images a product shows
    stock_most: int  # the most units a SKU shows (per warehouse where it keeps stock by warehouse)
    log_name: str = ""  # its name in the `api` column of the lake's `sync_log` (empty: `name`)
    shipping_labels: bool = False  # the seller prints the channel's labels (`FulfilmentApi.shipping_label`)
    one_price: bool = False  # a product shows one price for all its SKUs
    renewal_window: timedelta = timedelta(hours=72)  # access tokens renewed when less than this is left
    invoice_verdicts: bool = (
        True  # its verdict on an NF-e comes later (a notification); else the upload's answer
    )

    def stock_keys(self, warehouse_ids: Sequence[str]) -> list[str]:
        """The keys of a SKU's stock on the channel, in targets and in what `listed_offers` reads: its
        warehouses, or the one quantity (`ONE_STOCK`) of a channel without warehouses."""
        return list(dict.fromkeys(warehouse_ids)) if self.warehouses else [ONE_STOCK]

    @property
    def api_name(self) -> str:
        """The channel's name in the lake's `sync_log` (`api`) and as the source of what it showed."""
        return self.log_name or str(self.name)


class ChannelSession(CatalogApi, OfferApi, OrderApi, FulfilmentApi, AnalyticsApi, ABC):
    """One client's shop on a channel: what the lanes call. Opened by `Channel.session`."""

    capabilities: Capabilities

    def run_many(self, call: Callable[[T], R], items: Iterable[T]) -> Iterator[Outcome]:
        """`call` on every item with the channel's bounded concurrency and rate limit; one `Outcome` per
        item, in completion order (a failure is the item's, never the whole run's). Here: at most
        `capabilities.max_concurrency` items at once, for a channel whose client paces its own calls."""
        return map_concurrently(call, items, max_workers=self.capabilities.max_concurrency)

    @abstractmethod
    def call_counts(self) -> dict[str, int]:
        """The calls this session made (by kind, retries and refreshes included), as run metadata."""


class TokenProvider(Protocol):
    """The current access token of a shop, and a fresh one when the channel rejected it."""

    def access_token(self) -> str: ...

    def refresh(self, rejected: str) -> str: ...


@dataclass(frozen=True)
class ShopAccess:
    """What opens a session on a client's shop: the shop's id on the channel, its tokens, and whatever
    else the channel needs to address the shop (TikTok Shop: its cipher), kept secret."""

    shop_id: str
    tokens: TokenProvider
    secrets: dict[str, str]

    def __repr__(self) -> str:
        return f"ShopAccess(shop_id={self.shop_id!r})"


class Channel(AuthApi, NotificationApi, ABC):
    """A marketplace app: its capabilities, authorization, notifications, and shop sessions."""

    capabilities: Capabilities

    @property
    def name(self) -> ChannelName:
        return self.capabilities.name

    @abstractmethod
    def session(self, access: ShopAccess, logger: Any = None) -> AbstractContextManager[ChannelSession]:
        """A session bound to a client's shop; its tokens are renewed through `access.tokens` when the
        channel says they expired."""


__all__ = [
    "AnalyticsApi",
    "AuthApi",
    "Capabilities",
    "CatalogApi",
    "Channel",
    "ChannelAuthError",
    "ChannelError",
    "ChannelNotFoundError",
    "ChannelRefusedError",
    "ChannelRequestError",
    "ChannelRetryableError",
    "ChannelSession",
    "FulfilmentApi",
    "MissedNotification",
    "MissedPage",
    "NoAnalytics",
    "NotificationApi",
    "OfferApi",
    "OrderApi",
    "Outcome",
    "ShopAccess",
    "TokenProvider",
]
