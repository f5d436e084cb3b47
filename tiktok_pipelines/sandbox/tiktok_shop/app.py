"""The emulator as an ASGI app. Every API call goes through one pipeline before its handler: the route
(or the platform's unknown path / method / version refusal), app key, signature and timestamp window,
body format, access token and shop cipher, then the fault switches and the rate limit; the handler runs
under the emulator's lock, and every answer is counted. Beside the API: the token host and consent page
(`authorization`), and the `/_sandbox/` control routes (`control`)."""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from tiktok_pipelines.sandbox.apps import emulator_app, run_handler
from tiktok_pipelines.sandbox.controls import timed_answer
from tiktok_pipelines.sandbox.tiktok_shop import (
    analytics,
    authorization,
    brands_categories,
    fulfilment,
    images,
    inventory_prices,
    orders,
    products,
    returns,
    webhooks,
)
from tiktok_pipelines.sandbox.tiktok_shop import request_checks as req
from tiktok_pipelines.sandbox.tiktok_shop.answers import envelope
from tiktok_pipelines.sandbox.tiktok_shop.context import Ctx
from tiktok_pipelines.sandbox.tiktok_shop.control import control_routes
from tiktok_pipelines.sandbox.tiktok_shop.emulator import TikTokShopEmulator
from tiktok_pipelines.sandbox.tiktok_shop.request_checks import ApiError
from tiktok_pipelines.sandbox.tiktok_shop.routing import ApiRoute, RouteTable
from tiktok_pipelines.sandbox.tiktok_shop.signing import request_signature, signature_matches
from tiktok_pipelines.sandbox.tiktok_shop.state import Shop

# Every endpoint served, one API family after the other.
API_ROUTES: tuple[ApiRoute, ...] = (
    *authorization.ROUTES,
    *products.ROUTES,
    *inventory_prices.ROUTES,
    *brands_categories.ROUTES,
    *images.ROUTES,
    *orders.ROUTES,
    *fulfilment.ROUTES,
    *returns.ROUTES,
    *analytics.ROUTES,
    *webhooks.ROUTES,
)
ROUTES = RouteTable(API_ROUTES)


def create_tiktok_app(emulator: TikTokShopEmulator) -> Starlette:
    """The emulator as an ASGI app: the API, the token host, consent, and `/_sandbox/` control routes."""
    emu = emulator
    cfg = emu.config

    async def api(request: Request) -> Response:
        path = request.url.path
        try:
            route, params = ROUTES.resolve(request.method, path)
        except ApiError as exc:
            return _record(path, None, exc)
        emu.count_arrival(route.endpoint)

        async def answer() -> Response:
            raw = await request.body()
            try:
                data = await _handle(request, route, params, raw)
            except ApiError as exc:
                return _record(path, route, exc)
            return _record(path, route, None, data)

        return await timed_answer(emu, answer)

    def _record(path: str, route: ApiRoute | None, error: ApiError | None, data: Any = None) -> Response:
        endpoint = route.endpoint if route else f"? {path}"
        emu.count_answer(endpoint, error.code if error else 0, error.http_status if error else 200)
        if error:
            return envelope(error.code, error.message, None, error.http_status)
        return envelope(0, "Success", data)

    async def _handle(request: Request, route: ApiRoute, params: dict[str, str], raw: bytes) -> Any:
        auth_status = cfg.auth_error_http_status
        query = req.parse_query(request.url.query)
        if query.get("app_key") != cfg.app_key:
            raise ApiError(36009004, req.MSG_INVALID_APP_KEY, auth_status)
        if not query.get("sign"):
            raise ApiError(36009004, req.MSG_MISSING_SIGN, auth_status)
        try:
            ts = int(query.get("timestamp", ""))
        except ValueError:
            raise ApiError(36009004, req.MSG_TIMESTAMP_FORMAT, auth_status) from None
        now = time.time()
        if ts < 0:
            raise ApiError(36009004, req.MSG_TIMESTAMP_NEGATIVE, auth_status)
        if ts < now - cfg.timestamp_past_s:
            raise ApiError(36009004, req.MSG_TIMESTAMP_OLD, auth_status)
        if ts > now + cfg.timestamp_future_s:
            raise ApiError(36009004, req.MSG_TIMESTAMP_FUTURE, auth_status)
        content_type = request.headers.get("content-type", "")
        is_multipart = content_type.lower().startswith("multipart/form-data")
        text = None if is_multipart or not raw else req.decode_body(raw)
        expected = request_signature(request.url.path, query.items(), text, content_type, cfg.app_secret)
        if not signature_matches(expected, query["sign"]):
            raise ApiError(106001, req.MSG_INVALID_SIGN, auth_status)
        if route.multipart and not is_multipart:
            raise ApiError(36009023, req.MSG_MULTIPART)
        if not route.multipart and raw and not content_type.lower().startswith("application/json"):
            raise ApiError(36009022, req.MSG_BODY_FORMAT)
        # API 202309+ reads the token from the header only; a legacy `access_token` query is not a token.
        token = request.headers.get("x-tts-access-token")
        with emu.lock:
            grant = emu.grants.get(token or "")
            if grant is None or grant.kind != "access" or grant.revoked:
                raise ApiError(36009004, req.MSG_INVALID_TOKEN, auth_status)
            if grant.expires_at <= time.time():
                raise ApiError(105002, req.MSG_EXPIRED_TOKEN, auth_status)
            shop: Shop | None = None
            cipher = query.get("shop_cipher")
            if route.cipher:
                if not cipher:
                    raise ApiError(106013, req.MSG_MISSING_CIPHER)
                shop = next((s for s in emu.shops.values() if s.cipher == cipher), None)
                if shop is None or shop.seller_id != grant.seller_id:
                    raise ApiError(
                        101000,
                        "Invalid query or header. The `shop_cipher` query parameter names a shop this "
                        "token does not cover.",
                    )
            elif cipher is not None:
                raise ApiError(36009004, req.MSG_UNEXPECTED_CIPHER)
            if emu.switches.throttles(emu.rng):
                raise ApiError(36009002, req.MSG_TOO_MANY, 429)
            scope_shop = shop.id if shop else f"seller:{grant.seller_id}"
            key = (cfg.app_key, scope_shop) + (
                (route.endpoint,) if cfg.rate_limit_scope == "endpoint" else ()
            )
            if not emu.take_token(key):
                raise ApiError(36009002, req.MSG_TOO_MANY, 429)
            if emu.switches.fails(emu.rng):
                raise ApiError(
                    emu.switches.error_code, "Internal error, please retry", emu.switches.error_http_status
                )
        body: Any = None
        form: dict[str, Any] = {}
        if is_multipart:
            parsed = await request.form()
            for key, value in parsed.multi_items():
                form[key] = await value.read() if hasattr(value, "read") else value
        elif text:
            try:
                body = json.loads(text)
            except ValueError:
                raise req.param_error("the body is not valid JSON") from None
        ctx = Ctx(emu, request.method, request.url.path, params, query, body, form, shop, grant)
        return run_handler(emu, route.handler, ctx, req.param_error, f"{request.method} {request.url.path}")

    return emulator_app(
        api,
        lambda: {"shops": [s.code for s in emu.shops.values()]},
        *authorization.token_host_routes(emu),
        *control_routes(emu),
    )
