"""Authorization: auth codes and the grants they are exchanged for (the token host `/api/v2/token/get`
and `/refresh`, and the consent page `/open/authorize`), their expiry and revocation, and the
Authorization / Seller API that lists a grant's shops (reference §2)."""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tiktok_pipelines.sandbox.tiktok_shop import request_checks as req
from tiktok_pipelines.sandbox.tiktok_shop.answers import envelope
from tiktok_pipelines.sandbox.tiktok_shop.context import Ctx
from tiktok_pipelines.sandbox.tiktok_shop.routing import ApiRoute
from tiktok_pipelines.sandbox.tiktok_shop.state import Grant

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.tiktok_shop.emulator import TikTokShopEmulator


class TokensMixin:
    """Auth codes and grants of `TikTokShopEmulator`."""

    def issue_auth_code(self, shop_code: str) -> str:
        """An auth code for the seller of a shop, as consent would produce (single use, 30 min)."""
        shop = self.shop_by_code(shop_code)
        code = "ROW_" + secrets.token_urlsafe(24)
        with self.lock:
            self.auth_codes[code] = {
                "seller_id": shop.seller_id,
                "expires_at": time.time() + self.config.auth_code_ttl,
                "used": False,
            }
        return code

    def _grant_tokens(self, seller_id: str) -> dict[str, Any]:
        now = time.time()

        def grant(ttl: float, kind: str) -> Grant:
            return Grant("TTP_" + secrets.token_urlsafe(32), seller_id, f"open-{seller_id}", now + ttl, kind)

        access = grant(self.config.access_token_ttl, "access")
        refresh = grant(self.config.refresh_token_ttl, "refresh")
        self.grants[access.token] = access
        self.grants[refresh.token] = refresh
        shops = self.shops_of(seller_id)
        return {
            "access_token": access.token,
            "access_token_expire_in": int(access.expires_at),
            "refresh_token": refresh.token,
            "refresh_token_expire_in": int(refresh.expires_at),
            "open_id": access.open_id,
            "seller_name": shops[0].name if shops else seller_id,
            "seller_base_region": shops[0].region if shops else "BR",
            "user_type": 0,
            "granted_scopes": [
                "seller.product.basic",
                "seller.order.info",
                "seller.fulfillment.basic",
                "seller.logistics",
                "seller.finance.info",
                "seller.authorization.info",
            ],
        }

    def expire_tokens(self, shop_code: str | None = None, kind: str = "access") -> int:
        """Makes tokens (of one shop's seller, or all) expired now; returns how many."""
        with self.lock:
            seller = self.shop_by_code(shop_code).seller_id if shop_code else None
            n = 0
            for grant in self.grants.values():
                if grant.kind == kind and (seller is None or grant.seller_id == seller):
                    grant.expires_at = time.time() - 1
                    n += 1
            return n

    def revoke_tokens(self, shop_code: str | None = None) -> int:
        """Revokes every token (access and refresh) of a seller: refresh fails, re-authorization is needed."""
        with self.lock:
            seller = self.shop_by_code(shop_code).seller_id if shop_code else None
            n = 0
            for grant in self.grants.values():
                if seller is None or grant.seller_id == seller:
                    grant.revoked = True
                    n += 1
            return n


def h_authorized_shops(ctx: Ctx) -> dict[str, Any]:
    assert ctx.grant is not None
    return {"shops": [s.as_api() for s in ctx.emulator.shops_of(ctx.grant.seller_id)]}


def h_active_shops(ctx: Ctx) -> dict[str, Any]:
    assert ctx.grant is not None
    return {"shops": [{"id": s.id, "region": s.region} for s in ctx.emulator.shops_of(ctx.grant.seller_id)]}


ROUTES: tuple[ApiRoute, ...] = (
    ApiRoute("GET", "/authorization/202309/shops", h_authorized_shops, cipher=False),
    ApiRoute("GET", "/seller/202309/shops", h_active_shops, cipher=False),
)


def token_host_routes(emu: TikTokShopEmulator) -> list[Route]:
    """The token host (code exchange, refresh) and the consent page, which sign nothing and answer in the
    API's envelope."""
    cfg = emu.config

    def _token_error(code: int, message: str) -> JSONResponse:
        return envelope(code, message, None, 200)

    async def token_get(request: Request) -> Response:
        q = request.query_params
        emu.calls["GET /api/v2/token/get"] += 1
        if q.get("app_key") != cfg.app_key or q.get("app_secret") != cfg.app_secret:
            return _token_error(36009004, req.MSG_INVALID_APP_CREDENTIALS)
        if q.get("grant_type") != "authorized_code":
            return _token_error(36009004, "invalid param error: grant_type must be authorized_code")
        with emu.lock:
            code = emu.auth_codes.get(q.get("auth_code") or "")
            if code is None or code["used"] or code["expires_at"] <= time.time():
                return _token_error(36004004, "Invalid auth code: it is unknown, used or expired")
            code["used"] = True
            data = emu._grant_tokens(code["seller_id"])
        return envelope(0, "success", data)

    async def token_refresh(request: Request) -> Response:
        q = request.query_params
        emu.calls["GET /api/v2/token/refresh"] += 1
        if q.get("app_key") != cfg.app_key or q.get("app_secret") != cfg.app_secret:
            return _token_error(36009004, req.MSG_INVALID_APP_CREDENTIALS)
        # The official Node SDK sends authorized_code here too; the platform accepts both.
        if q.get("grant_type") not in ("refresh_token", "authorized_code"):
            return _token_error(36009004, "invalid param error: grant_type must be refresh_token")
        with emu.lock:
            grant = emu.grants.get(q.get("refresh_token") or "")
            if grant is None or grant.kind != "refresh" or grant.revoked or grant.expires_at <= time.time():
                return _token_error(36004004, "Invalid refresh_token: it is unknown, revoked or expired")
            data = emu._grant_tokens(grant.seller_id)
        return envelope(0, "success", data)

    async def authorize(request: Request) -> Response:
        """Seller consent, auto-approved: redirects to the app's redirect URL with `code` and `state`."""
        q = request.query_params
        if q.get("service_id") != cfg.service_id:
            return JSONResponse({"error": "unknown service_id"}, status_code=400)
        if not cfg.redirect_url:
            return JSONResponse(
                {"error": "the app has no redirect URL (POST /_sandbox/app {redirect_url})"}, status_code=400
            )
        with emu.lock:
            shops = list(emu.shops.values())
        shop_code = q.get("shop_code") or (shops[0].code if shops else None)
        try:
            code = emu.issue_auth_code(shop_code or "")
        except KeyError:
            return JSONResponse({"error": f"no shop {shop_code!r} in the sandbox"}, status_code=400)
        params = {"code": code, "state": q.get("state", "")}
        sep = "&" if "?" in cfg.redirect_url else "?"
        return RedirectResponse(f"{cfg.redirect_url}{sep}{urlencode(params)}", status_code=302)

    return [
        Route("/open/authorize", authorize),
        Route("/api/v2/token/get", token_get),
        Route("/api/v2/token/refresh", token_refresh),
    ]
