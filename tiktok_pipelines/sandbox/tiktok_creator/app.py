"""The emulator as an ASGI app. Every Display API call goes through one pipeline before its handler: the
route (or a 404 / 405 in the v2 envelope), the fault switches (latency, timeouts, 429s, 500s), the bearer
token (unknown, expired, revoked, or a client token: `access_token_invalid`), the sliding-window rate
limit per endpoint (`rate_limit_exceeded`, 429), the endpoint's scope (`scope_not_authorized`) and the
JSON body; the handler runs under the emulator's lock and every answer is counted. Beside the API: Login
Kit's authorize page and the token host (`oauth`), and the `/_sandbox/` control routes (`control`)."""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tiktok_pipelines.sandbox.controls import timed_answer
from tiktok_pipelines.sandbox.tiktok_creator import display, posting
from tiktok_pipelines.sandbox.tiktok_creator.calls import Call, Endpoint
from tiktok_pipelines.sandbox.tiktok_creator.control import control_routes
from tiktok_pipelines.sandbox.tiktok_creator.emulator import TikTokCreatorEmulator
from tiktok_pipelines.sandbox.tiktok_creator.errors import (
    MSG_INTERNAL,
    MSG_RATE_LIMIT,
    MSG_SCOPE_NOT_AUTHORIZED,
    ApiError,
    api_answer,
    invalid_params,
    token_invalid,
)
from tiktok_pipelines.sandbox.tiktok_creator.oauth import oauth_routes

API_ROUTES: tuple[Endpoint, ...] = (*display.ROUTES, *posting.ROUTES)
_BY_PATH: dict[str, dict[str, Endpoint]] = {}
for _endpoint in API_ROUTES:
    _BY_PATH.setdefault(_endpoint.path, {})[_endpoint.method] = _endpoint


def resolve(method: str, path: str) -> Endpoint:
    """The endpoint of a method and path, or the refusal of an unknown path or method."""
    methods = _BY_PATH.get(path)
    if methods is None:
        raise ApiError("not_found", f"The path {path} is not an API of this host.", 404)
    if method not in methods:
        raise ApiError("method_not_allowed", f"{path} answers {', '.join(methods)} only.", 405)
    return methods[method]


def create_creator_app(emulator: TikTokCreatorEmulator) -> Starlette:
    """The emulator as an ASGI app: Login Kit, the token host, the Display API and `/_sandbox/` controls."""
    emu = emulator

    async def api(request: Request) -> Response:
        path = request.url.path
        try:
            endpoint = resolve(request.method, path)
        except ApiError as exc:
            return _record(f"? {path}", exc)
        emu.count_arrival(endpoint.name)

        async def answer() -> Response:
            try:
                data = await _handle(request, endpoint)
            except ApiError as exc:
                return _record(endpoint.name, exc)
            return _record(endpoint.name, None, data)

        return await timed_answer(emu, answer)

    def _record(endpoint: str, error: ApiError | None, data: Any = None) -> Response:
        emu.count_answer(endpoint, error.code if error else "ok", error.http_status if error else 200)
        return api_answer(data, error)

    async def _handle(request: Request, endpoint: Endpoint) -> dict[str, Any]:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        raw = await request.body()
        with emu.lock:
            token = emu.tokens.get(value.strip()) if scheme.lower() == "bearer" else None
            if token is None or token.kind == "refresh" or token.dead or token.expires_at <= emu.now():
                raise token_invalid()
            if token.kind == "client":
                raise ApiError(
                    "scope_not_authorized", "A client access token does not open the Display API.", 401
                )
            auth = token.authorization
            assert auth is not None
            switches = emu.switches
            if switches.throttles(emu.rng):
                raise ApiError("rate_limit_exceeded", MSG_RATE_LIMIT, 429)
            owner = token.client_key if emu.config.rate_limit_key == "app" else token.token
            if not emu.take_window_slot((owner, endpoint.name)):
                raise ApiError("rate_limit_exceeded", MSG_RATE_LIMIT, 429)
            if switches.fails(emu.rng):
                raise ApiError("internal_error", MSG_INTERNAL, switches.error_http_status)
            if endpoint.per_token_limit and not emu.take_window_slot(
                (token.token, endpoint.name), endpoint.per_token_limit
            ):
                raise ApiError("rate_limit_exceeded", MSG_RATE_LIMIT, 429)
            if endpoint.scopes and not set(endpoint.scopes) & set(auth.scopes):
                raise ApiError("scope_not_authorized", MSG_SCOPE_NOT_AUTHORIZED, 401)
        body: Any = {}
        if raw:
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type != "application/json":
                raise invalid_params("The request body must be application/json.")
            try:
                body = json.loads(raw)
            except ValueError:
                raise invalid_params("The request body is not valid JSON.") from None
            if not isinstance(body, dict):
                raise invalid_params("The request body is a JSON object.")
        call = Call(emu, token, emu.creator(auth.creator), dict(request.query_params), body)
        with emu.lock:
            return endpoint.handler(call)

    async def upload(request: Request) -> Response:
        """The upload host: one chunk of a FILE_UPLOAD per PUT."""
        q = request.query_params
        status, message = emu.receive_chunk(
            q.get("upload_id", ""),
            q.get("upload_token", ""),
            request.headers.get("content-range", ""),
            await request.body(),
            request.headers.get("content-type", ""),
        )
        emu.count_answer("PUT /upload/video/", status, status)
        return JSONResponse({"message": message}, status_code=status)

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok", "creators": list(emu.creators), "apps": list(emu.apps)})

    return Starlette(
        routes=[
            Route("/health", health),
            *oauth_routes(emu),
            Route("/upload/video/", upload, methods=["PUT"]),
            *control_routes(emu),
            Route("/{path:path}", api, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        ]
    )
