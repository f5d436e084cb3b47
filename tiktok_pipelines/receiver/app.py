"""The receiver's ASGI app: one Starlette app, each feature adding its routes.

`create_app` builds it from the configuration (or from a given state DB, for tests). Features are
route factories taking the `ReceiverContext`: the OAuth callback lives in `webhooks/oauth.py`; the
webhook endpoints of the orders work join the same list.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tiktok_pipelines.logs import install_log_redaction
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.db import StateDB, open_state_db


@dataclass(frozen=True)
class ReceiverContext:
    """What every route of the receiver may use."""

    settings: Settings
    db: StateDB


RouteFactory = Callable[[ReceiverContext], Sequence[BaseRoute]]


def default_features() -> list[RouteFactory]:
    from tiktok_pipelines.receiver.events import event_routes
    from tiktok_pipelines.receiver.marketplace import marketplace_routes
    from tiktok_pipelines.receiver.oauth import oauth_routes

    return [oauth_routes, event_routes, marketplace_routes]


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
