"""The VTEX APIs as a Dagster resource."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from tiktok_pipelines.defs.resources.secrets import configured_secret, secret_field, secret_value
from tiktok_pipelines.http import RetryPolicy
from tiktok_pipelines.settings import ConfigError, Settings
from tiktok_pipelines.stores.registry import Client
from tiktok_pipelines.vtex.client import (
    DEFAULT_BASE_URL,
    DEFAULT_LOGISTICS_BASE_URL,
    DEFAULT_PRICING_BASE_URL,
    VtexAccount,
    VtexClient,
    VtexOptions,
)
from tiktok_pipelines.vtex.notifications import marketplace_callback_url


class Vtex(dg.ConfigurableResource):
    """VTEX stores of the clients: catalog, inventory, Pricing v2, and orders placed as the TikTok Shop
    marketplace (fulfillment protocol, OMS, orders feed and hook).

    `client_for(client)` gives a `VtexClient` bound to a registered client's account, app key and token,
    trade policy, affiliate and warehouses; use it as a context manager. Requests to one account share a
    pacing limit and a bound on concurrency across the whole process, retry 429 after Retry-After, and
    retry 5xx / timeouts only where repeating is safe.
    """

    base_url: str = Field(
        default=DEFAULT_BASE_URL, description="Core API host template ({account}, {environment})."
    )
    pricing_base_url: str = Field(default=DEFAULT_PRICING_BASE_URL, description="Pricing v2 host template.")
    logistics_base_url: str = Field(
        default=DEFAULT_LOGISTICS_BASE_URL, description="Batch inventory host template."
    )
    max_concurrency: int = Field(default=8, description="Requests in flight per account.")
    rate_limit_per_second: float = Field(default=50.0, description="Requests per second per account.")
    timeout_seconds: float = Field(default=30.0, description="Read timeout of a request.")
    retry_attempts: int = Field(default=5, description="Attempts per request on 429, 5xx and network errors.")
    retry_max_wait_seconds: float = Field(default=30.0, description="Longest backoff between attempts.")
    user_agent: str = Field(default="tiktok-pipelines/0.1", description="User-Agent header sent.")
    marketplace_services_endpoint: str | None = Field(
        default=None,
        description="Public base URL of the receiver; VTEX calls each client's orders back (invoices, "
        "cancellations) at `{this}/vtex/marketplace/{client_id}/{token}`.",
    )
    marketplace_callback_secret: str | None = secret_field(
        "Signs the callback tokens (TIKTOK_PIPELINES_VTEX_WEBHOOK_SECRET)."
    )

    def services_endpoint(self, client_id: str | None) -> str | None:
        """The `marketplaceServicesEndpoint` of a client's orders (None: VTEX calls nothing back)."""
        if not self.marketplace_services_endpoint or not client_id:
            return None
        secret = secret_value(self.marketplace_callback_secret)
        if not secret:
            raise ConfigError(
                "VTEX_MARKETPLACE_SERVICES_ENDPOINT needs TIKTOK_PIPELINES_VTEX_WEBHOOK_SECRET: it signs the "
                "callback address of each client"
            )
        return marketplace_callback_url(self.marketplace_services_endpoint, client_id, secret)

    def options(self, client_id: str | None = None) -> VtexOptions:
        return VtexOptions(
            base_url=self.base_url,
            pricing_base_url=self.pricing_base_url,
            logistics_base_url=self.logistics_base_url,
            timeout_seconds=self.timeout_seconds,
            max_concurrency=self.max_concurrency,
            rate_limit_per_second=self.rate_limit_per_second,
            retry=RetryPolicy(attempts=self.retry_attempts, maximum=self.retry_max_wait_seconds),
            user_agent=self.user_agent,
            marketplace_services_endpoint=self.services_endpoint(client_id),
        )

    def client_for(self, client: Client, channel: str | None = None) -> VtexClient:
        """A client of `client`'s VTEX store (account, credentials, trade policy, affiliate, warehouses);
        for a channel's orders, the affiliate the client's `channel_affiliates` names for it."""
        affiliate = (client.option("channel_affiliates") or {}).get(str(channel)) if channel else None
        account = VtexAccount(
            account=client.vtex_account,
            environment=client.vtex_environment,
            app_key=client.vtex_app_key,
            app_token=client.vtex_app_token,
            trade_policy=client.vtex_trade_policy,
            affiliate_id=affiliate or client.vtex_affiliate_id,
            warehouse_ids=tuple(client.vtex_warehouse_ids),
        )
        return VtexClient(account, self.options(client.client_id))

    @classmethod
    def from_settings(cls, settings: Settings, env_vars: bool = True) -> Vtex:
        """From the configuration; `env_vars` keeps the secret as a `dg.EnvVar` (for Definitions), False
        puts its value (for code outside Dagster)."""
        secret = configured_secret(settings, "TIKTOK_PIPELINES_VTEX_WEBHOOK_SECRET", env_vars)
        return cls(
            base_url=settings.require("VTEX_BASE_URL"),
            pricing_base_url=settings.require("VTEX_PRICING_BASE_URL"),
            logistics_base_url=settings.require("VTEX_LOGISTICS_BASE_URL"),
            max_concurrency=settings.int("VTEX_MAX_CONCURRENCY"),
            rate_limit_per_second=settings.float("VTEX_RATE_LIMIT_PER_SECOND"),
            timeout_seconds=settings.float("VTEX_TIMEOUT_SECONDS"),
            retry_attempts=settings.int("VTEX_RETRY_ATTEMPTS"),
            user_agent=settings.require("TIKTOK_PIPELINES_HTTP_USER_AGENT"),
            marketplace_services_endpoint=settings.get("VTEX_MARKETPLACE_SERVICES_ENDPOINT"),
            marketplace_callback_secret=secret,
        )
