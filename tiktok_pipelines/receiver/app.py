"""The receiver's ASGI app: one Starlette app, each feature adding its routes.

`create_app` builds it from the configuration (or from a given state DB, for tests). Features are
route factories taking the `ReceiverContext` (`receiver/context.py`): the OAuth callback
(`receiver/oauth.py`), the channels' and VTEX's webhooks (`receiver/events.py`) and VTEX's marketplace
callbacks (`receiver/marketplace.py`), and the creators' Login Kit callback and JSON API
(`receiver/creators.py`). The receiver imports no Dagster: it starts in well under a
second and answers its first webhook at once.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tiktok_pipelines.logs import install_log_redaction
from tiktok_pipelines.receiver.context import ReceiverContext, RouteFactory
from tiktok_pipelines.receiver.creators import creator_routes
from tiktok_pipelines.receiver.events import event_routes
from tiktok_pipelines.receiver.marketplace import marketplace_routes
from tiktok_pipelines.receiver.mercado_livre_oauth import mercado_livre_oauth_routes
from tiktok_pipelines.receiver.oauth import oauth_routes
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.db import StateDB, open_state_db

__all__ = ["ReceiverContext", "RouteFactory", "create_app", "default_features", "tune_receiver_process"]


def default_features() -> list[RouteFactory]:
    return [oauth_routes, mercado_livre_oauth_routes, event_routes, marketplace_routes, creator_routes]


def tune_receiver_process() -> None:
    """For a process that serves the receiver: writes happen in worker threads, and with Python's
    default 5 ms GIL switch interval a finished write can wait that long to answer its request."""
    sys.setswitchinterval(0.0005)


def create_app(
    settings: Settings | None = None,
    db: StateDB | None = None,
    features: Sequence[RouteFactory] | None = None,
) -> Starlette:
    """The receiver: `/health` plus the routes of every feature (by default all of them)."""
    settings = settings or Settings.load()
    # Access lines carry query strings, and the OAuth callback's holds the auth code.
    install_log_redaction("uvicorn.access", "uvicorn.error")
    ctx = ReceiverContext(settings=settings, db=db or open_state_db(settings))

    async def health(_: Request) -> Response:
        with ctx.db.read() as conn:
            conn.exec_driver_sql("SELECT 1")
        return JSONResponse({"status": "ok"})

    routes: list[BaseRoute] = [Route("/health", health)]
    for feature in features if features is not None else default_features():
        routes.extend(feature(ctx))
    app = Starlette(routes=routes)
    app.state.receiver = ctx
    return app
