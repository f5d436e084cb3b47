"""The emulator as an ASGI app. Every API call goes through one pipeline before its handler (reference
§2, §3, §8): the route (only GET and POST), `partner_id`, `timestamp` and its 5-minute window, `sign`
present, for shop and merchant calls `access_token` and `shop_id` / `merchant_id` present, the sign of the
call's API type, the access token for that shop or merchant, then the fault switches and the "Too many
requests" limit; the handler runs under the emulator's lock and every answer is counted. Answers carry the
envelope (`request_id`, `error`, `message`, `warning`, `response`); auth and info calls put their fields
at the top level. Beside the API: the authorization page (`authorization`) and `/_sandbox/` (`control`)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tiktok_pipelines.sandbox.apps import emulator_app
from tiktok_pipelines.sandbox.shopee import (
    authorization,
    catalog_data,
    fulfilment,
    logistics,
    media,
    orders,
    products,
    pushes,
)
from tiktok_pipelines.sandbox.shopee import errors as err
from tiktok_pipelines.sandbox.shopee.context import ApiRoute, Ctx
from tiktok_pipelines.sandbox.shopee.control import control_routes
from tiktok_pipelines.sandbox.shopee.emulator import ShopeeEmulator
from tiktok_pipelines.sandbox.shopee.errors import ApiError, param_error
from tiktok_pipelines.sandbox.shopee.signing import ApiType, base_string, sign, signs_match

log = logging.getLogger(__name__)

# Every endpoint served, one API family after the other.
API_ROUTES: tuple[ApiRoute, ...] = (
    *authorization.ROUTES,
    *catalog_data.ROUTES,
    *media.ROUTES,
    *products.ROUTES,
    *logistics.ROUTES,
    *orders.ROUTES,
    *fulfilment.ROUTES,
    *pushes.ROUTES,
)
ROUTES: dict[str, dict[str, ApiRoute]] = {}
for _route in API_ROUTES:
    ROUTES.setdefault(_route.path, {})[_route.method] = _route


def resolve(method: str, path: str) -> ApiRoute:
    """The route of a call, or the platform's refusal of an unknown path or a method it does not serve."""
    by_method = ROUTES.get(path.rstrip("/") or path)
    if not by_method:
        raise ApiError("error_not_found", "Wrong parameters, detail: api not found.")
    route = by_method.get(method)
    if route is None:
        raise param_error(f"method {method} is not supported by this api")
    return route


def envelope(
    route: ApiRoute | None, error: str, message: str, data: Any, warning: str, status: int
) -> Response:
    body: dict[str, Any] = {"request_id": uuid.uuid4().hex, "error": error, "message": message}
    if error:
        return JSONResponse(body, status_code=status)
    body["warning"] = warning
    if route is not None and route.top_level:
        body |= data or {}
    else:
        body["response"] = data if data is not None else {}
    return JSONResponse(body, status_code=status)


def create_shopee_app(emulator: ShopeeEmulator) -> Starlette:
    """The emulator as an ASGI app: the API, the authorization page and `/_sandbox/` control routes."""
    emu = emulator
    cfg = emu.config

    def refuse(endpoint: str, exc: ApiError) -> Response:
        status = cfg.status_of(exc.error, exc.throttled)
        emu.count_answer(endpoint, exc.error, status)
        return envelope(None, exc.error, exc.message, None, "", status)

    async def api(request: Request) -> Response:
        endpoint = f"? {request.url.path}"
        try:
            route = resolve(request.method, request.url.path)
            endpoint = route.endpoint
            emu.count_arrival(endpoint)
            if emu.switches.latency_ms:
                await asyncio.sleep(emu.switches.latency_ms / 1000.0)
            ctx = await _checked(request, route)
            with emu.lock:
                data = route.handler(ctx)
        except ApiError as exc:
            return refuse(endpoint, exc)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.info("sandbox refused %s: %r", endpoint, exc)
            return refuse(endpoint, param_error(f"{type(exc).__name__}: {exc}"))
        emu.count_answer(route.endpoint, "", 200)
        if isinstance(data, Response):
            return data
        return envelope(route, "", "", data, ctx.warning, 200)

    async def _checked(request: Request, route: ApiRoute) -> Ctx:
        query: dict[str, list[str]] = {}
        for key, value in parse_qsl(request.url.query, keep_blank_values=True):
            query.setdefault(key, []).append(value)

        def one(name: str) -> str:
            return (query.get(name) or [""])[-1]

        if not one("partner_id"):
            raise ApiError("error_param", err.MSG_NO_PARTNER_ID_IN_QUERY)
        if one("partner_id") != str(cfg.partner_id):
            raise ApiError("error_param", err.MSG_NO_PARTNER_ID)
        if not one("timestamp"):
            raise ApiError("error_param", err.MSG_NO_TIMESTAMP)
        try:
            ts = int(one("timestamp"))
        except ValueError:
            raise ApiError("error_param", err.MSG_BAD_TIMESTAMP) from None
        if abs(time.time() - ts) > cfg.timestamp_window_s:
            raise ApiError("error_param", err.MSG_BAD_TIMESTAMP)
        if not one("sign"):
            raise ApiError("error_param", err.MSG_NO_SIGN)
        owner_param = route.api_type.owner_param
        token, owner_id = "", ""
        if owner_param:
            token = one("access_token")
            if not token:
                raise ApiError("error_param", err.MSG_NO_ACCESS_TOKEN)
            owner_id = one(owner_param)
            if not owner_id:
                raise ApiError("error_param", f"There is no {owner_param} in query.")
        expected = sign(
            cfg.partner_key, base_string(route.api_type, cfg.partner_id, route.path, ts, token, owner_id)
        )
        if not signs_match(expected, one("sign")):
            raise ApiError("error_sign", err.MSG_WRONG_SIGN)
        ctx = Ctx(emu, route, query)
        emu.warn_expiring_authorizations()
        with emu.lock:
            if owner_param:
                try:
                    owner = (owner_param.removesuffix("_id"), int(owner_id))
                except ValueError:
                    raise ApiError(
                        "error_param", f"Wrong parameters, detail: {owner_param} is invalid."
                    ) from None
                if route.api_type is ApiType.SHOP:
                    ctx.shop = emu.shops.get(owner[1])
                    if ctx.shop is None:
                        raise ApiError("error_shop", err.MSG_INVALID_SHOP)
                else:
                    ctx.merchant_id = owner[1]
                if not emu.access_allowed(token, owner):
                    raise ApiError("error_auth", err.MSG_INVALID_TOKEN)
            _faults(emu, route, owner_id)
        raw = await request.body()
        if route.multipart:
            if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
                raise param_error("the body must be multipart/form-data")
            parsed = await request.form()
            for key, value in parsed.multi_items():
                ctx.form[key] = (await value.read(), value.filename) if hasattr(value, "read") else value
        elif raw and request.method == "POST":
            try:
                ctx.body = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                raise param_error("the body is not valid JSON") from None
        return ctx

    return emulator_app(
        api,
        lambda: {"shops": sorted(emu.shops)},
        *authorization.consent_routes(emu, refuse),
        *control_routes(emu),
    )


def _faults(emu: ShopeeEmulator, route: ApiRoute, owner_id: str) -> None:
    """The switches and the limit, in the order the platform's gateway would meet them."""
    sw = emu.switches
    if sw.throttle_burst > 0:
        sw.throttle_burst -= 1
        raise err.too_many_requests()
    if sw.throttle_rate and emu.rng.random() < sw.throttle_rate:
        raise err.too_many_requests()
    if not emu.take_token((emu.config.partner_id, owner_id or "partner")):
        raise err.too_many_requests()
    if sw.error_rate and emu.rng.random() < sw.error_rate:
        raise ApiError(sw.error_code, sw.error_message)
