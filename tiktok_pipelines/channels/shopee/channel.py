"""Shopee as a `Channel`: the partner app (authorization, pushes) and a session per client's shop, each
facet in its own module over the signing client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from tiktok_pipelines.channels.base import Capabilities, Channel, ChannelSession, NoAnalytics, ShopAccess
from tiktok_pipelines.channels.shopee.auth import ShopeeApp, ShopeeAuth
from tiktok_pipelines.channels.shopee.client import ShopeeClient
from tiktok_pipelines.channels.shopee.fulfilment import ShopeeFulfilment
from tiktok_pipelines.channels.shopee.listing import MAX_IMAGES
from tiktok_pipelines.channels.shopee.listings import ShopeeCatalog
from tiktok_pipelines.channels.shopee.lost_pushes import ShopeeLostPushes
from tiktok_pipelines.channels.shopee.notifications import PushEndpoint, ShopeeNotifications
from tiktok_pipelines.channels.shopee.offers import ShopeeOffers
from tiktok_pipelines.channels.shopee.orders import ShopeeOrders
from tiktok_pipelines.core.images import ImageRules
from tiktok_pipelines.core.names import ChannelName
from tiktok_pipelines.http import RetryPolicy

# Access tokens live 4 hours (reference §4): renewed when less than this is left.
RENEWAL_WINDOW = timedelta(hours=1)


# The emulator's image rules (UNCONFIRMED in the reference): JPG or PNG, at most 10 MB; 9 images an item.
IMAGES = ImageRules("Shopee", 10 * 1024 * 1024, 1, 20_000, MAX_IMAGES, ("image/jpeg", "image/png"))


def capabilities(requests_per_second: float = 10.0, max_concurrency: int = 4) -> Capabilities:
    """Shopee's: no warehouses (one stock per model), edits of the fields that changed, the NF-e upload,
    50 orders a detail call and 50 items an unlist call, tokens renewed within their 4 hours."""
    return Capabilities(
        ChannelName.SHOPEE,
        "Shopee",
        requests_per_second,
        max_concurrency,
        False,
        True,
        True,
        50,
        50,
        IMAGES,
        # The reference states no most for `seller_stock.stock` (UNCONFIRMED): 999,999 is assumed.
        stock_most=999_999,
        renewal_window=RENEWAL_WINDOW,
        invoice_verdicts=False,
    )


class ShopeeSession(ShopeeCatalog, ShopeeOffers, ShopeeOrders, ShopeeFulfilment, NoAnalytics, ChannelSession):
    """One client's Shopee shop: the signing client bound to the shop (`api`), behind the facets; Shopee's
    shop analytics are not in the reference, so it reports none."""

    def __init__(self, api: ShopeeClient, capabilities: Capabilities, logger: Any = None):
        self.api = api
        self.capabilities = capabilities
        self.logger = logger

    def call_counts(self) -> dict[str, int]:
        return self.api.stats()


class ShopeeChannel(ShopeeAuth, ShopeeNotifications, ShopeeLostPushes, Channel):
    """The Shopee partner app: `app` serves authorization and the lost pushes, `push` the verification of
    pushes, and a session per shop calls `app.base_url` as the shop with its tokens."""

    def __init__(
        self, app: ShopeeApp, capabilities: Capabilities, push: PushEndpoint | None = None, **auth: Any
    ):
        ShopeeAuth.__init__(self, app, **auth)
        ShopeeNotifications.__init__(self, push or PushEndpoint(app.partner_key, None))
        self.capabilities = capabilities

    @contextmanager
    def session(self, access: ShopAccess, logger: Any = None) -> Iterator[ShopeeSession]:
        app = self._app()
        api = ShopeeClient(
            app.partner_id or 0,
            app.partner_key or "",
            app.base_url,
            shop_id=int(access.shop_id),
            access_token=access.tokens.access_token,
            refresh_token=access.tokens.refresh,
            timeout=app.timeout_seconds,
            retry=RetryPolicy(attempts=app.retry_attempts),
            transport=self._transport,
            clock=self._clock,
        )
        with api:
            yield ShopeeSession(api, self.capabilities, logger)
