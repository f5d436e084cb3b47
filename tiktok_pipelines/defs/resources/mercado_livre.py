"""Mercado Livre as a Dagster resource: the application's credentials, hosts and limits, and sessions on
a client's seller account with its stored tokens (renewed one at a time, the newest pair kept)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import dagster as dg
from pydantic import Field

from tiktok_pipelines.channels.base import Capabilities, ShopAccess
from tiktok_pipelines.channels.mercado_livre.channel import (
    MercadoLivreChannel,
    MercadoLivreSession,
    default_capabilities,
)
from tiktok_pipelines.channels.mercado_livre.client import (
    DEFAULT_API_BASE_URL,
    DEFAULT_AUTHORIZE_URL,
    DEFAULT_BILLING_INFO_PATH,
    MercadoLivreApp,
    Pace,
)
from tiktok_pipelines.channels.mercado_livre.configuration import app_from_settings
from tiktok_pipelines.channels.mercado_livre.orders import MercadoLivreOrderReader
from tiktok_pipelines.core.names import ChannelName
from tiktok_pipelines.defs.resources.secrets import configured_secret, secret_field, secret_value
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.lanes.renewal import RenewalReport, RenewingTokens, needs_authorization_error, renew_due
from tiktok_pipelines.lanes.tokens import NotAuthorizedError
from tiktok_pipelines.settings import ConfigError, Settings
from tiktok_pipelines.stores.channel_tokens import ChannelTokenStore
from tiktok_pipelines.stores.oauth_states import issue_link_state

CHANNEL = ChannelName.MERCADO_LIVRE.value


class MercadoLivre(dg.ConfigurableResource):
    """The Mercado Livre application: consent links, and sessions on a client's seller account."""

    state: StateStore
    app_id: str | None = Field(default=None, description="Application id (MERCADO_LIVRE_APP_ID).")
    client_secret: str | None = secret_field("Secret key (MERCADO_LIVRE_CLIENT_SECRET).")
    redirect_uri: str | None = Field(default=None, description="Redirect URI, exactly as registered.")
    api_base_url: str = Field(default=DEFAULT_API_BASE_URL, description="API host.")
    authorize_url: str = Field(default=DEFAULT_AUTHORIZE_URL, description="Seller consent page.")
    pkce: bool = Field(default=True, description="PKCE S256 on consent links.")
    rate_limit_per_second: float = Field(default=10.0, description="Calls per second per seller.")
    max_concurrency: int = Field(default=4, description="Calls in flight per seller.")
    timeout_seconds: float = Field(default=30.0, description="Timeout of one request.")
    renew_before_minutes: float = Field(default=60.0, description="Renew access tokens this close to expiry.")
    oauth_state_ttl_minutes: float = Field(default=30.0, description="Lifetime of an authorization link.")
    billing_info_path: str = Field(
        default=DEFAULT_BILLING_INFO_PATH, description="Path of an order's billing info (UNCONFIRMED)."
    )

    def app(self) -> MercadoLivreApp:
        return MercadoLivreApp(
            app_id=self.app_id,
            client_secret=secret_value(self.client_secret),
            redirect_uri=self.redirect_uri,
            authorize_url=self.authorize_url,
            api_base_url=self.api_base_url,
            pkce=self.pkce,
            pace=Pace(self.rate_limit_per_second, self.max_concurrency),
            timeout_seconds=self.timeout_seconds,
            billing_info_path=self.billing_info_path,
        )

    def capabilities(self) -> Capabilities:
        """What the channel is and its limits, known without credentials or a call."""
        return default_capabilities(self.app())

    def order_reader(self) -> MercadoLivreOrderReader:
        return MercadoLivreOrderReader()

    def channel(self) -> MercadoLivreChannel:
        return MercadoLivreChannel(self.app(), self.capabilities())

    @property
    def tokens(self) -> ChannelTokenStore:
        return ChannelTokenStore(self.state.db, CHANNEL)

    @property
    def renewal_window(self) -> timedelta:
        return timedelta(minutes=self.renew_before_minutes)

    def renew_grants(self, logger=None) -> RenewalReport:
        """Every client's grant whose access token ends within the renewal window renewed, one renewal
        at a time (`mercado_livre/tokens`)."""
        return renew_due(self.tokens, self.channel(), self.renewal_window, logger=logger)

    def needs_authorization(self, client_id: str) -> str | None:
        """Why the client must authorize Mercado Livre again (its grant ended), or None."""
        lost = needs_authorization_error(self.tokens, client_id)
        return None if lost is None else str(lost)

    def shop_missing(self, client_id: str) -> str | None:
        """Why the client has no Mercado Livre seller account to work on, or None when it has one."""
        self.state.registry.get(client_id)
        if self.tokens.get_tokens(client_id) is not None:
            return None
        return (
            f"client {client_id} has no Mercado Livre account: `tiktok-pipelines oauth url {client_id} "
            "--channel mercado_livre` connects one"
        )

    @contextmanager
    def session(self, client_id: str, logger=None) -> Iterator[MercadoLivreSession]:
        """A session on the client's seller account (`NotAuthorizedError` when it has none or must
        authorize again)."""
        grant = self.tokens.get_tokens(client_id)
        if grant is None or not grant.open_id:
            raise NotAuthorizedError(self.shop_missing(client_id) or f"client {client_id}: no seller id")
        channel = self.channel()
        provider = RenewingTokens(self.tokens, channel, client_id, window=self.renewal_window)
        provider.grant()  # NotAuthorizedError at once when the seller must authorize again
        with channel.session(ShopAccess(grant.open_id, provider, {}), logger) as session:
            yield session

    def authorization_link(self, client_id: str) -> str:
        """The consent URL for the client's seller, with a fresh single-use state bound to the client."""
        self.state.registry.get(client_id)
        if not self.redirect_uri:
            raise ConfigError(
                "MERCADO_LIVRE_REDIRECT_URI is not set: the application's redirect URI, exactly"
            )
        state = issue_link_state(
            self.state.db, CHANNEL, client_id, timedelta(minutes=self.oauth_state_ttl_minutes)
        )
        return self.channel().authorization_url(state)

    @classmethod
    def from_settings(cls, settings: Settings, state: StateStore, env_vars: bool = True) -> MercadoLivre:
        """From the configuration; `env_vars` keeps the secret as a `dg.EnvVar` (for Definitions)."""
        return cls(
            state=state,
            app_id=settings.get("MERCADO_LIVRE_APP_ID"),
            client_secret=configured_secret(settings, "MERCADO_LIVRE_CLIENT_SECRET", env_vars),
            redirect_uri=settings.get("MERCADO_LIVRE_REDIRECT_URI"),
            api_base_url=settings.require("MERCADO_LIVRE_API_BASE_URL"),
            authorize_url=settings.require("MERCADO_LIVRE_AUTHORIZE_URL"),
            pkce=app_from_settings(settings).pkce,
            rate_limit_per_second=settings.float("MERCADO_LIVRE_RATE_LIMIT_PER_SECOND"),
            max_concurrency=settings.int("MERCADO_LIVRE_MAX_CONCURRENCY"),
            timeout_seconds=settings.float("MERCADO_LIVRE_TIMEOUT_SECONDS"),
            renew_before_minutes=settings.float("MERCADO_LIVRE_TOKEN_RENEW_BEFORE_MINUTES"),
            billing_info_path=settings.require("MERCADO_LIVRE_BILLING_INFO_PATH"),
        )


def standalone_mercado_livre(settings: Settings) -> MercadoLivre:
    """The resource for code that runs outside Dagster (CLI, demo, tests): secrets as values."""
    state = StateStore.standalone(settings)
    return MercadoLivre.from_settings(settings, state, env_vars=False)
