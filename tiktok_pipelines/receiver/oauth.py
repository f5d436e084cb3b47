"""`GET /oauth/tiktok/callback`: where TikTok sends the seller back after consent (`?code=...&state=...`).

The state must be one issued by `tiktok-pipelines oauth url` for a client, unexpired and unused; the
code is then recorded, encrypted, as `unused` for the token manager (tiktok_token_job) to exchange.
Nothing secret is echoed back or logged.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from tiktok_pipelines.receiver.context import ReceiverContext
from tiktok_pipelines.stores.tiktok_auth import OAuthStateError, TikTokAuthStore

log = logging.getLogger(__name__)

CALLBACK_PATH = "/oauth/tiktok/callback"


def _page(title: str, text: str, status: int) -> HTMLResponse:
    body = (
        "<!doctype html><html lang='pt-BR'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body style='font-family:sans-serif;max-width:40em;margin:3em auto'>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )
    return HTMLResponse(
        body, status_code=status, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    )


def oauth_routes(ctx: ReceiverContext) -> Sequence[BaseRoute]:
    store = TikTokAuthStore(ctx.db)

    def record(state: str, code: str) -> tuple[str, int, bool]:
        try:
            client_id = store.consume_state(state)
        except OAuthStateError:
            # The seller reloading the page replays state and code: already recorded, nothing to do.
            known = store.find_code(code) if state else None
            if known is None:
                raise
            return known[1], known[0], False
        code_id, new = store.record_auth_code(client_id, code)
        store.log(
            "code_received" if new else "code_replayed",
            "ok" if new else "error",
            client_id=client_id,
            auth_code_id=code_id,
            message=None if new else "the same auth code arrived again; ignored",
        )
        return client_id, code_id, new

    async def callback(request: Request) -> Response:
        q = request.query_params
        code, state = q.get("code", ""), q.get("state", "")
        if q.get("error") or not code:
            reason = q.get("error_description") or q.get("error") or "no authorization code"
            log.warning("TikTok authorization callback without a code: %s", reason[:200])
            return _page(
                "Autorização não concluída", f"O TikTok Shop não autorizou o aplicativo: {reason[:200]}", 400
            )
        try:
            client_id, code_id, new = await run_in_threadpool(record, state, code)
        except OAuthStateError as exc:
            log.warning("TikTok authorization callback refused: %s", exc)
            return _page("Link de autorização inválido", f"{exc}. Peça um novo link de autorização.", 400)
        log.info(
            "TikTok authorization code recorded for client %s (code #%s, new=%s)", client_id, code_id, new
        )
        return _page(
            "Autorização recebida",
            f"Obrigado! A loja do cliente {client_id} foi autorizada; a conexão é concluída em instantes.",
            200,
        )

    return [Route(CALLBACK_PATH, callback, methods=["GET"])]
