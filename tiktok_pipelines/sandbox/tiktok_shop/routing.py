"""The TikTok Shop emulator's route table: which endpoint a method and path are, or the platform's
refusal (reference §5: 36009009 unknown path, 36009010 wrong method, 36009014 unsupported version)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tiktok_pipelines.sandbox.tiktok_shop import request_checks as req
from tiktok_pipelines.sandbox.tiktok_shop.request_checks import ApiError

_VERSIONED_PATH = re.compile(r"^/(?P<category>[a-z_]+)/(?P<version>\d{6})(?P<rest>/.*)?$")


@dataclass(frozen=True)
class ApiRoute:
    method: str
    template: str  # the full path, version included, with {placeholders}
    handler: Callable[[Any], dict[str, Any]]
    cipher: bool = True  # shop-scoped: shop_cipher required (and forbidden when False)
    multipart: bool = False

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.template}"

    @property
    def regex(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template)) + "$")


class RouteTable:
    """Resolves requests against routes; every version an operation is served in is a route of its own."""

    def __init__(self, routes: Iterable[ApiRoute]):
        self.routes = tuple(routes)
        self._compiled = [(r, r.regex) for r in self.routes]
        self.versions = tuple(
            sorted({m["version"] for r in self.routes if (m := _VERSIONED_PATH.match(r.template))})
        )

    def _matches(self, method: str | None, path: str) -> list[tuple[ApiRoute, dict[str, str]]]:
        return [
            (route, m.groupdict())
            for route, regex in self._compiled
            if (method is None or route.method == method) and (m := regex.match(path))
        ]

    def resolve(self, method: str, path: str) -> tuple[ApiRoute, dict[str, str]]:
        """The route and path parameters of a request, or the refusal: a path served only under other
        versions (36009014), a path served for other methods (36009010), an unknown path (36009009)."""
        found = self._matches(method, path)
        if found:
            # A literal path (".../products/search") wins over a template (".../products/{product_id}").
            return next(((r, p) for r, p in found if not p), found[0])
        parts = _VERSIONED_PATH.match(path)
        if parts and any(
            self._matches(method, f"/{parts['category']}/{version}{parts['rest'] or ''}")
            for version in self.versions
            if version != parts["version"]
        ):
            raise ApiError(36009014, req.MSG_INVALID_VERSION, 404)
        if self._matches(None, path):
            raise ApiError(36009010, req.MSG_INVALID_METHOD, 405)
        raise ApiError(36009009, req.MSG_INVALID_PATH, 404)
