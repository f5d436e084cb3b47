"""`GET /oauth/mercado-livre/callback`: where Mercado Livre sends the seller back after consent
(`?code=...&state=...`, reference §2).

The state must be one issued by `tiktok-pipelines oauth url <client> --channel mercado_livre`, unexpired
and unused. The code (single use, short-lived) is exchanged at once with the link's PKCE verifier and the
grant stored, encrypted, for the client, under the seller it names (clearing a "needs authorization"
mark the client's former grant left). Nothing secret is echoed or logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tiktok_pipelines.channels.base.errors import ChannelError
from tiktok_pipelines.channels.mercado_livre.auth import MercadoLivreAuth
from tiktok_pipelines.channels.mercado_livre.configuration import app_from_settings
from tiktok_pipelines.core.names import ChannelName
from tiktok_pipelines.receiver.context import ReceiverContext
from tiktok_pipelines.receiver.oauth import _page
from tiktok_pipelines.settings import ConfigError
from tiktok_pipelines.stores.channel_tokens import ChannelTokenStore
from tiktok_pipelines.stores.oauth_states import OAuthStateError, consume_link_state

log = logging.getLogger(__name__)

CALLBACK_PATH = "/oauth/mercado-livre/callback"


def mercado_livre_oauth_routes(ctx: ReceiverContext) -> Sequence[BaseRoute]:
    tokens = ChannelTokenStore(ctx.db, ChannelName.MERCADO_LIVRE)

    def connect(state: str, code: str) -> tuple[str, str]:
        client_id = consume_link_state(ctx.db, ChannelName.MERCADO_LIVRE, state, "Mercado Livre")
        auth = MercadoLivreAuth(app_from_settings(ctx.settings))
        grant = auth.exchange_code(code, state=state)
        tokens.save_tokens(client_id, grant)  # a client that had to authorize again is connected again
        return client_id, grant.open_id or ""

    async def callback(request: Request) -> Response:
        q = request.query_params
        code, state = q.get("code", ""), q.get("state", "")
        if q.get("error") or not code:
            reason = (q.get("error_description") or q.get("error") or "no authorization code")[:200]
            log.warning("Mercado Livre authorization callback without a code: %s", reason)
            return _page(
                "Autorização não concluída", f"O Mercado Livre não autorizou o aplicativo: {reason}", 400
            )
        try:
            client_id, seller = await run_in_threadpool(connect, state, code)
        except OAuthStateError as exc:
            log.warning("Mercado Livre authorization callback refused: %s", exc)
            return _page("Link de autorização inválido", f"{exc}. Peça um novo link de autorização.", 400)
        except (ChannelError, ConfigError) as exc:
            log.warning("Mercado Livre code exchange failed: %s", type(exc).__name__)
            return _page(
                "Autorização não concluída", "O Mercado Livre recusou o código; peça um novo link.", 502
            )
        log.info("Mercado Livre seller %s connected to client %s", seller, client_id)
        return _page(
            "Autorização recebida",
            f"Obrigado! A conta do Mercado Livre do cliente {client_id} está conectada.",
            200,
        )

    return [Route(CALLBACK_PATH, callback, methods=["GET"])]
