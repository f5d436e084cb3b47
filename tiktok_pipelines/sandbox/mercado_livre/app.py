"""The emulator as an ASGI app. Every API call goes through one pipeline before its handler: the route
(or a 404 / 405), the bearer token (`Authorization: Bearer`; the deprecated `?access_token=` only when the
app's setting allows it; unknown, expired or revoked: 401), the fault switches (latency, 429s, 5xx), the
rate limit per application and endpoint (429 `too_many_requests`), and the body (JSON, or a multipart
form for uploads); the handler runs under the emulator's lock and every answer is counted. Beside the API:
the authorization page and token endpoint (`oauth`), and the `/_sandbox/` control routes (`control`)."""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tiktok_pipelines.sandbox.apps import emulator_app, run_handler
from tiktok_pipelines.sandbox.controls import timed_answer
from tiktok_pipelines.sandbox.mercado_livre import (
    categories,
    items,
    notifications,
    orders,
    search,
    shipments,
    users,
)
from tiktok_pipelines.sandbox.mercado_livre.control import control_routes
from tiktok_pipelines.sandbox.mercado_livre.emulator import MercadoLivreEmulator
from tiktok_pipelines.sandbox.mercado_livre.errors import (
    MSG_INVALID_TOKEN,
    SERVER_ERRORS,
    ApiError,
    bad_request,
    invalid_field_types,
    too_many,
)
from tiktok_pipelines.sandbox.mercado_livre.oauth import oauth_routes
from tiktok_pipelines.sandbox.mercado_livre.routes import ApiRoute, Call, RouteTable
from tiktok_pipelines.sandbox.mercado_livre.state import Seller

# Every endpoint served, one API family after the other.
FAMILIES = (users, categories, items, search, orders, shipments, notifications)
API_ROUTES: tuple[ApiRoute, ...] = tuple(route for family in FAMILIES for route in family.ROUTES)
ROUTES = RouteTable(API_ROUTES)


def unauthorized(message: str = MSG_INVALID_TOKEN) -> ApiError:
    # The body of a 401 is UNCONFIRMED (reference §3): the envelope with the claimed code.
    return ApiError(401, "unauthorized_request_error", message)


def create_mercado_livre_app(emulator: MercadoLivreEmulator) -> Starlette:
    """The emulator as an ASGI app: the API, authorization and tokens, and `/_sandbox/` controls."""
    emu = emulator

    async def api(request: Request) -> Response:
        path = request.url.path
        try:
            route, params = ROUTES.resolve(request.method, path)
        except ApiError as exc:
            return _record(f"? {path}", exc)
        emu.count_arrival(route.endpoint)

        async def answer() -> Response:
            try:
                data = await _handle(request, route, params)
            except ApiError as exc:
                return _record(route.endpoint, exc)
            emu.count_answer(route.endpoint, "ok", getattr(data, "status_code", 200))
            return data if isinstance(data, Response) else JSONResponse(data)

        return await timed_answer(emu, answer)

    def _record(endpoint: str, error: ApiError) -> Response:
        emu.count_answer(endpoint, error.error, error.status)
        return error.response()

    def _seller(request: Request, route: ApiRoute) -> Seller | None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        value = value.strip() if scheme.lower() == "bearer" else ""
        if not value and "access_token" in request.query_params:
            if not emu.config.query_token_accepted:
                raise unauthorized(
                    "the access_token query parameter is not accepted: send it in the Authorization header"
                )
            value = request.query_params["access_token"]
        if not value:
            if route.auth:
                raise unauthorized()
            return None
        token = emu.tokens.get(value)
        if token is None or token.kind != "access" or token.revoked:
            raise unauthorized()
        if token.expires_at <= time.time():
            raise unauthorized("expired_token")
        return emu.sellers_by_id[token.seller_id]

    def _faults(route: ApiRoute) -> None:
        switches = emu.switches
        if switches.throttles(emu.rng):
            raise too_many()
        if not emu.take_token((emu.config.app_id, route.endpoint)):
            raise too_many()
        if switches.fails(emu.rng):
            status = int(switches.error_http_status)
            raise ApiError(
                status, SERVER_ERRORS.get(status, "internal_server_error"), "Internal server error"
            )

    async def _body(request: Request) -> Any:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "multipart/form-data":
            form = await request.form()
            return {k: (await v.read() if hasattr(v, "read") else v) for k, v in form.multi_items()}
        raw = await request.body()
        if not raw:
            return None
        if content_type != "application/json":
            raise bad_request("The body must be application/json", "body.invalid_content_type")
        try:
            return json.loads(raw)
        except ValueError:
            raise bad_request("The body is not valid JSON", "body.invalid_json") from None

    async def _handle(request: Request, route: ApiRoute, params: dict[str, str]) -> Any:
        with emu.lock:
            seller = _seller(request, route)
            _faults(route)
        body = await _body(request)
        headers = {k.lower(): v for k, v in request.headers.items()}
        call = Call(emu, params, dict(request.query_params), body, headers, seller)
        return run_handler(
            emu, route.handler, call, invalid_field_types, f"{request.method} {request.url.path}"
        )

    return emulator_app(api, lambda: {"sellers": list(emu.sellers)}, *oauth_routes(emu), *control_routes(emu))
