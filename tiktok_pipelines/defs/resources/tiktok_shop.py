"""TikTok Shop as a Dagster resource: the app's credentials, hosts and limits, and shop-bound clients."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import dagster as dg
from pydantic import Field

from tiktok_pipelines.channels.base import Capabilities, ShopAccess, TokenProvider
from tiktok_pipelines.channels.tiktok_shop.analytics_fields import (
    DEFAULT_LIVE_PERFORMANCE_PATH,
    parse_analytics_fields,
    parse_live_performance_path,
)
from tiktok_pipelines.channels.tiktok_shop.auth import TikTokApp
from tiktok_pipelines.channels.tiktok_shop.channel import TikTokShopChannel, TikTokShopSession, capabilities
from tiktok_pipelines.channels.tiktok_shop.client import (
    DEFAULT_API_BASE_URL,
    DEFAULT_AUTH_BASE_URL,
    DEFAULT_AUTHORIZE_URL,
    TikTokShopClient,
    parse_price_fields,
    parse_versions,
)
from tiktok_pipelines.channels.tiktok_shop.orders import TikTokOrderReader
from tiktok_pipelines.core.names import ChannelName
from tiktok_pipelines.defs.resources.secrets import configured_secret, secret_field
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.http import RetryPolicy
from tiktok_pipelines.lanes.renewal import connect_hint, needs_authorization_error
from tiktok_pipelines.lanes.tokens import StoredTokenProvider, TikTokNotAuthorizedError, TokenManager
from tiktok_pipelines.settings import ConfigError, Settings
from tiktok_pipelines.stores.tiktok_auth import TikTokAuthStore


class TikTokShop(dg.ConfigurableResource):
    """The TikTok Shop Partner API for this app: signs requests with the app key and secret, paces them per
    shop and endpoint, and hands out clients bound to a registered client's shop (its stored, encrypted
    tokens and cipher), which refresh an expired token by themselves. Also runs the token lifecycle."""

    state: StateStore
    app_key: str | None = Field(default=None, description="App key (TIKTOK_APP_KEY).")
    app_secret: str | None = secret_field("App secret (TIKTOK_APP_SECRET).")
    service_id: str | None = Field(default=None, description="Service id for authorization links.")
    api_base_url: str = Field(default=DEFAULT_API_BASE_URL, description="API host.")
    auth_base_url: str = Field(default=DEFAULT_AUTH_BASE_URL, description="Token host.")
    authorize_url: str = Field(default=DEFAULT_AUTHORIZE_URL, description="Seller consent page.")
    rate_limit_per_second: float = Field(
        default=50.0, description="Requests per second per shop and endpoint."
    )
    max_concurrency: int = Field(default=8, description="Concurrent requests of a bulk call.")
    timeout_seconds: float = Field(default=30.0, description="Timeout of one request.")
    retry_attempts: int = Field(default=5, description="Attempts of a request on 429 / 5xx / network errors.")
    api_versions: str | None = Field(default=None, description="Version overrides, e.g. product=202502.")
    price_fields: str | None = Field(
        default=None,
        description="Price field of product answers holding the seller's price, e.g. sale_price,US=tax_exclusive_price.",
    )
    analytics_fields: str | None = Field(
        default=None, description="Analytics answers' field names, e.g. shop.buyers=buyer_count."
    )
    live_performance_path: str = Field(
        default=DEFAULT_LIVE_PERFORMANCE_PATH, description="Path of the LIVE performance report (a guess)."
    )
    renew_before_hours: float = Field(default=72.0, description="Renew access tokens this close to expiry.")
    oauth_state_ttl_minutes: float = Field(default=30.0, description="Lifetime of an authorization link.")

    def _credentials(self) -> tuple[str, str]:
        if not self.app_key or not self.app_secret:
            raise ConfigError(
                "TIKTOK_APP_KEY and TIKTOK_APP_SECRET are not set: the TikTok Shop app's credentials (Partner "
                "Center > App > Basic information), or run the sandbox (`make run`)."
            )
        return self.app_key, self.app_secret

    @property
    def auth_store(self) -> TikTokAuthStore:
        return TikTokAuthStore(self.state.db)

    def app(self) -> TikTokApp:
        """The partner app: its credentials, service id, consent page and token host."""
        key, secret = self._credentials()
        return TikTokApp(
            key,
            secret,
            service_id=self.service_id,
            authorize_url=self.authorize_url,
            auth_base_url=self.auth_base_url,
            timeout_seconds=self.timeout_seconds,
            retry_attempts=min(self.retry_attempts, 4),
        )

    def app_client(self, access_token: str, shop_cipher: str | None = None) -> TikTokShopClient:
        """A client with a given token: app- and seller-level endpoints (e.g. authorized shops), and the
        shop's endpoints too when its cipher is given."""
        return self._api_client(access_token, shop_cipher)

    def _api_client(
        self, token: TokenProvider | str, shop_cipher: str | None, shop_key: str | None = None
    ) -> TikTokShopClient:
        """A Partner API client with this app's credentials, hosts, versions and limits."""
        key, secret = self._credentials()
        return TikTokShopClient(
            key,
            secret,
            token,
            shop_cipher,
            base_url=self.api_base_url,
            shop_key=shop_key,
            versions=parse_versions(self.api_versions),
            price_fields=parse_price_fields(self.price_fields),
            analytics_fields=parse_analytics_fields(self.analytics_fields),
            live_performance_path=self.live_performance_path,
            rate_limit_per_second=self.rate_limit_per_second,
            max_concurrency=self.max_concurrency,
            timeout=self.timeout_seconds,
            retry=RetryPolicy(attempts=self.retry_attempts),
        )

    @contextmanager
    def token_manager(self, logger=None) -> Iterator[TokenManager]:
        """The token service of the channel, over the state DB's token vault."""
        yield TokenManager(
            self.auth_store,
            self.state.registry,
            self.channel(),
            renew_before=timedelta(hours=self.renew_before_hours),
            logger=logger,
        )

    def capabilities(self) -> Capabilities:
        """What the channel is and its limits, known without credentials or a call."""
        return capabilities(self.rate_limit_per_second, self.max_concurrency)

    def order_reader(self) -> TikTokOrderReader:
        """Reads TikTok's order details and notifications the state DB holds, without credentials or a call."""
        return TikTokOrderReader()

    def channel(self) -> TikTokShopChannel:
        """TikTok Shop as a `Channel`: sessions on shops, with this app's credentials, hosts and limits."""

        def client_for(access: ShopAccess) -> TikTokShopClient:
            return self._api_client(access.tokens, access.secrets["shop_cipher"], f"shop:{access.shop_id}")

        return TikTokShopChannel(
            client_for,
            self.capabilities(),
            app=self.app(),
            app_client=self.app_client,
        )

    def needs_authorization(self, client_id: str) -> str | None:
        """Why the client must authorize TikTok Shop again (its grant ended, or a consent for another shop
        left it without tokens), or None."""
        if self.auth_store.status(client_id) is None:  # one read, no secret decrypted
            return (
                f"client {client_id} has a TikTok shop but no authorization: "
                f"{connect_hint(client_id, ChannelName.TIKTOK_SHOP)}"
            )
        lost = needs_authorization_error(self.auth_store, client_id)
        return str(lost) if lost is not None else None

    def shop_missing(self, client_id: str) -> str | None:
        """Why the client has no shop on TikTok Shop to work on, or None when it has one."""
        client = self.state.registry.get(client_id)
        if client.tiktok_shop_cipher and client.tiktok_shop_id:
            return None
        return (
            f"client {client_id} has no shop on TikTok Shop: `tiktok-pipelines oauth url {client_id}` "
            "connects one"
        )

    @contextmanager
    def session(self, client_id: str, logger=None) -> Iterator[TikTokShopSession]:
        """A channel session on the client's shop, with its stored tokens (refreshed on 105002).

        Raises TikTokNotAuthorizedError when the client has no shop yet or must authorize again.
        """
        channel = self.channel()
        client = self.state.registry.get(client_id)
        lost = needs_authorization_error(self.auth_store, client_id)
        if lost is not None:
            raise lost
        if client.tiktok_shop_cipher is None or not client.tiktok_shop_id:
            raise TikTokNotAuthorizedError(
                f"client {client_id} has no TikTok shop yet: send `tiktok-pipelines oauth url {client_id}` to the seller"
            )
        with self.token_manager(logger) as manager:
            access = ShopAccess(
                shop_id=client.tiktok_shop_id,
                tokens=StoredTokenProvider(manager, client_id),
                secrets={"shop_cipher": client.tiktok_shop_cipher.get_secret_value()},
            )
            with channel.session(access, logger) as session:
                yield session

    @contextmanager
    def shop(self, client_id: str, logger=None) -> Iterator[TikTokShopClient]:
        """The Partner API client bound to the client's shop (the session's own)."""
        with self.session(client_id, logger) as session:
            yield session.api

    def authorization_link(self, client_id: str) -> str:
        """The consent URL to send to the client's seller, with a fresh single-use state bound to the client."""
        self.state.registry.get(client_id)
        if not self.service_id:
            raise ConfigError("TIKTOK_SERVICE_ID is not set: the app's service id (Partner Center > App).")
        channel = self.channel()
        state = self.auth_store.issue_state(client_id, timedelta(minutes=self.oauth_state_ttl_minutes))
        return channel.authorization_url(state)

    @classmethod
    def from_settings(cls, settings: Settings, state: StateStore, env_vars: bool = True) -> TikTokShop:
        """From the configuration; `env_vars` keeps the secret as a `dg.EnvVar` (for Definitions), False
        puts its value (for code that runs outside Dagster, like the CLI)."""

        parse_versions(settings.get("TIKTOK_API_VERSIONS"))  # fail at load on a bad override
        parse_price_fields(settings.get("TIKTOK_PRICE_FIELDS"))
        parse_analytics_fields(settings.get("TIKTOK_ANALYTICS_FIELDS"))
        parse_live_performance_path(settings.get("TIKTOK_LIVE_PERFORMANCE_PATH"))
        return cls(
            state=state,
            app_key=settings.get("TIKTOK_APP_KEY"),
            app_secret=configured_secret(settings, "TIKTOK_APP_SECRET", env_vars),
            service_id=settings.get("TIKTOK_SERVICE_ID"),
            api_base_url=settings.require("TIKTOK_API_BASE_URL"),
            auth_base_url=settings.require("TIKTOK_AUTH_BASE_URL"),
            authorize_url=settings.require("TIKTOK_AUTHORIZE_URL"),
            rate_limit_per_second=settings.float("TIKTOK_RATE_LIMIT_PER_SECOND"),
            max_concurrency=settings.int("TIKTOK_MAX_CONCURRENCY"),
            timeout_seconds=settings.float("TIKTOK_TIMEOUT_SECONDS"),
            api_versions=settings.get("TIKTOK_API_VERSIONS"),
            price_fields=settings.get("TIKTOK_PRICE_FIELDS"),
            analytics_fields=settings.get("TIKTOK_ANALYTICS_FIELDS"),
            live_performance_path=settings.require("TIKTOK_LIVE_PERFORMANCE_PATH"),
            renew_before_hours=settings.float("TIKTOK_TOKEN_RENEW_BEFORE_HOURS"),
            oauth_state_ttl_minutes=settings.float("TIKTOK_OAUTH_STATE_TTL_MINUTES"),
        )


def standalone_tiktok_shop(settings: Settings) -> TikTokShop:
    """The resource for code that runs outside Dagster (CLI, demo, tests): secrets as values, not EnvVars."""
    state = StateStore.standalone(settings)
    return TikTokShop.from_settings(settings, state, env_vars=False)
