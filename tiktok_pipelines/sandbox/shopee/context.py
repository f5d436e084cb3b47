"""What an endpoint is (`ApiRoute`: method, path, API type) and what its handler receives (`Ctx`: the
request past the pipeline's checks, resolved to its shop), with the readings every API family shares:
query integers and lists (a list is a comma list or a repeated key, reference §2), the JSON body, offset
paging. Refusals are the platform's `error_param`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tiktok_pipelines.sandbox.shopee.errors import param_error
from tiktok_pipelines.sandbox.shopee.signing import ApiType
from tiktok_pipelines.sandbox.shopee.state import Shop

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.shopee.emulator import ShopeeEmulator


@dataclass(frozen=True)
class ApiRoute:
    method: str  # GET or POST: the platform serves no other
    path: str  # the full api_path, e.g. /api/v2/product/get_item_list
    handler: Callable[[Any], Any]
    api_type: ApiType = ApiType.SHOP
    multipart: bool = False  # a file upload (form-data) rather than a JSON body
    top_level: bool = False  # the answer's fields beside `error`, not under `response` (auth, shop info)

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.path}"


class Endpoints:
    """The endpoints of one API family, declared on their handlers: `@endpoints.post("product/add_item")`
    serves `POST /api/v2/product/add_item`; `routes` lists them in declaration order."""

    def __init__(self, api_type: ApiType = ApiType.SHOP):
        self.api_type = api_type
        self._routes: list[ApiRoute] = []

    def get(self, name: str, **options: Any) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
        return self._declare("GET", name, options)

    def post(self, name: str, **options: Any) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
        return self._declare("POST", name, options)

    def _declare(
        self, method: str, name: str, options: dict[str, Any]
    ) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
        def declare(handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
            options.setdefault("api_type", self.api_type)
            self._routes.append(ApiRoute(method, f"/api/v2/{name}", handler, **options))
            return handler

        return declare

    @property
    def routes(self) -> tuple[ApiRoute, ...]:
        return tuple(self._routes)


@dataclass
class Ctx:
    """One API call past the pipeline's checks: its query (every value of every key), parsed JSON body or
    form, the shop (or merchant id) it acts for, and a `warning` the handler may set."""

    emulator: ShopeeEmulator
    route: ApiRoute
    query: dict[str, list[str]]
    body: Any = None
    form: dict[str, Any] = field(default_factory=dict)
    shop: Shop | None = None
    merchant_id: int | None = None
    warning: str = ""

    def q(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def q_int(
        self,
        name: str,
        *,
        required: bool = True,
        default: int = 0,
        low: int | None = None,
        high: int | None = None,
    ) -> int:
        raw = self.q(name)
        if raw is None or raw == "":
            if required:
                raise param_error(f"{name} is required")
            return default
        try:
            value = int(raw)
        except ValueError:
            raise param_error(f"{name} must be an integer, got {raw!r}") from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise param_error(f"{name} must be between {low} and {high}, got {value}")
        return value

    def q_list(self, name: str, *, required: bool = True) -> list[str]:
        """A list parameter: repeated keys, comma lists, or both."""
        values = [v.strip() for raw in self.query.get(name, []) for v in raw.split(",") if v.strip()]
        if required and not values:
            raise param_error(f"{name} is required")
        return values

    def q_bool(self, name: str) -> bool:
        return (self.q(name) or "").lower() == "true"

    def json(self) -> dict[str, Any]:
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise param_error("the body must be a JSON object")
        return self.body


def need(body: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    """A required field of the body, of `kind` (a bool is not an int)."""
    if key not in body or body[key] is None:
        raise param_error(f"{key} is required")
    return of_kind(body[key], key, kind)


def of_kind(value: Any, key: str, kind: type | tuple[type, ...]) -> Any:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise param_error(f"{key} has a wrong type")
    if not isinstance(value, kinds):
        raise param_error(f"{key} has a wrong type")
    return value


def int_ids(values: list[str], name: str) -> list[int]:
    try:
        return [int(v) for v in values]
    except ValueError:
        raise param_error(f"{name} must be integers") from None
