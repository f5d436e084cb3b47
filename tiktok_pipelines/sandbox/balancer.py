"""A load balancer in front of several receivers, as a deployment puts one (an ALB, a Kubernetes
Service): each request goes to the next backend in turn. A backend that cannot be reached (stopped,
killed) fails that request with 502, and the sender retries; it is then passed over until its
`/health` answers again (checked every `cooldown` seconds), so the other requests and the retries reach
the backends left. It counts what it forwarded and what failed, per backend."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Sequence

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class RoundRobin:
    """The balancer as an ASGI app (`app`) over `backends` (base URLs)."""

    def __init__(self, backends: Sequence[str], timeout: float = 10.0, cooldown: float = 5.0):
        self.backends = list(backends)
        self.cooldown = cooldown
        self._down_until: dict[str, float] = {}
        self.forwarded: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self._next = itertools.cycle(self.backends)
        self._timeout = timeout
        self._http: httpx.AsyncClient | None = None
        self.app = Starlette(
            routes=[Route("/{path:path}", self._forward, methods=["GET", "POST", "PUT", "DELETE"])]
        )

    async def _pick(self, http: httpx.AsyncClient) -> str:
        """The next backend in turn that is up. One that failed is passed over for `cooldown` seconds,
        then taken back only once its `/health` answers 200 (the balancer's health check); when none is
        up, the next one in turn."""
        now = time.monotonic()
        for _ in self.backends:
            backend = next(self._next)
            if self._down_until.get(backend, 0.0) <= now:
                if backend not in self._down_until or await self._healthy(http, backend):
                    self._down_until.pop(backend, None)
                    return backend
                self._down_until[backend] = now + self.cooldown
        return next(self._next)

    @staticmethod
    async def _healthy(http: httpx.AsyncClient, backend: str) -> bool:
        try:
            return (await http.get(f"{backend}/health", timeout=1.0)).status_code == 200
        except httpx.HTTPError:
            return False

    async def _forward(self, request: Request) -> Response:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self._timeout)
        backend = await self._pick(self._http)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        url = f"{backend}{request.url.path}" + (f"?{request.url.query}" if request.url.query else "")
        try:
            answer = await self._http.request(
                request.method, url, content=await request.body(), headers=headers
            )
        except httpx.HTTPError:
            self.failed[backend] += 1
            self._down_until[backend] = time.monotonic() + self.cooldown
            return Response(status_code=502)
        self.forwarded[backend] += 1
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
        return Response(answer.content, status_code=answer.status_code, headers=kept)
