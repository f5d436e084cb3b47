"""TikTok's Display API limit: 600 calls per endpoint in any sliding minute (reference §8). A pacing
limiter that never lets more than `limit` calls start within `window` seconds of each other, shared
by every client of the process."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from tiktok_pipelines.http import KeyedLimiters


class SlidingWindowLimiter:
    """At most `limit` calls in any `window` seconds; `acquire` blocks until one may start. A call's slot
    is held a little longer than the window (`margin`, 2 % of it, at least 250 ms), because the server
    counts a call when it arrives, after it starts here by however long a busy machine or network takes,
    and not always the same."""

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.window = window
        self.margin = max(0.25, window * 0.02)
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._hold_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Blocks until a call may start within the window; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                while self._starts and self._starts[0] <= now - self.window - self.margin:
                    self._starts.popleft()
                delay = self._hold_until - now
                if delay <= 0 and len(self._starts) < self.limit:
                    self._starts.append(now)
                    return waited
                if delay <= 0:
                    delay = self._starts[0] + self.window + self.margin - now
            delay = max(delay, 0.001)
            self._sleep(delay)
            waited += delay

    def penalize(self, seconds: float) -> None:
        """After a 429: no call starts before `seconds` from now."""
        with self._lock:
            self._hold_until = max(self._hold_until, self._clock() + seconds)


class SlidingWindowLimiters(KeyedLimiters[SlidingWindowLimiter]):
    """One limiter per key (an app and an endpoint), created on first use."""

    def __init__(self, limit: int, window: float = 60.0):
        super().__init__(lambda: SlidingWindowLimiter(limit, window))
        self.limit = limit
        self.window = window
