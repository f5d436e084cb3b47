"""What the marketplace emulators' apps share: the app itself (`/health`, the emulator's own pages and
`/_sandbox/` routes, and every other path to its API pipeline), and the handler's run at the end of the
pipeline, where a body of the wrong shape is the platform's generic refusal."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

log = logging.getLogger(__name__)

API_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]

# What a handler raises when the body it reads has the wrong shape (a field missing, a string for a list).
SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError)


def emulator_app(
    api: Callable[[Request], Awaitable[Response]], health: Callable[[], dict[str, Any]], *routes: BaseRoute
) -> Starlette:
    """An emulator as an ASGI app: `/health` (`{"status": "ok"}` and what `health()` adds), `routes`,
    then every other path and method to `api`, the pipeline of its API calls."""

    async def health_route(_: Request) -> Response:
        return JSONResponse({"status": "ok"} | health())

    return Starlette(
        routes=[
            Route("/health", health_route),
            *routes,
            Route("/{path:path}", api, methods=API_METHODS),
        ]
    )


def run_handler(
    emu: Any, handler: Callable[[Any], Any], received: Any, refusal: Callable[[str], Exception], where: str
) -> Any:
    """`handler(received)` under the emulator's lock. A body of the wrong shape fails the handler with one of
    `SHAPE_ERRORS`: that is logged and raised as `refusal(detail)`, the platform's generic refusal."""
    with emu.lock:
        try:
            return handler(received)
        except SHAPE_ERRORS as exc:
            log.info("sandbox refused %s: %r", where, exc)
            raise refusal(f"{type(exc).__name__}: {exc}") from None
