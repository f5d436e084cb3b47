"""`GET /oauth/tiktok/callback`: where TikTok sends the seller back after consent (`?code=...&state=...`);
`GET /oauth/shopee/callback`: where Shopee does (`?code=...&shop_id=...&state=...`).

The state must be one issued by `tiktok-pipelines oauth url` for a client, unexpired and unused. TikTok's
code is then recorded, encrypted, as `unused` for the token manager (tiktok_token_job) to exchange.
Shopee's lasts 10 minutes: it is exchanged at once, with the shop it names (the channel's
`callback_code`), and the shop's tokens stored encrypted for the client (a main account's grant, sent
back with `main_account_id`, covers every shop of its `shop_id_list`; the client works on the first). Nothing secret is echoed back or
logged.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from tiktok_pipelines.channels.base.errors import ChannelError
from tiktok_pipelines.core.names import ChannelName
from tiktok_pipelines.receiver.channels import shopee_auth
from tiktok_pipelines.receiver.context import ReceiverContext
from tiktok_pipelines.settings import ConfigError
from tiktok_pipelines.stores.channel_tokens import ChannelTokenStore
from tiktok_pipelines.stores.oauth_states import OAuthStateError, consume_link_state
from tiktok_pipelines.stores.tiktok_auth import TikTokAuthStore

log = logging.getLogger(__name__)

CALLBACK_PATH = "/oauth/tiktok/callback"
SHOPEE_CALLBACK_PATH = "/oauth/shopee/callback"


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

    shopee = shopee_auth(ctx.settings)
    shopee_tokens = ChannelTokenStore(ctx.db, ChannelName.SHOPEE)

    def connect_shopee(query: dict[str, str]) -> tuple[str, str]:
        code = shopee.callback_code(query)  # ValueError: not Shopee's redirect
        client_id = consume_link_state(ctx.db, ChannelName.SHOPEE, query.get("state", ""), "Shopee")
        grant = shopee.exchange_code(code)
        shopee_tokens.save_tokens(client_id, grant)  # clears a "needs authorization" mark
        shops = ",".join(grant.shop_ids) or grant.open_id
        store.log("shopee_connected", "ok", client_id=client_id, message=f"{grant.open_id} (covers {shops})")
        return client_id, grant.open_id or ""

    async def shopee_callback(request: Request) -> Response:
        try:
            client_id, shop = await run_in_threadpool(connect_shopee, dict(request.query_params))
        except (ValueError, OAuthStateError) as exc:
            log.warning("Shopee authorization callback refused: %s", exc)
            return _page("Link de autorização inválido", f"{exc}. Peça um novo link de autorização.", 400)
        except ConfigError as exc:
            log.error("Shopee authorization callback refused: %s", exc)
            return _page("Serviço indisponível", "A conexão com a Shopee não está configurada.", 503)
        except ChannelError as exc:
            log.warning("Shopee refused the authorization code: %s", exc)
            return _page("Autorização não concluída", "A Shopee recusou a autorização; tente de novo.", 400)
        log.info("Shopee shop %s connected for client %s", shop, client_id)
        return _page(
            "Autorização recebida", f"Obrigado! A loja Shopee do cliente {client_id} foi conectada.", 200
        )

    return [
        Route(CALLBACK_PATH, callback, methods=["GET"]),
        Route(SHOPEE_CALLBACK_PATH, shopee_callback, methods=["GET"]),
    ]
