"""Shop authorization and tokens (reference §4): the authorization link's page (the demo seller consents
without a click and is sent back with `code` + `shop_id`, or `main_account_id`), the code exchange
(`/api/v2/auth/token/get`), the renewal (`/api/v2/auth/access_token/get`), the shop's and merchant's info
with the authorization's dates, and the partner's shop list.

Rules kept: a code is single use and lives 10 minutes; an access token lives 4 hours and, once a refresh
replaced it, works 5 more minutes for that shop; a refresh token lives 30 days, is single use per shop or
merchant, and only the newest of a shop is accepted; a main account's first pair serves every shop and
merchant it lists until each refreshes its own; the authorization lasts what the seller chose (at most
365 days), is warned of 7 days ahead (push code 12) and, once over, refuses the shop's tokens."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from tiktok_pipelines.sandbox.shopee import errors as err
from tiktok_pipelines.sandbox.shopee.context import Ctx, Endpoints, need
from tiktok_pipelines.sandbox.shopee.errors import ApiError, param_error
from tiktok_pipelines.sandbox.shopee.signing import ApiType, base_string, sign, signs_match
from tiktok_pipelines.sandbox.shopee.state import DAY, AccessGrant, RefreshGrant, Shop, new_token, unix_now

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.shopee.emulator import ShopeeEmulator

Owner = tuple[str, int]  # ("shop", shop_id) or ("merchant", merchant_id)
AUTH_PARTNER_PATH = "/api/v2/shop/auth_partner"


class TokensMixin:
    """Codes, token grants and authorizations of `ShopeeEmulator`."""

    def init_tokens(self) -> None:
        self.auth_codes: dict[str, dict[str, Any]] = {}
        self.access_grants: dict[str, AccessGrant] = {}
        self.refresh_grants: dict[str, RefreshGrant] = {}
        self.newest_refresh: dict[Owner, str] = {}

    # ------------------------------------------------------------------ consent
    def consent(
        self: ShopeeEmulator,
        shop_id: int | None = None,
        main_account_id: int | None = None,
        days: float | None = None,
    ) -> dict[str, Any]:
        """The seller confirms the authorization: a code, and the redirect's parameters (`code` +
        `shop_id` or `main_account_id`). The authorization lasts `days` (the config's by default)."""
        with self.lock:
            now = time.time()
            if main_account_id is not None:
                shops = [s for s in self.shops.values() if s.main_account_id == main_account_id]
                if not shops:
                    raise KeyError(f"no shop under main account {main_account_id}")
            else:
                shops = [self.shop(shop_id)]
            validity = min(days if days is not None else self.config.authorization_days, 365.0)
            for shop in shops:
                shop.auth_time = int(now)
                shop.expire_time = int(now + validity * DAY)
                shop.expiry_warned = False
                self.push(1, {"shop_id": shop.shop_id, "success": 1, "extra": ""}, shop_level=False)
            code = new_token(self.rng)
            self.auth_codes[code] = {
                "shop_ids": [s.shop_id for s in shops],
                "merchant_ids": sorted({s.merchant_id for s in shops if s.merchant_id is not None}),
                "shop_id": None if main_account_id is not None else shops[0].shop_id,
                "main_account_id": main_account_id,
                "expires_at": now + self.config.auth_code_ttl,
            }
            owner = (
                {"main_account_id": main_account_id}
                if main_account_id is not None
                else {"shop_id": shops[0].shop_id}
            )
            return {"code": code, **owner}

    # ------------------------------------------------------------------ tokens
    def _issue(self: ShopeeEmulator, owners: frozenset[Owner]) -> tuple[AccessGrant, RefreshGrant]:
        now = time.time()
        access = AccessGrant(new_token(self.rng), owners, now + self.config.access_token_ttl)
        refresh = RefreshGrant(new_token(self.rng), owners, now + self.config.refresh_token_ttl)
        self.access_grants[access.token] = access
        self.refresh_grants[refresh.token] = refresh
        for owner in owners:
            self.newest_refresh[owner] = refresh.token
        return access, refresh

    def exchange_code(
        self: ShopeeEmulator, code: str, shop_id: int | None, main_account_id: int | None
    ) -> dict[str, Any]:
        with self.lock:
            entry = self.auth_codes.pop(code, None)
            if entry is None or entry["expires_at"] <= time.time():
                raise ApiError("invalid_code", err.MSG_INVALID_CODE)
            if main_account_id is not None:
                if entry["main_account_id"] != main_account_id:
                    self.auth_codes[code] = entry  # a wrong id does not use the code up
                    raise ApiError("invalid_main_acount_id", err.MSG_INVALID_MAIN_ACCOUNT)
            elif entry["shop_id"] is None or entry["shop_id"] != shop_id:
                self.auth_codes[code] = entry
                raise ApiError("invalid_shop_id", err.MSG_INVALID_SHOP_ID)
            owners = frozenset(
                [("shop", s) for s in entry["shop_ids"]] + [("merchant", m) for m in entry["merchant_ids"]]
            )
            access, refresh = self._issue(owners)
            answer: dict[str, Any] = {
                "access_token": access.token,
                "refresh_token": refresh.token,
                "expire_in": int(self.config.access_token_ttl),
            }
            if main_account_id is not None:
                answer |= {
                    "merchant_id_list": entry["merchant_ids"],
                    "shop_id_list": entry["shop_ids"],
                    "supplier_id_list": [],
                }
            return answer

    def refresh_tokens(self: ShopeeEmulator, refresh_token: str, owner: Owner) -> dict[str, Any]:
        with self.lock:
            now = time.time()
            kind, owner_id = owner
            shops = self._shops_of(owner)
            if not shops:
                raise ApiError("error_param", f"Wrong parameters, detail: no such {kind}_id {owner_id}.")
            grant = self.refresh_grants.get(refresh_token)
            if grant is None:
                raise ApiError("error_param", err.MSG_INVALID_REFRESH_TOKEN)
            if owner not in grant.owners:
                raise ApiError(f"error_{kind}_refresh_token", f"The refresh_token is not for this {kind}_id.")
            if self.newest_refresh.get(owner) != refresh_token:
                raise ApiError("error_param", err.MSG_INVALID_REFRESH_TOKEN)
            if grant.expires_at <= now:
                raise ApiError("refresh_token_expired", "The refresh_token is expired.")
            if any(s.expire_time is None or s.expire_time <= now for s in shops):
                raise ApiError(f"{kind}_access_expired", f"The {kind}'s authorization is expired.")
            for old in self.access_grants.values():
                if owner in old.owners and owner not in old.retired:
                    old.retired[owner] = now
            access, refresh = self._issue(frozenset([owner]))
            return {
                "partner_id": self.config.partner_id,
                f"{kind}_id": owner_id,
                "access_token": access.token,
                "refresh_token": refresh.token,
                "expire_in": int(self.config.access_token_ttl),
            }

    def access_allowed(self: ShopeeEmulator, token: str, owner: Owner) -> bool:
        """Whether `token` may act for `owner` now: issued to it, not expired, within the grace period of
        a refresh that replaced it, and the owner's authorization not over."""
        now = time.time()
        grant = self.access_grants.get(token)
        if grant is None or owner not in grant.owners or grant.expires_at <= now:
            return False
        retired = grant.retired.get(owner)
        if retired is not None and now >= retired + self.config.old_access_token_grace_s:
            return False
        return all(s.expire_time is not None and s.expire_time > now for s in self._shops_of(owner))

    def _shops_of(self: ShopeeEmulator, owner: Owner) -> list[Shop]:
        kind, owner_id = owner
        if kind == "shop":
            return [self.shops[owner_id]] if owner_id in self.shops else []
        return [s for s in self.shops.values() if s.merchant_id == owner_id]

    # ------------------------------------------------------------------ control
    def expire_tokens(self: ShopeeEmulator, shop_id: Any = None, kind: str = "access") -> int:
        """Expires now the access (or refresh) tokens of a shop (or of every shop)."""
        with self.lock:
            grants = self.access_grants if kind == "access" else self.refresh_grants
            n = 0
            for grant in grants.values():
                if shop_id is None or ("shop", int(shop_id)) in grant.owners:
                    grant.expires_at = time.time() - 1
                    n += 1
            return n

    def revoke_tokens(self: ShopeeEmulator, shop_id: Any = None) -> int:
        """The seller cancels the authorization (push code 2): the shop's tokens stop working."""
        with self.lock:
            n = 0
            for shop in list(self.shops.values()):
                if shop_id is not None and shop.shop_id != int(shop_id):
                    continue
                shop.expire_time = unix_now() - 1
                self.push(2, {"shop_id": shop.shop_id, "success": 1, "extra": ""}, shop_level=False)
                n += 1
            return n

    def set_authorization_expiry(self: ShopeeEmulator, shop_id: int, expire_time: int) -> None:
        with self.lock:
            shop = self.shop(shop_id)
            shop.expire_time = expire_time
            shop.expiry_warned = False
        self.warn_expiring_authorizations()

    def warn_expiring_authorizations(self: ShopeeEmulator) -> list[int]:
        """Push code 12 once for each shop whose authorization ends within the warning period."""
        with self.lock:
            now = time.time()
            warned = []
            for shop in self.shops.values():
                ends = shop.expire_time
                if (
                    ends is None
                    or shop.expiry_warned
                    or not now < ends <= now + self.config.auth_expiry_warning_s
                ):
                    continue
                shop.expiry_warned = True
                warned.append(shop.shop_id)
                self.push(
                    12,
                    {"shop_id": shop.shop_id, "merchant_id": shop.merchant_id, "expire_time": ends},
                    shop_level=False,
                )
            return warned


# ---------------------------------------------------------------------- endpoints
endpoints = Endpoints()


def _auth_body(ctx: Ctx, secret: str, owners: tuple[str, str]) -> tuple[str, str, int]:
    """An auth call's body: the partner (the query's), its `secret` (code or refresh token) and exactly
    one of the two `owners` fields, as (secret, owner field without `_id`, owner id)."""
    body = ctx.json()
    if body.get("partner_id") != ctx.emulator.config.partner_id:
        raise ApiError("error_param", err.MSG_NO_PARTNER_ID)
    value = need(body, secret, str)
    given = [name for name in owners if body.get(name) is not None]
    if len(given) != 1:
        raise param_error(f"one of {owners[0]} and {owners[1]} is required")
    return value, given[0].removesuffix("_id"), int(body[given[0]])


@endpoints.post("auth/token/get", api_type=ApiType.PUBLIC, top_level=True)
def h_token_get(ctx: Ctx) -> dict[str, Any]:
    code, kind, owner_id = _auth_body(ctx, "code", ("shop_id", "main_account_id"))
    if kind == "shop":
        return ctx.emulator.exchange_code(code, owner_id, None)
    return ctx.emulator.exchange_code(code, None, owner_id)


@endpoints.post("auth/access_token/get", api_type=ApiType.PUBLIC, top_level=True)
def h_access_token_get(ctx: Ctx) -> dict[str, Any]:
    refresh_token, kind, owner_id = _auth_body(ctx, "refresh_token", ("shop_id", "merchant_id"))
    return ctx.emulator.refresh_tokens(refresh_token, (kind, owner_id))


@endpoints.get("shop/get_shop_info", top_level=True)
def h_get_shop_info(ctx: Ctx) -> dict[str, Any]:
    shop = ctx.shop
    assert shop is not None
    return {
        "shop_name": shop.name,
        "region": shop.region,
        "status": shop.status,
        "is_cb": False,
        "is_sip": False,
        "is_upgraded_cbsc": False,
        "merchant_id": shop.merchant_id,
        "shop_fulfillment_flag": "Pure - Local Shop",
        "is_main_shop": False,
        "is_direct_shop": False,
        "auth_time": shop.auth_time,
        "expire_time": shop.expire_time,
    }


@endpoints.get("merchant/get_merchant_info", api_type=ApiType.MERCHANT, top_level=True)
def h_get_merchant_info(ctx: Ctx) -> dict[str, Any]:
    emu = ctx.emulator
    shops = [s for s in emu.shops.values() if s.merchant_id == ctx.merchant_id]
    return {
        "merchant_name": f"Merchant {ctx.merchant_id}",
        "is_cnsc": False,
        "is_upgraded_cbsc": False,
        "merchant_region": shops[0].region if shops else emu.config.region,
        "auth_time": min((s.auth_time or 0) for s in shops) if shops else None,
        "expire_time": min((s.expire_time or 0) for s in shops) if shops else None,
    }


@endpoints.get("public/get_shops_by_partner", api_type=ApiType.PUBLIC, top_level=True)
def h_get_shops_by_partner(ctx: Ctx) -> dict[str, Any]:
    page_size = ctx.q_int("page_size", required=False, default=100, low=1, high=100)
    page_no = ctx.q_int("page_no", required=False, default=1, low=1)
    authorized = [s for s in ctx.emulator.shops.values() if s.expire_time and s.expire_time > time.time()]
    chunk = authorized[(page_no - 1) * page_size : page_no * page_size]
    return {
        "authed_shop_list": [
            {"shop_id": s.shop_id, "region": s.region, "auth_time": s.auth_time, "expire_time": s.expire_time}
            for s in chunk
        ],
        "more": page_no * page_size < len(authorized),
    }


ROUTES = endpoints.routes


def consent_routes(emu: ShopeeEmulator, refuse: Any) -> list[Route]:
    """The authorization link's page. Signed as a public call over `/api/v2/shop/auth_partner` and valid
    5 minutes; the demo seller (a shop with `auto_consent`) consents at once and is redirected with the
    code; otherwise a page lists the shops to log in as."""
    cfg = emu.config

    async def auth_partner(request: Request) -> Response:
        query = request.query_params
        try:
            if query.get("partner_id") != str(cfg.partner_id):
                raise ApiError("error_param", err.MSG_NO_PARTNER_ID)
            try:
                ts = int(query.get("timestamp", ""))
            except ValueError:
                raise ApiError("error_param", err.MSG_NO_TIMESTAMP) from None
            if abs(time.time() - ts) > cfg.auth_link_ttl:
                raise ApiError("error_param", err.MSG_BAD_TIMESTAMP)
            expected = sign(
                cfg.partner_key, base_string(ApiType.PUBLIC, cfg.partner_id, AUTH_PARTNER_PATH, ts)
            )
            if not signs_match(expected, query.get("sign", "")):
                raise ApiError("error_sign", err.MSG_WRONG_SIGN)
            redirect = query.get("redirect", "")
            if not redirect.startswith(("http://", "https://")):
                raise param_error("redirect is required")
        except ApiError as exc:
            return refuse(AUTH_PARTNER_PATH, exc)
        chosen = query.get("_shop_id") or query.get("_main_account_id")
        with emu.lock:
            auto = next((s for s in emu.shops.values() if s.auto_consent), None)
            shops = list(emu.shops.values())
        if chosen is None and auto is not None:
            chosen = str(auto.shop_id)
        if chosen is not None:
            try:
                if query.get("_main_account_id"):
                    params = emu.consent(main_account_id=int(chosen))
                else:
                    params = emu.consent(shop_id=int(chosen))
            except (KeyError, ValueError):
                return HTMLResponse("<p>No such seller.</p>", status_code=404)
            separator = "&" if "?" in redirect else "?"
            return RedirectResponse(redirect + separator + urlencode(params), status_code=302)
        links = "".join(
            f'<li><a href="{request.url.path}?{urlencode(dict(query) | {"_shop_id": s.shop_id})}">'
            f"{s.name} ({s.shop_id})</a></li>"
            for s in shops
        )
        return HTMLResponse(f"<h1>Log in to authorize the partner {cfg.partner_id}</h1><ul>{links}</ul>")

    return [Route(AUTH_PARTNER_PATH, auth_partner, methods=["GET"])]
