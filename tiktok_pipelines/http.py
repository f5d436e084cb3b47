"""Plumbing shared by the API clients: pacing rate limiters, retry policy, bounded concurrency."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import KW_ONLY, dataclass
from typing import Any, Generic, Self, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

T = TypeVar("T")
R = TypeVar("R")


class RateLimiter:
    """Paces calls to at most `rate` per second, evenly spaced (GCRA), with a burst of `burst` calls.

    With burst 1, any one-second window holds at most `rate` + 1 calls, so a server that enforces
    `rate` per second with a one-second bucket never answers 429 to this process alone.
    """

    def __init__(self, rate: float, burst: int = 1):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.interval = 1.0 / rate
        self.burst = max(1, burst)
        self._tat = time.monotonic()  # theoretical arrival time of the next call
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Blocks until a call may go; returns the seconds waited."""
        with self._lock:
            now = time.monotonic()
            tat = max(self._tat, now)
            allowed_at = tat - (self.burst - 1) * self.interval
            delay = max(0.0, allowed_at - now)
            self._tat = tat + self.interval
        if delay:
            time.sleep(delay)
        return delay

    def penalize(self, seconds: float) -> None:
        """Holds every later call until `seconds` from now (after a 429 from the server). Several
        429s answered at once do not add up: each says "not before", not "wait longer"."""
        with self._lock:
            self._tat = max(self._tat, time.monotonic() + seconds)


L = TypeVar("L")


class KeyedLimiters(Generic[L]):
    """One limiter per key (e.g. shop + endpoint), made by `make` on first use, shared by the whole
    process."""

    def __init__(self, make: Callable[[], L]):
        self._make = make
        self._limiters: dict[str, L] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> L:
        with self._lock:
            limiter = self._limiters.get(key)
            if limiter is None:
                limiter = self._limiters[key] = self._make()
            return limiter


class RateLimiters(KeyedLimiters[RateLimiter]):
    """`RateLimiter`s of one rate and burst, by key."""

    def __init__(self, rate: float, burst: int = 1):
        super().__init__(lambda: RateLimiter(rate, burst))
        self.rate = rate
        self.burst = burst


class HttpApiClient:
    """An API client over the HTTP connection pool it owns (`_http`, an httpx client): `close()` releases
    its connections, and so does the end of a `with` block."""

    _http: Any

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(eq=False, repr=False)
class ApiCallError(Exception):
    """An API call failed: why (`message`, never a credential) and, when known, the call's method and
    path. Each API's errors add what its answers carry (status, error code, request id)."""

    message: str
    _: KW_ONLY
    method: str | None = None
    path: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)


class RetryableError(Exception):
    """An error worth another attempt; `retry_after` (seconds) is the server's hint when it gave one."""

    retry_after: float | None = None


def parse_retry_after(value: str | None, cap: float = 120.0) -> float | None:
    if not value:
        return None
    try:
        return min(cap, max(0.0, float(value)))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return min(cap, max(0.0, parsedate_to_datetime(value).timestamp() - time.time()))
        except (TypeError, ValueError):
            return None


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter; a server's Retry-After wins when it is given."""

    attempts: int = 5
    initial: float = 0.5
    maximum: float = 30.0

    def wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = getattr(exc, "retry_after", None)
        if hinted is not None:
            return hinted + random.uniform(0, 0.25)
        ceiling = min(self.maximum, self.initial * 2 ** (state.attempt_number - 1))
        return random.uniform(ceiling / 2, ceiling)

    def retrying(
        self,
        retryable: Callable[[BaseException], bool],
        on_retry: Callable[[RetryCallState], None] | None = None,
    ) -> Retrying:
        """`on_retry` runs before each wait (to log or count retries); the wait is `state.upcoming_sleep`."""
        return Retrying(
            retry=retry_if_exception(retryable),
            stop=stop_after_attempt(self.attempts),
            wait=self.wait,
            before_sleep=on_retry,
            reraise=True,
        )

    def call(
        self,
        fn: Callable[[], T],
        retryable: Callable[[BaseException], bool],
        on_retry: Callable[[RetryCallState], None] | None = None,
    ) -> T:
        return self.retrying(retryable, on_retry)(fn)


@dataclass
class Outcome:
    """The result of one item of a concurrent batch: a value or the exception it raised."""

    item: Any
    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def map_concurrently(fn: Callable[[T], R], items: Iterable[T], max_workers: int = 8) -> Iterator[Outcome]:
    """Applies `fn` to items with at most `max_workers` in flight; yields outcomes as they complete.

    Items are consumed lazily, so a long iterator is never materialized; an item's exception is
    returned in its outcome and does not stop the others.
    """
    iterator = iter(items)
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="ttp-http") as pool:
        pending: dict[Future, Any] = {}

        def submit_next() -> bool:
            try:
                item = next(iterator)
            except StopIteration:
                return False
            pending[pool.submit(fn, item)] = item
            return True

        for _ in range(max_workers):
            if not submit_next():
                break
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                item = pending.pop(fut)
                exc = fut.exception()
                yield Outcome(item=item, error=exc) if exc else Outcome(item=item, value=fut.result())
                submit_next()
