"""Authorization of TikTok Shop sellers (the `AuthApi` of the channel): the consent page, the token
host's code exchange and refresh (reference §2), the shops a grant covers and their warehouses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from tiktok_pipelines.channels.base.auth import AuthApi
from tiktok_pipelines.channels.tiktok_shop.client import (
    DEFAULT_AUTH_BASE_URL,
    DEFAULT_AUTHORIZE_URL,
    AuthError,
    TikTokAuthClient,
    TikTokShopClient,
    TokenSet,
    authorization_url,
)
from tiktok_pipelines.core.models.auth import AuthorizedShop, Grant
from tiktok_pipelines.http import RetryPolicy
from tiktok_pipelines.settings import ConfigError

# The token host's code for an auth code or refresh token it no longer accepts.
REFUSED_GRANT_CODE = 36004004


@dataclass(frozen=True)
class TikTokApp:
    """The TikTok Shop partner app: its key and secret (which also sign its webhooks), its service id
    (consent links) and the hosts of its consent page and token host."""

    app_key: str | None
    app_secret: str | None = field(default=None, repr=False)
    service_id: str | None = None
    authorize_url: str = DEFAULT_AUTHORIZE_URL
    auth_base_url: str = DEFAULT_AUTH_BASE_URL
    timeout_seconds: float = 30.0
    retry_attempts: int = 4


def grant_of(tokens: TokenSet) -> Grant:
    """The channel-neutral grant of TikTok's tokens."""
    return Grant(**{f.name: getattr(tokens, f.name) for f in fields(Grant)})


def shop_of(shop: dict[str, Any]) -> AuthorizedShop:
    """A shop of `GET /authorization/202309/shops`."""
    code = shop.get("code")
    return AuthorizedShop(
        shop_id=str(shop["id"]),
        code=None if code is None else str(code),
        name=shop.get("name"),
        region=shop.get("region"),
        secret=None if shop.get("cipher") is None else str(shop["cipher"]),
    )


class TikTokAuth(AuthApi):
    """Authorization of TikTok Shop sellers. `app` is the partner app; `app_client(access_token,
    shop_cipher=None)` builds an Open API client for seller-level calls (the shops of a grant) and, with
    a cipher, for a shop's own (its warehouses)."""

    app: TikTokApp | None = None
    app_client: Callable[..., TikTokShopClient] | None = None

    def _app(self) -> TikTokApp:
        if self.app is None or not self.app.app_key or not self.app.app_secret:
            raise ConfigError(
                "TIKTOK_APP_KEY and TIKTOK_APP_SECRET are not set: the TikTok Shop app's credentials (Partner "
                "Center > App > Basic information), or run the sandbox (`make run`)."
            )
        return self.app

    def _token_host(self) -> TikTokAuthClient:
        app = self._app()
        return TikTokAuthClient(
            app.app_key or "",
            app.app_secret or "",
            app.auth_base_url,
            timeout=app.timeout_seconds,
            retry=RetryPolicy(attempts=app.retry_attempts),
        )

    def _client(self, grant: Grant, shop_cipher: str | None = None) -> TikTokShopClient:
        if self.app_client is None:
            raise ConfigError("this TikTok Shop channel has no Open API client for seller-level calls")
        token = grant.access_token.get_secret_value()
        return self.app_client(token, shop_cipher) if shop_cipher else self.app_client(token)

    def authorization_url(self, state: str) -> str:
        app = self._app()
        if not app.service_id:
            raise ConfigError("TIKTOK_SERVICE_ID is not set: the app's service id (Partner Center > App).")
        return authorization_url(app.authorize_url, app.service_id, state)

    def exchange_code(self, code: str) -> Grant:
        with self._token_host() as host:
            return grant_of(host.get_token(code))

    def check_refreshable(self, grant: Grant) -> None:
        if grant.refresh_token_expires_at <= datetime.now(UTC):
            raise AuthError(
                "the refresh token expired; the seller must authorize again", code=REFUSED_GRANT_CODE
            )

    def refresh_grant(self, grant: Grant) -> Grant:
        with self._token_host() as host:
            return grant_of(host.refresh_token(grant.refresh_token.get_secret_value()))

    def authorized_shops(self, grant: Grant) -> list[AuthorizedShop]:
        with self._client(grant) as api:
            return [shop_of(s) for s in api.get_authorized_shops()]

    def shop_warehouses(self, grant: Grant, shop: AuthorizedShop) -> list[str]:
        with self._client(grant, shop.secret) as api:
            warehouses = api.get_warehouses()
        return [
            str(w["id"])
            for w in warehouses
            if w.get("type") == "SALES_WAREHOUSE" and w.get("effect_status", "ENABLED") == "ENABLED"
        ]
