"""Shopee as a Dagster resource: the partner app's credentials, host and limits, and sessions on a
client's shop with its tokens (renewed once at a time, `lanes/renewal.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import dagster as dg
from pydantic import Field

from tiktok_pipelines.channels.base import Capabilities, ShopAccess
from tiktok_pipelines.channels.shopee.auth import ShopeeApp
from tiktok_pipelines.channels.shopee.channel import ShopeeChannel, ShopeeSession, capabilities
from tiktok_pipelines.channels.shopee.client import DEFAULT_BASE_URL
from tiktok_pipelines.channels.shopee.notifications import PushEndpoint
from tiktok_pipelines.channels.shopee.orders import ShopeeOrderReader
from tiktok_pipelines.core.names import ChannelName
from tiktok_pipelines.defs.resources.secrets import configured_secret, secret_field, secret_value
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.lanes.renewal import (
    RenewalReport,
    RenewingTokens,
    needs_authorization_error,
    renew_due,
    shop_of,
)
from tiktok_pipelines.lanes.tokens import NotAuthorizedError
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.channel_tokens import ChannelTokenStore
from tiktok_pipelines.stores.oauth_states import issue_link_state


class Shopee(dg.ConfigurableResource):
    """The Shopee Open Platform for this partner app: sessions on a registered client's shop (its stored,
    encrypted tokens, renewed within their 4 hours), the authorization link, and the pushes' verification."""

    state: StateStore
    partner_id: int | None = Field(default=None, description="Partner id (SHOPEE_PARTNER_ID).")
    partner_key: str | None = secret_field("Partner key (SHOPEE_PARTNER_KEY).")
    api_base_url: str = Field(default=DEFAULT_BASE_URL, description="API host.")
    redirect_url: str | None = Field(default=None, description="The receiver's Shopee callback.")
    push_url: str | None = Field(default=None, description="The push callback configured with Shopee.")
    rate_limit_per_second: float = Field(default=10.0, description="Requests per second per shop.")
    max_concurrency: int = Field(default=4, description="Concurrent requests of a bulk call.")
    timeout_seconds: float = Field(default=30.0, description="Timeout of one request.")
    retry_attempts: int = Field(default=4, description="Attempts of a throttled or failed request.")
    oauth_state_ttl_minutes: float = Field(default=30.0, description="Lifetime of an authorization link.")

    def capabilities(self) -> Capabilities:
        return capabilities(self.rate_limit_per_second, self.max_concurrency)

    def order_reader(self) -> ShopeeOrderReader:
        """Reads Shopee's order details and pushes the state DB holds, without credentials or a call."""
        return ShopeeOrderReader()

    def app(self) -> ShopeeApp:
        return ShopeeApp(
            self.partner_id,
            secret_value(self.partner_key),
            self.api_base_url,
            self.redirect_url,
            timeout_seconds=self.timeout_seconds,
            retry_attempts=self.retry_attempts,
        )

    def channel(self) -> ShopeeChannel:
        app = self.app()
        return ShopeeChannel(app, self.capabilities(), PushEndpoint(app.partner_key, self.push_url))

    @property
    def token_store(self) -> ChannelTokenStore:
        return ChannelTokenStore(self.state.db, ChannelName.SHOPEE)

    @property
    def renewal_window(self) -> timedelta:
        return self.capabilities().renewal_window

    def renew_grants(self, logger=None) -> RenewalReport:
        """Every client's grant renewed within the renewal window, and the end of each seller's consent
        kept and told once per date (`shopee/tokens`)."""
        channel = self.channel()
        window = self.renewal_window
        return renew_due(
            self.token_store, channel, window, expiry=channel.authorization_expiry, logger=logger
        )

    def needs_authorization(self, client_id: str) -> str | None:
        """Why the client must authorize Shopee again (its grant ended or was cancelled), or None."""
        lost = needs_authorization_error(self.token_store, client_id)
        return None if lost is None else str(lost)

    def shop_id(self, client_id: str) -> str | None:
        grant = self.token_store.get_tokens(client_id)
        return shop_of(grant) if grant is not None else None

    def shop_missing(self, client_id: str) -> str | None:
        """Why the client has no Shopee shop to work on, or None when it has one."""
        self.state.registry.get(client_id)
        if self.shop_id(client_id):
            return None
        return f"client {client_id} has no shop on Shopee: `tiktok-pipelines oauth url {client_id} --channel shopee`"

    @contextmanager
    def session(self, client_id: str, logger=None) -> Iterator[ShopeeSession]:
        """A session on the client's shop; NotAuthorizedError when it has none."""
        shop_id = self.shop_id(client_id)
        if shop_id is None:
            raise NotAuthorizedError(self.shop_missing(client_id) or f"client {client_id} has no Shopee shop")
        channel = self.channel()
        provider = RenewingTokens(self.token_store, channel, client_id)
        provider.grant()  # NotAuthorizedError at once when the seller must authorize again
        access = ShopAccess(shop_id, provider, {})
        with channel.session(access, logger) as session:
            yield session

    def authorization_link(self, client_id: str) -> str:
        """The consent link for the client's seller, with a fresh single-use state bound to the client."""
        self.state.registry.get(client_id)
        state = issue_link_state(
            self.state.db, ChannelName.SHOPEE, client_id, timedelta(minutes=self.oauth_state_ttl_minutes)
        )
        return self.channel().authorization_url(state)

    @classmethod
    def from_settings(cls, settings: Settings, state: StateStore, env_vars: bool = True) -> Shopee:
        """From the configuration (`SETTINGS`: field → variable); `env_vars` keeps the partner key as a
        `dg.EnvVar` (for Definitions), False puts its value (for code that runs outside Dagster)."""
        values = {name: settings.get(variable) for name, variable in SETTINGS.items()}
        return cls(
            state=state,
            partner_key=configured_secret(settings, "SHOPEE_PARTNER_KEY", env_vars),
            **{name: value for name, value in values.items() if value is not None},
        )


# The resource's fields and the variables that configure them (values coerced by the field's type).
SETTINGS = {
    "partner_id": "SHOPEE_PARTNER_ID",
    "api_base_url": "SHOPEE_API_BASE_URL",
    "redirect_url": "SHOPEE_REDIRECT_URL",
    "push_url": "SHOPEE_PUSH_URL",
    "rate_limit_per_second": "SHOPEE_RATE_LIMIT_PER_SECOND",
    "max_concurrency": "SHOPEE_MAX_CONCURRENCY",
    "timeout_seconds": "SHOPEE_TIMEOUT_SECONDS",
    "oauth_state_ttl_minutes": "TIKTOK_OAUTH_STATE_TTL_MINUTES",
}
