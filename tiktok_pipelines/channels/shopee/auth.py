"""Authorization of a Shopee seller's shop (the channel's `AuthApi`, reference §4): the authorization
link, the code exchange, the renewal, the shop a grant covers and when its authorization ends.

The link is signed as a public call over `/api/v2/shop/auth_partner` and valid 5 minutes; Shopee sends
the seller back to `redirect` with `code` and `shop_id` (or `main_account_id`), and the link's `state`
travels in the redirect URL's own query. The code alone does not say whose it is, so the receiver keeps
the callback's parameters together (`callback_code`) and `exchange_code` takes them back apart.

A grant names its owner in `open_id` (`shop:<id>`, or for a main account `shop:<first shop id>`, which
then renews that shop's own pair); a main account's grant also lists every shop of its `shop_id_list` in
`shop_ids`, so that news of any of them reaches the client. Access tokens live 4 hours (`expire_in`), refresh tokens 30 days and
once: every renewal returns a new pair, which the caller must keep in place of the old one."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
from pydantic import SecretStr

from tiktok_pipelines.channels.base.auth import AuthApi
from tiktok_pipelines.channels.shopee.client import (
    DEFAULT_BASE_URL,
    GRANT_ENDED,
    PUBLIC,
    ShopeeAuthError,
    ShopeeClient,
    ShopeeError,
    ShopeeRequestError,
    ShopeeRetryableError,
    signature,
)
from tiktok_pipelines.core.models.auth import AuthorizedShop, Grant
from tiktok_pipelines.http import RetryPolicy
from tiktok_pipelines.settings import ConfigError

AUTH_PARTNER_PATH = "/api/v2/shop/auth_partner"
TOKEN_PATH = "/api/v2/auth/token/get"
REFRESH_PATH = "/api/v2/auth/access_token/get"
REFRESH_TOKEN_LIFETIME = timedelta(days=30)


def grant_ended(exc: ShopeeError) -> bool:
    """Whether a renewal's refusal ends the grant: one of `GRANT_ENDED` (any other, such as the app's own
    key or id refused, is not the seller's to fix and leaves the grant as it is), or `error_param`
    refusing the refresh token itself (unknown, or spent by an earlier renewal)."""
    return exc.error in GRANT_ENDED or (exc.error == "error_param" and "refresh_token" in exc.message)


@dataclass(frozen=True)
class ShopeeApp:
    """The partner app: its id and key (which also sign its pushes), the API host, and the receiver's
    callback the authorization link sends sellers back to."""

    partner_id: int | None
    partner_key: str | None = field(default=None, repr=False)
    base_url: str = DEFAULT_BASE_URL
    redirect_url: str | None = None
    timeout_seconds: float = 30.0
    retry_attempts: int = 4


def callback_code(query: Mapping[str, str]) -> str:
    """What the receiver keeps of Shopee's redirect: the code with the shop (or main account) it is for."""
    code = str(query.get("code") or "")
    owners = [k for k in ("shop_id", "main_account_id") if query.get(k)]
    if not code or len(owners) != 1 or not str(query[owners[0]]).isdigit():
        raise ValueError("Shopee's redirect carries `code` and one of `shop_id` and `main_account_id`")
    return urlencode({"code": code, owners[0]: query[owners[0]]})


def _owner(grant: Grant) -> tuple[str, int]:
    kind, _, owner_id = (grant.open_id or "").partition(":")
    if kind not in ("shop", "merchant") or not owner_id.isdigit():
        raise ShopeeAuthError("error_param", "the grant does not name its shop; authorize again")
    return kind, int(owner_id)


class ShopeeAuth(AuthApi):
    """Authorization of Shopee sellers for the partner app `app`."""

    def __init__(
        self,
        app: ShopeeApp,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.app = app
        self._transport = transport
        self._clock = clock

    def _app(self) -> ShopeeApp:
        if not self.app.partner_id or not self.app.partner_key:
            raise ConfigError(
                "SHOPEE_PARTNER_ID and SHOPEE_PARTNER_KEY are not set: the partner app's id and key (Shopee Open "
                "Platform console > App), or run the sandbox (`make run`)."
            )
        return self.app

    def client(
        self, shop_id: int | None = None, access_token: str | None = None, merchant_id: int | None = None
    ) -> ShopeeClient:
        """A client of the app, for a shop (or merchant) when its token is given."""
        app = self._app()
        return ShopeeClient(
            app.partner_id or 0,
            app.partner_key or "",
            app.base_url,
            shop_id=shop_id,
            merchant_id=merchant_id,
            access_token=(lambda: access_token) if access_token else None,
            timeout=app.timeout_seconds,
            retry=RetryPolicy(attempts=app.retry_attempts),
            transport=self._transport,
            clock=self._clock,
        )

    def authorization_url(self, state: str) -> str:
        app = self._app()
        if not app.redirect_url:
            raise ConfigError("the Shopee callback URL is not set: where Shopee sends the seller back")
        timestamp = int(self._clock())
        separator = "&" if "?" in app.redirect_url else "?"
        query = {
            "partner_id": app.partner_id,
            "timestamp": timestamp,
            "sign": signature(app.partner_key or "", app.partner_id or 0, AUTH_PARTNER_PATH, timestamp),
            "redirect": f"{app.redirect_url}{separator}{urlencode({'state': state})}",
        }
        return f"{app.base_url.rstrip('/')}{AUTH_PARTNER_PATH}?{urlencode(query)}"

    def _token_call(
        self, path: str, body: dict[str, Any], ends_grant: Callable[[ShopeeError], bool] = lambda e: True
    ) -> dict[str, Any]:
        """A token call; a refusal that `ends_grant` (by default any that is not transient) means the
        seller must authorize again (`ShopeeAuthError`); any other is raised as Shopee's `error` says."""
        with self.client() as api:
            try:
                return api.call("POST", path, api_type=PUBLIC, json={"partner_id": api.partner_id, **body})
            except ShopeeRetryableError:
                raise
            except ShopeeError as exc:
                if ends_grant(exc):
                    raise ShopeeAuthError(exc.error, exc.message, exc.request_id, exc.http_status) from None
                if isinstance(exc, ShopeeAuthError):
                    raise ShopeeRequestError(
                        exc.error, exc.message, exc.request_id, exc.http_status
                    ) from None
                raise

    def _grant(self, answer: dict[str, Any], owner: str) -> Grant:
        now = datetime.fromtimestamp(self._clock(), UTC)
        if not answer.get("access_token") or not answer.get("refresh_token"):
            raise ShopeeAuthError("error_data", "the token answer has no access_token or refresh_token")
        return Grant(
            access_token=SecretStr(str(answer["access_token"])),
            access_token_expires_at=now + timedelta(seconds=int(answer.get("expire_in") or 0)),
            refresh_token=SecretStr(str(answer["refresh_token"])),
            refresh_token_expires_at=now + REFRESH_TOKEN_LIFETIME,
            open_id=owner,
        )

    def callback_code(self, query: Mapping[str, str]) -> str:
        return callback_code(query)

    def exchange_code(self, code: str) -> Grant:
        """The grant of a code kept by `callback_code` (single use, 10 minutes)."""
        fields = {k: v[0] for k, v in parse_qs(code).items()}
        if "code" not in fields or not ({"shop_id", "main_account_id"} & set(fields)):
            raise ShopeeAuthError("invalid_code", "the code was not kept with its shop_id or main_account_id")
        if "shop_id" in fields:
            shop_id = int(fields["shop_id"])
            answer = self._token_call(TOKEN_PATH, {"code": fields["code"], "shop_id": shop_id})
            return self._grant(answer, f"shop:{shop_id}")
        answer = self._token_call(
            TOKEN_PATH, {"code": fields["code"], "main_account_id": int(fields["main_account_id"])}
        )
        shops = [str(int(s)) for s in answer.get("shop_id_list") or []]
        if not shops:
            raise ShopeeAuthError("invalid_main_acount_id", "the main account's authorization covers no shop")
        return replace(self._grant(answer, f"shop:{shops[0]}"), shop_ids=tuple(shops))

    def check_refreshable(self, grant: Grant) -> None:
        if grant.refresh_token_expires_at <= datetime.fromtimestamp(self._clock(), UTC):
            raise ShopeeAuthError(
                "refresh_token_expired", "the refresh token expired; the seller must authorize again"
            )

    def refresh_grant(self, grant: Grant) -> Grant:
        kind, owner_id = _owner(grant)
        answer = self._token_call(
            REFRESH_PATH,
            {"refresh_token": grant.refresh_token.get_secret_value(), f"{kind}_id": owner_id},
            grant_ended,
        )
        return replace(self._grant(answer, grant.open_id or ""), shop_ids=grant.shop_ids)

    def shop_info(self, grant: Grant) -> dict[str, Any]:
        """`get_shop_info` of the grant's shop: name, region, status, `auth_time` and `expire_time`."""
        kind, owner_id = _owner(grant)
        if kind != "shop":
            raise ShopeeAuthError("error_param", "the grant is a merchant's, not a shop's")
        with self.client(owner_id, grant.access_token.get_secret_value()) as api:
            return api.call("GET", "/api/v2/shop/get_shop_info")

    def authorized_shops(self, grant: Grant) -> list[AuthorizedShop]:
        info = self.shop_info(grant)
        shop_id = str(_owner(grant)[1])
        return [
            AuthorizedShop(
                shop_id=shop_id, code=shop_id, name=info.get("shop_name"), region=info.get("region")
            )
        ]

    def authorization_expiry(self, grant: Grant) -> datetime | None:
        """When the seller's authorization of the app ends (at most 365 days after it was given)."""
        expire_time = self.shop_info(grant).get("expire_time")
        return datetime.fromtimestamp(int(expire_time), UTC) if expire_time else None

    def shop_warehouses(self, grant: Grant, shop: AuthorizedShop) -> list[str]:
        """None: a local shop keeps one stock per model (multi-warehouse location ids are not used)."""
        return []
