"""The route table (which endpoint a method and path are, or the API's 404 / 405) and what a handler
receives (`Call`: the request resolved to its seller), with the query readings families share: offset
paging within the reference's limits, comma-separated id lists."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tiktok_pipelines.sandbox.mercado_livre.errors import ApiError, bad_request

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.mercado_livre.emulator import MercadoLivreEmulator
    from tiktok_pipelines.sandbox.mercado_livre.state import Seller


@dataclass(frozen=True)
class ApiRoute:
    method: str
    template: str  # the path, with {placeholders}
    handler: Callable[[Call], Any]  # answers data (sent as JSON) or a Response of its own
    auth: bool = True  # a seller's access token required

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.template}"

    def match(self, segments: list[str]) -> dict[str, str] | None:
        """The path parameters when the path's segments fit the template's, else None."""
        parts = self.template.strip("/").split("/")
        if len(parts) != len(segments):
            return None
        params = {}
        for part, segment in zip(parts, segments, strict=True):
            if part.startswith("{"):
                params[part[1:-1]] = segment
            elif part != segment:
                return None
        return params


def table(endpoints: dict[str, Callable[[Call], Any]], auth: bool = True) -> tuple[ApiRoute, ...]:
    """The routes of a family, from `"METHOD /path/{param}"` → handler."""
    return tuple(ApiRoute(*key.split(" ", 1), handler, auth) for key, handler in endpoints.items())


@dataclass
class Call:
    """One API call past the pipeline's checks: its path parameters, query, parsed body (JSON, or the
    fields of a multipart form), headers (lower-cased) and the seller its token names."""

    emulator: MercadoLivreEmulator
    params: dict[str, str]
    query: dict[str, str]
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    seller: Seller | None = None

    @property
    def me(self) -> Seller:
        assert self.seller is not None
        return self.seller

    def json_object(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise bad_request("The body must be a JSON object", "body.invalid_field_types")
        return self.body


class RouteTable:
    def __init__(self, routes: Iterable[ApiRoute]):
        self.routes = tuple(routes)

    def resolve(self, method: str, path: str) -> tuple[ApiRoute, dict[str, str]]:
        """The route and path parameters; a literal path wins over a template (`/items/validate`)."""
        segments = path.strip("/").split("/")
        found = [(r, p) for r in self.routes if (p := r.match(segments)) is not None]
        if not found:
            raise ApiError(404, "not_found", f"Resource {path} not found")
        served = [(r, p) for r, p in found if r.method == method]
        if not served:
            raise ApiError(405, "method_not_allowed", f"Method {method} not allowed on {path}")
        return min(served, key=lambda pair: len(pair[1]))


def integer(call: Call, name: str, default: int) -> int:
    raw = call.query.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"The parameter {name} must be a number") from None
    if value < 0:
        raise bad_request(f"The parameter {name} must be positive")
    return value


def offset_page(call: Call, items: list[Any], max_limit: int, default_limit: int = 50) -> tuple[list, dict]:
    """One page of `items` by `offset` and `limit`, and its `paging`."""
    offset = integer(call, "offset", 0)
    limit = integer(call, "limit", default_limit)
    if limit < 1 or limit > max_limit:
        raise bad_request(f"The limit must be between 1 and {max_limit}")
    return items[offset : offset + limit], {"total": len(items), "offset": offset, "limit": limit}


def id_list(call: Call, name: str, most: int) -> list[str]:
    ids = [i.strip() for i in (call.query.get(name) or "").split(",") if i.strip()]
    if not ids:
        raise bad_request(f"The parameter {name} is required")
    if len(ids) > most:
        raise bad_request(f"The parameter {name} accepts at most {most} ids, {len(ids)} were given")
    return ids


def trimmed(answer: dict[str, Any], call: Call) -> dict[str, Any]:
    """`attributes=a,b` trims an answer to those fields (reference §3)."""
    wanted = [a for a in (call.query.get("attributes") or "").split(",") if a]
    return {k: v for k, v in answer.items() if k in wanted} if wanted else answer
