"""TikTok creator accounts on the receiver: the Login Kit callback, and a small authenticated JSON API a
product's frontend uses to offer "Connect TikTok" (status, auth init, callback, disconnect, sync,
metrics).

The callback completes the connection at once (TikTok's codes live minutes): the `state` consumed, the
code exchanged, the tokens stored encrypted, a first sync queued. "sync" only queues a request in the
state DB, which `creator_sync_sensor` turns into a run: the receiver imports no Dagster. Every API
route wants `Authorization: Bearer <TIKTOK_PIPELINES_API_KEY>`; nothing secret is ever answered.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tiktok_pipelines.creator.app import CreatorApp
from tiktok_pipelines.creator.errors import CreatorApiError
from tiktok_pipelines.lanes.creators.access import CreatorContext
from tiktok_pipelines.lanes.creators.connect import complete_connection, consent_link
from tiktok_pipelines.lanes.creators.removal import disconnect
from tiktok_pipelines.receiver.context import ReceiverContext
from tiktok_pipelines.receiver.oauth import _page
from tiktok_pipelines.settings import ConfigError
from tiktok_pipelines.stores.creator_auth import CreatorStateError
from tiktok_pipelines.stores.creators import PROFILE_FIELDS, Creator
from tiktok_pipelines.stores.registry import ClientNotFoundError

log = logging.getLogger(__name__)

CREATOR_CALLBACK_PATH = "/oauth/tiktok-creator/callback"
API = "/api/v1/creators"


def creator_status(creator: Creator, sync_pending: bool) -> dict:
    return {
        "creator_id": creator.creator_id,
        "client_id": creator.client_id,
        "status": creator.status,
        "connected": creator.status == "connected",
        "granted_scopes": list(creator.granted_scopes),
        "connected_at": creator.connected_at.isoformat() if creator.connected_at else None,
        "last_sync_at": creator.last_sync_at.isoformat() if creator.last_sync_at else None,
        "sync_pending": sync_pending,
        "last_error": creator.last_error,
    }


def creator_routes(ctx: ReceiverContext) -> Sequence[BaseRoute]:
    settings = ctx.settings
    api_key = settings.get("TIKTOK_PIPELINES_API_KEY")
    ttl = timedelta(minutes=settings.float("TIKTOK_CREATOR_STATE_TTL_MINUTES"))
    lane = CreatorContext(ctx.db, CreatorApp.from_settings(settings))

    def authenticated(handler: Callable) -> Callable:
        async def endpoint(request: Request) -> Response:
            if not api_key:
                return JSONResponse({"error": "the creator API is not configured"}, status_code=503)
            given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given.encode(), api_key.encode()):
                return JSONResponse({"error": "invalid API key"}, status_code=401)
            try:
                return await handler(request)
            except ClientNotFoundError as exc:
                return JSONResponse({"error": str(exc)}, status_code=404)
            except ConfigError as exc:
                log.error("creator API: %s", exc)
                return JSONResponse({"error": "the TikTok creator app is not configured"}, status_code=503)

        return endpoint

    async def connect(state: str, code: str) -> tuple[int, dict]:
        try:
            done = await run_in_threadpool(complete_connection, lane, state, code)
        except CreatorStateError as exc:
            return 400, {"error": str(exc)}
        except CreatorApiError as exc:
            log.warning("TikTok refused a creator's code: %s", exc.code)
            return 502, {"error": f"TikTok refused the connection ({exc.code})"}
        log.info("creator %s connected with scopes %s", done.creator_id, ",".join(done.granted_scopes))
        return 200, {
            "creator_id": done.creator_id,
            "status": "connected",
            "granted_scopes": list(done.granted_scopes),
            "missing_scopes": list(done.missing_scopes),
        }

    async def callback(request: Request) -> Response:
        q = request.query_params
        if q.get("error") or not q.get("code"):
            reason = (q.get("error_description") or q.get("error") or "no authorization code")[:200]
            return _page("Conexão não concluída", f"O TikTok não autorizou o aplicativo: {reason}", 400)
        status, body = await connect(q.get("state", ""), q.get("code", ""))
        if status != 200:
            return _page("Conexão não concluída", body["error"], status)
        missing = (
            f" Permissões não concedidas: {', '.join(body['missing_scopes'])}."
            if body["missing_scopes"]
            else ""
        )
        return _page(
            "Conta do TikTok conectada", f"A conta {body['creator_id']} foi conectada.{missing}", 200
        )

    async def api_callback(request: Request) -> Response:
        q = request.query_params
        if q.get("error") or not q.get("code"):
            return JSONResponse({"error": q.get("error") or "no authorization code"}, status_code=400)
        status, body = await connect(q.get("state", ""), q.get("code", ""))
        return JSONResponse(body, status_code=status)

    async def status(request: Request) -> Response:
        creator_id = request.path_params["creator_id"]
        creator = await run_in_threadpool(lane.registry.get, creator_id)
        pending = await run_in_threadpool(lane.auth.pending_sync, creator_id)
        return JSONResponse(creator_status(creator, pending))

    async def auth_init(request: Request) -> Response:
        url = await run_in_threadpool(consent_link, lane, request.path_params["creator_id"], ttl)
        return JSONResponse({"authorization_url": url, "expires_in": int(ttl.total_seconds())})

    async def disconnect_route(request: Request) -> Response:
        done = await run_in_threadpool(disconnect, lane, request.path_params["creator_id"])
        return JSONResponse(
            {"creator_id": done.creator_id, "status": "disconnected", "revoked": done.revoked}
        )

    async def sync(request: Request) -> Response:
        creator_id = request.path_params["creator_id"]
        creator = await run_in_threadpool(lane.registry.get, creator_id)
        if creator.status != "connected":
            return JSONResponse({"error": f"creator {creator_id} is {creator.status}"}, status_code=409)
        queued = await run_in_threadpool(lane.auth.request_sync, creator_id, "api")
        return JSONResponse({"creator_id": creator_id, "queued": queued}, status_code=202)

    async def metrics(request: Request) -> Response:
        creator = await run_in_threadpool(lane.registry.get, request.path_params["creator_id"])
        profile = {name: getattr(creator, name) for name in PROFILE_FIELDS}
        last = creator.last_sync_at.isoformat() if creator.last_sync_at else None
        return JSONResponse({"creator_id": creator.creator_id, "last_sync_at": last, **profile})

    one = API + "/{creator_id:str}"
    return [
        Route(CREATOR_CALLBACK_PATH, callback, methods=["GET"]),
        Route(f"{API}/auth/callback", authenticated(api_callback), methods=["POST"]),
        Route(f"{one}/status", authenticated(status), methods=["GET"]),
        Route(f"{one}/auth/init", authenticated(auth_init), methods=["POST"]),
        Route(f"{one}/connection", authenticated(disconnect_route), methods=["DELETE"]),
        Route(f"{one}/sync", authenticated(sync), methods=["POST"]),
        Route(f"{one}/metrics", authenticated(metrics), methods=["GET"]),
    ]
