"""`TikTokCreatorEmulator`: TikTok for Developers in memory, composed of one mixin per API family (each in
its module, next to that family's endpoints), plus what they share: the lock, the clock (real time plus an
offset tests move), the apps, the simulated creators, the sliding-window rate limit and the counters."""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

from tiktok_pipelines.sandbox.controls import CallCounters
from tiktok_pipelines.sandbox.tiktok_creator.display import DisplayMixin
from tiktok_pipelines.sandbox.tiktok_creator.oauth import OAuthMixin
from tiktok_pipelines.sandbox.tiktok_creator.posting import PostingMixin, Publish
from tiktok_pipelines.sandbox.tiktok_creator.simulation import SimulatedCreator, generate_creator
from tiktok_pipelines.sandbox.tiktok_creator.state import (
    AuthCode,
    Authorization,
    CreatorApp,
    EmulatorConfig,
    Switches,
    Token,
)


class TikTokCreatorEmulator(CallCounters, OAuthMixin, DisplayMixin, PostingMixin):
    """Apps, creators, their authorizations and tokens, and the Display API over the simulated creators."""

    def __init__(self, config: EmulatorConfig | None = None, apps: tuple[CreatorApp, ...] = ()):
        self.config = config or EmulatorConfig()
        self.switches = Switches()
        self.lock = threading.RLock()
        self.rng = random.Random(self.config.seed)
        self.clock_offset = 0.0
        self.anchor = time.time()
        self.apps: dict[str, CreatorApp] = {}
        self.creators: dict[str, SimulatedCreator] = {}
        self.codes: dict[str, AuthCode] = {}
        self.tokens: dict[str, Token] = {}
        self.authorizations: dict[str, Authorization] = {}
        self.consents: dict[str, dict[str, Any]] = {}
        self.publishes: dict[str, Publish] = {}
        self.windows: dict[tuple, deque[float]] = defaultdict(deque)
        self.monotonic: Callable[[], float] = time.monotonic  # the rate limit's clock
        self.init_counters()
        self._cdn_key = secrets.token_bytes(16)
        for app in apps:
            self.add_app(app)

    # ------------------------------------------------------------ clock, apps, creators
    def now(self) -> float:
        return time.time() + self.clock_offset

    def advance_clock(self, seconds: float) -> float:
        with self.lock:
            self.clock_offset += seconds
            return self.now()

    def add_app(self, app: CreatorApp) -> CreatorApp:
        app.check()
        with self.lock:
            self.apps[app.client_key] = app
        return app

    def app(self, client_key: str | None) -> CreatorApp | None:
        return self.apps.get(client_key or "")

    def add_creator(
        self, username: str, display_name: str | None = None, seed: int | None = None, **kw: Any
    ) -> SimulatedCreator:
        """A simulated creator, its history drawn from `seed` (the emulator's by default) and today."""
        creator = generate_creator(
            username,
            display_name or username,
            self.config.seed if seed is None else seed,
            anchor=self.anchor,
            **kw,
        )
        with self.lock:
            self.creators[username] = creator
        return creator

    def creator(self, username: str) -> SimulatedCreator:
        try:
            return self.creators[username]
        except KeyError:
            raise KeyError(f"no creator {username!r} in the sandbox") from None

    # ------------------------------------------------------------ the signed CDN links
    def cdn_signature(self, path: str, expires: int) -> str:
        return hmac.new(self._cdn_key, f"{path}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]

    def cdn_url(self, path: str, ttl: float) -> str:
        expires = int(self.now() + ttl)
        return f"{self.config.base_url}/_sandbox/cdn/{path}?x-expires={expires}&x-signature={self.cdn_signature(path, expires)}"

    # ------------------------------------------------------------ rate limit
    def take_window_slot(self, key: tuple, limit: int | None = None) -> bool:
        """One call in the sliding window of `key` (of `limit` calls, the config's by default); False when
        the window is full (the call is refused and not counted)."""
        now = self.monotonic()
        window = self.windows[key]
        while window and window[0] <= now - self.config.rate_window_s:
            window.popleft()
        if len(window) >= (limit or self.config.rate_limit):
            return False
        window.append(now)
        return True
