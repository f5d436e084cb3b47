"""The token bucket every emulator limits its callers with (per app and shop, per account and API)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """`rate` tokens a second, at most `burst` held; a call takes one. A new bucket is full; one without a
    rate never refills. `clock` (seconds, monotonic) is the emulator's: a test can stop or advance it."""

    rate: float
    burst: float
    tokens: float = -1.0
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    stamp: float = field(init=False)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.burst
        self.stamp = self.clock()

    def take(self) -> tuple[bool, float]:
        """(allowed, seconds until a token is available)."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True, 0.0
        return False, (1 - self.tokens) / self.rate if self.rate > 0 else math.inf
