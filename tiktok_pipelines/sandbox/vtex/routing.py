"""How an API request reaches its handler: `Ctx` (the request resolved to its account, authenticated
key, path and query parameters and JSON body), `Endpoint` (the API family, for rate limits and faults, and
the resources it needs), one `Router` per API family, and the JSON answer (Decimal as JSON numbers, as
Pricing sends them)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from tiktok_pipelines.sandbox.vtex.errors import ApiError
from tiktok_pipelines.sandbox.vtex.resources import AppKey

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.vtex.account import SandboxAccount
    from tiktok_pipelines.sandbox.vtex.emulator import VtexEmulator


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # JSON numbers, as Pricing sends them (decimal reais)
    raise TypeError(f"cannot encode {type(value).__name__}")


class JSON(Response):
    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, default=_json_default, ensure_ascii=False, separators=(",", ":")).encode()


def error_response(exc: ApiError, headers: dict[str, str] | None = None) -> Response:
    return JSON(exc.body(), status_code=exc.status, headers=headers)


@dataclass
class Ctx:
    """One API request, resolved: account, authenticated key, path and query parameters, JSON body, and the
    emulator serving it."""

    request: Request
    account: SandboxAccount
    app_key: AppKey | None
    path: dict[str, Any]
    query: dict[str, str]
    body: Any
    emulator: VtexEmulator


Handler = Callable[[Ctx], Awaitable[Response]]


@dataclass(frozen=True)
class Endpoint:
    family: str
    resources: tuple[str, ...] | None  # None: public, no credentials needed
    handler: Handler


class Router:
    """The endpoints of one API family: path template (after `/{account}`) → method → endpoint."""

    def __init__(self) -> None:
        self.endpoints: dict[str, dict[str, Endpoint]] = {}

    def api(
        self, method: str, template: str, family: str, resources: tuple[str, ...] | None
    ) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.endpoints.setdefault(template, {})[method] = Endpoint(family, resources, fn)
            return fn

        return register


def query_int(ctx: Ctx, name: str, default: int | None = None) -> int:
    """An integer query parameter: `default` when absent, required when there is no default."""
    raw = ctx.query.get(name)
    if raw in (None, ""):
        if default is None:
            raise ApiError(400, f"the query parameter {name} is required")
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be a number, got {raw!r}") from None


def sku_of(ctx: Ctx, name: str = "sku_id"):
    """The (product, SKU) a path parameter names, or 404."""
    return ctx.account.sku(ctx.path[name])
