"""What every emulator counts of its callers (calls and answers per endpoint, HTTP 429s, arrival times),
and the control routes emulators share: `/_sandbox/stats` (GET; DELETE resets), `/_sandbox/switches`
(GET; POST changes fault switches by name), `/_sandbox/tokens/expire|revoke`
(an owner's tokens), `/_sandbox/autopilot` (the demo's simulated buyers, which `EmulatorState` starts and
stops); and the `FaultSwitches` they share."""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Callable, Collection
from dataclasses import asdict, dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tiktok_pipelines.sandbox.background import Ticker
from tiktok_pipelines.sandbox.rate_limits import TokenBucket


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


class EmulatorState(CallCounters):
    """What an emulator's state starts with: its configuration (with the seed) and fault switches, one
    lock, a random source seeded by the configuration (so runs repeat), its rate buckets (on `monotonic`,
    a clock a test can stop or advance) and counters."""

    def init_state(self, config: Any, switches: Any) -> None:
        self.config = config
        self.switches = switches
        self.lock = threading.RLock()
        self.rng = random.Random(config.seed)
        self.buckets: dict[tuple, TokenBucket] = {}
        self.monotonic: Callable[[], float] = time.monotonic
        self.buyers: Ticker | None = None
        self.init_counters()

    def take_token(self, key: tuple) -> bool:
        """One call against the bucket of `key`, which holds one second of the limit; False when empty.
        The limit is the switch `rate_limit_per_second`, else the configuration's; the switch
        `rate_limit_enabled` turned off lets every call pass."""
        if not self.switches.rate_limit_enabled:
            return True
        rate = self.switches.rate_limit_per_second or self.config.rate_limit_per_second
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = TokenBucket(rate, rate, clock=self.monotonic)
        bucket.rate = bucket.burst = rate  # the limit is a switch: it may have changed since the last call
        return bucket.take()[0]

    def start_autopilot(self, owner: Any, interval_s: float) -> None:
        """The demo's simulated buyers: the emulator's `autopilot_step(owner)` every `interval_s` seconds
        in a daemon thread until stopped (buyers already running are stopped first)."""
        self.stop_autopilot()
        name = f"{type(self).__name__}-autopilot"
        self.buyers = Ticker(lambda: self.autopilot_step(owner), interval_s, name)

    def stop_autopilot(self) -> None:
        if self.buyers is not None:
            self.buyers.stop()
            self.buyers = None


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


def settings_route(
    emu: Any,
    settings: Collection[str],
    view: Callable[[], dict[str, Any]],
    changed: Callable[[dict[str, Any]], None] | None = None,
) -> Route:
    """`/_sandbox/app`, the application's settings: GET answers `view()`; POST sets those it names (a
    name not in `settings` is answered 400 and nothing changes; a list is kept as a tuple, as the
    configuration holds its sequences), empties the rate buckets (the limit may have changed), tells
    `changed` what was set, and answers `view()`."""

    async def ctl_app(request: Request) -> Response:
        if request.method == "POST":
            payload = await json_body(request)
            unknown = set(payload) - set(settings)
            if unknown:
                return JSONResponse({"error": f"unknown settings {sorted(unknown)}"}, status_code=400)
            with emu.lock:
                for key, value in payload.items():
                    setattr(emu.config, key, tuple(value) if isinstance(value, list) else value)
                emu.buckets.clear()
            if changed is not None:
                changed(payload)
        return JSONResponse(view())

    return Route("/_sandbox/app", ctl_app, methods=["GET", "POST"])


@dataclass(frozen=True)
class Owner:
    """How control routes name an emulator's sellers: the payload key (`shop_code`), the lookup of one by
    that value (KeyError when there is none) and the 404 answer's message then."""

    key: str
    find: Callable[[Any], Any]
    missing: str


def autopilot_route(emu: Any, owner: Owner) -> Route:
    """`/_sandbox/autopilot`: POST `{owner.key: ..., "interval_seconds": 30}` starts the emulator's
    buyers for that owner (404 when there is none); `{"enabled": false}` stops them."""

    async def ctl_autopilot(request: Request) -> Response:
        payload = await json_body(request)
        if not payload.get("enabled", True):
            emu.stop_autopilot()
            return JSONResponse({"autopilot": "off"})
        try:
            found = owner.find(payload.get(owner.key))
        except KeyError:
            return JSONResponse({"error": owner.missing}, status_code=404)
        emu.start_autopilot(found, float(payload.get("interval_seconds", 30)))
        return JSONResponse({"autopilot": "on", owner.key: found})

    return Route("/_sandbox/autopilot", ctl_autopilot, methods=["POST"])


def marketplace_routes(
    emu: Any,
    owner: Owner,
    settings: Collection[str],
    view: Callable[[], dict[str, Any]],
    changed: Callable[[dict[str, Any]], None] | None = None,
) -> list[Route]:
    """The `/_sandbox/` routes every marketplace emulator serves: stats and switches, the application's
    `settings` (`settings_route`), and those naming a seller as `owner` does: its tokens expired or
    revoked, the demo's buyers."""
    return [
        *counter_routes(emu),
        settings_route(emu, settings, view, changed),
        *token_routes(emu, owner.key),
        autopilot_route(emu, owner),
    ]


@dataclass
class FaultSwitches:
    """The fault injection emulators share, changed at run time through `/_sandbox/switches`; an
    emulator's own switches extend it."""

    latency_ms: float = 0.0
    error_rate: float = 0.0  # share of API calls answered with an error of `error_http_status`
    error_http_status: int = 500
    burst_429: int = 0  # the next N API calls are answered 429
    rate_429: float = 0.0  # share of API calls answered 429, scattered
    timeout_rate: float = 0.0  # share of API calls processed but answered only after `timeout_ms`
    timeout_ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def throttles(self, rng: random.Random) -> bool:
        """Whether the API call at hand is answered 429: one of the next `burst_429` calls (counted down
        here), else one of the `rate_429` share of calls, drawn from `rng`."""
        if self.burst_429 > 0:
            self.burst_429 -= 1
            return True
        return bool(self.rate_429) and rng.random() < self.rate_429

    def fails(self, rng: random.Random) -> bool:
        """Whether the API call at hand is answered with an error: the `error_rate` share of calls, drawn
        from `rng`."""
        return bool(self.error_rate) and rng.random() < self.error_rate


async def timed_answer(emu: Any, answer: Callable[[], Awaitable[Response]]) -> Response:
    """`answer` under the timing switches of `emu` (a `FaultSwitches`): `latency_ms` before it; and,
    for a `timeout_rate` share of calls, a timeout as clients meet it: the call takes effect, its answer
    comes `timeout_ms` too late."""
    switches = emu.switches
    if switches.latency_ms:
        await asyncio.sleep(switches.latency_ms / 1000.0)
    with emu.lock:
        late = bool(switches.timeout_rate) and emu.rng.random() < switches.timeout_rate
    response = await answer()
    if late:
        await asyncio.sleep(switches.timeout_ms / 1000.0)
    return response
