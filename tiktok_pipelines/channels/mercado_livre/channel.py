"""Mercado Livre as a `Channel`: the application (authorization, notifications) and a session per
client's seller account, each facet in its own module over the API client.

What differs from other channels is in `capabilities`: no warehouses (one quantity per item or
variation), no NF-e upload in Mercado Envios 2, an item closed one call at a time, order details read
one by one, pictures taken by URL (JPG or PNG)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tiktok_pipelines.channels.base import (
    Capabilities,
    Channel,
    ChannelSession,
    NoAnalytics,
    ShopAccess,
)
from tiktok_pipelines.channels.mercado_livre.auth import MercadoLivreAuth
from tiktok_pipelines.channels.mercado_livre.client import (
    MercadoLivreApp,
    MercadoLivreAuthError,
    MercadoLivreClient,
)
from tiktok_pipelines.channels.mercado_livre.fulfilment import MercadoLivreFulfilment
from tiktok_pipelines.channels.mercado_livre.listings import MercadoLivreCatalog
from tiktok_pipelines.channels.mercado_livre.notifications import MercadoLivreNotifications
from tiktok_pipelines.channels.mercado_livre.offers import MercadoLivreOffers
from tiktok_pipelines.channels.mercado_livre.orders import MercadoLivreOrders
from tiktok_pipelines.core.images import ImageRules
from tiktok_pipelines.core.names import ChannelName


def capabilities(requests_per_second: float = 10.0, max_concurrency: int = 4) -> Capabilities:
    return Capabilities(
        name=ChannelName.MERCADO_LIVRE,
        display_name="Mercado Livre",
        requests_per_second=requests_per_second,
        max_concurrency=max_concurrency,
        warehouses=False,
        partial_edit=True,
        invoice_upload=False,
        orders_per_detail_call=20,
        products_per_delete_call=1,
        # Picture limits are not in the reference (UNCONFIRMED): JPG or PNG, 10 MB, 12 per item.
        images=ImageRules(
            "Mercado Livre",
            max_bytes=10 * 1024 * 1024,
            min_side=250,
            max_side=10_000,
            max_main_images=12,
            formats=("image/jpeg", "image/png"),
        ),
        # The reference states no most for `available_quantity` (UNCONFIRMED); what others than the
        # owner see of a quantity stops at 99,999, so no more is sent.
        stock_most=99_999,
        log_name="mercado_livre",
        shipping_labels=True,
        one_price=True,
    )


def default_capabilities(app: MercadoLivreApp) -> Capabilities:
    return capabilities(app.pace.rate_per_second, app.pace.max_in_flight)


class SellerClient(MercadoLivreClient):
    """The API client of one seller's session: its access token from `access.tokens`, renewed once when
    Mercado Livre answers 401 (an expired token), and the calls made, by method and path's first part."""

    def __init__(self, app: MercadoLivreApp, access: ShopAccess):
        self.access = access
        self.current = access.tokens.access_token()
        self.counts: Counter[str] = Counter()
        super().__init__(app, lambda: self.current)

    def request(self, method: str, path: str, *, params: dict | None = None, json: Any = None) -> Any:
        self.counts[f"{method.lower()}_{path.strip('/').split('/')[0]}"] += 1
        try:
            return super().request(method, path, params=params, json=json)
        except MercadoLivreAuthError as exc:
            if exc.code != 401:
                raise
            self.current = self.access.tokens.refresh(self.current)
            self.counts["token_refresh"] += 1
            return super().request(method, path, params=params, json=json)


class MercadoLivreSession(
    MercadoLivreCatalog,
    MercadoLivreOffers,
    MercadoLivreOrders,
    MercadoLivreFulfilment,
    NoAnalytics,
    ChannelSession,
):
    """One client's Mercado Livre seller account (`seller_id`) behind the facets; Mercado Livre's
    reference documents no seller analytics, so it reports none."""

    def __init__(self, api: SellerClient, seller_id: str, capabilities: Capabilities, logger: Any = None):
        self.api = api
        self.seller_id = seller_id
        self.capabilities = capabilities
        self.logger = logger

    def call_counts(self) -> dict[str, int]:
        return dict(self.api.counts)


class MercadoLivreChannel(MercadoLivreAuth, MercadoLivreNotifications, Channel):
    """The Mercado Livre application (`app`: id, secret, redirect URI, hosts, pace)."""

    def __init__(self, app: MercadoLivreApp, capabilities: Capabilities | None = None):
        MercadoLivreAuth.__init__(self, app)
        MercadoLivreNotifications.__init__(self, app.app_id)
        self.capabilities = capabilities or default_capabilities(app)

    @contextmanager
    def session(self, access: ShopAccess, logger: Any = None) -> Iterator[MercadoLivreSession]:
        with SellerClient(self._app(), access) as api:
            yield MercadoLivreSession(api, access.shop_id, self.capabilities, logger)
