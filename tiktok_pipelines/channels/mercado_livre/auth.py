"""Authorization of Mercado Livre sellers (the `AuthApi` of the channel, reference §2): the consent link
with `state` and a PKCE S256 challenge, the code exchange with its verifier, renewal, and the seller a
grant covers (a Mercado Livre seller is its own "shop": its user id and nickname).

The PKCE verifier of a link is derived from the app's secret and the link's `state` (single use,
random), so the callback that receives the state can give it back without storing it anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import urlencode

from tiktok_pipelines.channels.base.auth import AuthApi
from tiktok_pipelines.channels.mercado_livre.client import (
    MercadoLivreApp,
    MercadoLivreAuthClient,
    MercadoLivreAuthError,
    MercadoLivreClient,
)
from tiktok_pipelines.core.models.auth import AuthorizedShop, Grant
from tiktok_pipelines.settings import ConfigError


def code_challenge(verifier: str) -> str:
    """RFC 7636 S256: the unpadded base64url of the verifier's SHA-256."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).decode().rstrip("=")


class MercadoLivreAuth(AuthApi):
    def __init__(self, app: MercadoLivreApp):
        self.app = app

    def _app(self) -> MercadoLivreApp:
        app = self.app
        if not app.app_id or not app.client_secret or not app.redirect_uri:
            raise ConfigError(
                "the Mercado Livre application's id, secret and redirect URI are not all set "
                "(Mercado Livre DevCenter > the application), or run the sandbox (`make run`)."
            )
        return app

    def _token_endpoint(self) -> MercadoLivreAuthClient:
        return MercadoLivreAuthClient(self._app())

    def code_verifier(self, state: str) -> str:
        """The PKCE verifier of the link that carried `state` (43 characters of base64url)."""
        secret = (self._app().client_secret or "").encode()
        digest = hmac.new(secret, b"pkce:" + state.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def authorization_url(self, state: str) -> str:
        app = self._app()
        params = {
            "response_type": "code",
            "client_id": app.app_id or "",
            "redirect_uri": app.redirect_uri or "",
            "state": state,
        }
        if app.pkce:
            params |= {
                "code_challenge": code_challenge(self.code_verifier(state)),
                "code_challenge_method": "S256",
            }
        return f"{app.authorize_url}?{urlencode(params)}"

    def exchange_code(self, code: str, state: str | None = None) -> Grant:
        """The tokens a code grants; `state` (the callback's) gives back the PKCE verifier."""
        app = self._app()
        if app.pkce and state is None:
            raise ConfigError("a Mercado Livre code is exchanged with the state of its link (PKCE)")
        verifier = self.code_verifier(state) if app.pkce and state is not None else None
        with self._token_endpoint() as endpoint:
            return endpoint.exchange(code, app.redirect_uri or "", verifier)

    def check_refreshable(self, grant: Grant) -> None:
        if grant.refresh_token_expires_at <= datetime.now(UTC):
            raise MercadoLivreAuthError(400, "invalid_grant", "the refresh token expired (6 months)")

    def refresh_grant(self, grant: Grant) -> Grant:
        with self._token_endpoint() as endpoint:
            return endpoint.refresh(grant.refresh_token.get_secret_value())

    def client(self, grant: Grant) -> MercadoLivreClient:
        token = grant.access_token.get_secret_value()
        return MercadoLivreClient(self._app(), lambda: token)

    def authorized_shops(self, grant: Grant) -> list[AuthorizedShop]:
        with self.client(grant) as api:
            me = api.me()
        return [
            AuthorizedShop(
                shop_id=str(me["id"]),
                code=me.get("nickname"),
                name=me.get("nickname"),
                region=me.get("site_id"),
            )
        ]

    def shop_warehouses(self, grant: Grant, shop: AuthorizedShop) -> list[str]:
        return []  # a seller's stock is one quantity per item or variation
