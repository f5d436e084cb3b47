"""What every emulator counts of its callers (calls and answers per endpoint, HTTP 429s, arrival times),
and the control routes emulators share: `/_sandbox/stats` (GET; DELETE resets), `/_sandbox/switches`
(GET; POST changes fault switches by name), `/_sandbox/tokens/expire|revoke` (an owner's tokens)."""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict, deque
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


class CallCounters:
    """Counters of an emulator that has a `lock` and `switches` (with `as_dict`)."""

    def init_counters(self) -> None:
        self.calls: Counter = Counter()
        self.answers: Counter = Counter()  # (endpoint, code) -> count
        self.http_429s = 0
        # Arrival times (monotonic) of API calls per endpoint, so tests can measure the rate a client keeps.
        self.arrivals: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=100_000))

    def count_arrival(self, endpoint: str) -> None:
        self.arrivals[endpoint].append(time.monotonic())

    def count_answer(self, endpoint: str, code: Any, http_status: int = 200) -> None:
        with self.lock:
            self.calls[endpoint] += 1
            self.answers[(endpoint, code)] += 1
            if http_status == 429:
                self.http_429s += 1

    def stats(self) -> dict[str, Any]:
        with self.lock:
            by_code: dict[str, dict[str, int]] = defaultdict(dict)
            for (endpoint, code), n in self.answers.items():
                by_code[endpoint][str(code)] = n
            return {
                "calls": dict(self.calls),
                "total_calls": sum(self.calls.values()),
                "http_429": self.http_429s,
                "answers": dict(by_code),
            }

    def reset_stats(self) -> None:
        with self.lock:
            self.arrivals.clear()
            self.calls.clear()
            self.answers.clear()
            self.http_429s = 0


async def json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    return json.loads(raw) if raw else {}


def counter_routes(emu: Any) -> list[Route]:
    """`/_sandbox/stats` and `/_sandbox/switches` of an emulator with counters and switches."""

    async def ctl_stats(request: Request) -> Response:
        if request.method == "DELETE":
            emu.reset_stats()
        return JSONResponse(emu.stats())

    async def ctl_switches(request: Request) -> Response:
        if request.method == "POST":
            payload = await json_body(request)
            with emu.lock:
                for key, value in payload.items():
                    if not hasattr(emu.switches, key):
                        return JSONResponse({"error": f"unknown switch {key}"}, status_code=400)
                    setattr(emu.switches, key, value)
        return JSONResponse(emu.switches.as_dict())

    return [
        Route("/_sandbox/stats", ctl_stats, methods=["GET", "DELETE"]),
        Route("/_sandbox/switches", ctl_switches, methods=["GET", "POST"]),
    ]


def token_routes(emu: Any, owner: str) -> list[Route]:
    """`/_sandbox/tokens/expire` (`{owner, kind}`) and `/_sandbox/tokens/revoke` (`{owner}`): the tokens of
    one owner (a shop, a creator), or of all, expired now or revoked, through the emulator's
    `expire_tokens` and `revoke_tokens`."""

    async def ctl_tokens(request: Request) -> Response:
        payload = await json_body(request)
        action = request.path_params["action"]
        if action == "expire":
            return JSONResponse(
                {"expired": emu.expire_tokens(payload.get(owner), payload.get("kind", "access"))}
            )
        if action == "revoke":
            return JSONResponse({"revoked": emu.revoke_tokens(payload.get(owner))})
        return JSONResponse({"error": f"unknown action {action}"}, status_code=404)

    return [Route("/_sandbox/tokens/{action}", ctl_tokens, methods=["POST"])]
