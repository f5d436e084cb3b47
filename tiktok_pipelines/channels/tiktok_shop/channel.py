"""TikTok Shop as a `Channel`: the app (authorization, webhooks) and a session per client's shop, each
facet in its own module over the Partner API client."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from tiktok_pipelines.channels.base import (
    Capabilities,
    Channel,
    ChannelSession,
    Outcome,
    ShopAccess,
)
from tiktok_pipelines.channels.tiktok_shop.analytics import TikTokAnalytics
from tiktok_pipelines.channels.tiktok_shop.auth import TikTokApp, TikTokAuth
from tiktok_pipelines.channels.tiktok_shop.client import TikTokShopClient
from tiktok_pipelines.channels.tiktok_shop.fulfilment import TikTokFulfilment
from tiktok_pipelines.channels.tiktok_shop.listing import MAX_MAIN_IMAGES
from tiktok_pipelines.channels.tiktok_shop.listings import TikTokCatalog
from tiktok_pipelines.channels.tiktok_shop.notifications import TikTokNotifications
from tiktok_pipelines.channels.tiktok_shop.offers import TikTokOffers
from tiktok_pipelines.channels.tiktok_shop.orders import TikTokOrders
from tiktok_pipelines.core.images import ImageRules
from tiktok_pipelines.core.names import ChannelName


def capabilities(requests_per_second: float = 50.0, max_concurrency: int = 8) -> Capabilities:
    return Capabilities(
        name=ChannelName.TIKTOK_SHOP,
        display_name="TikTok Shop",
        requests_per_second=requests_per_second,
        max_concurrency=max_concurrency,
        warehouses=True,
        partial_edit=True,
        invoice_upload=True,
        orders_per_detail_call=50,
        products_per_delete_call=20,
        # reference §3: JPG, PNG or WEBP, 100 to 20,000 px a side, at most 5 MB; main_images ≤ 9
        images=ImageRules(
            "TikTok Shop",
            max_bytes=5 * 1024 * 1024,
            min_side=100,
            max_side=20_000,
            max_main_images=MAX_MAIN_IMAGES,
        ),
        stock_most=99_999,  # reference: inventory quantity 0–99,999 per warehouse
        log_name="tiktok",
    )


class TikTokShopSession(
    TikTokCatalog, TikTokOffers, TikTokOrders, TikTokFulfilment, TikTokAnalytics, ChannelSession
):
    """One client's TikTok shop: the Partner API client bound to the shop (`api`), behind the facets."""

    def __init__(self, api: TikTokShopClient, capabilities: Capabilities, logger: Any = None):
        self.api = api
        self.capabilities = capabilities
        self.logger = logger

    def run_many(self, call: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Outcome]:
        return self.api.bulk(call, items)

    def call_counts(self) -> dict[str, int]:
        return self.api.stats.as_metadata()


class TikTokShopChannel(TikTokAuth, TikTokNotifications, Channel):
    """The TikTok Shop partner app: `client_factory(access)` builds the shop-bound API client (app key and
    secret, hosts, versions, rate limits are the factory's); `app` and `app_client(access_token,
    shop_cipher=None)` serve authorization and webhooks."""

    def __init__(
        self,
        client_factory: Callable[[ShopAccess], TikTokShopClient],
        capabilities: Capabilities,
        app: TikTokApp | None = None,
        app_client: Callable[..., TikTokShopClient] | None = None,
    ):
        self.client_factory = client_factory
        self.capabilities = capabilities
        self.app = app
        self.app_client = app_client

    @contextmanager
    def session(self, access: ShopAccess, logger: Any = None) -> Iterator[TikTokShopSession]:
        with self.client_factory(access) as api:
            yield TikTokShopSession(api, self.capabilities, logger)
