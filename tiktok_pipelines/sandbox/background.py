"""Background work emulators share: `RetryQueue`, the thread that delivers what a platform sends its
callers (TikTok's webhooks, Shopee's pushes) at once and again after each delay it is given, and
`Ticker`, which runs one step every few seconds (the simulated buyers) until stopped."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

log = logging.getLogger(__name__)


class RetryQueue:
    """Deliveries (kept in `deliveries`, each with a `state`) attempted by one daemon thread when due.
    A subclass gives `attempt(delivery)` (which `post`s it), returning the delay before the next try, or
    None when the delivery is settled; the queue's condition (`cond`) guards the deliveries."""

    thread_name = "sandbox-deliveries"

    def __init__(self) -> None:
        self.deliveries: list[Any] = []
        self.cond = threading.Condition()
        self._queue: list[tuple[float, int, int]] = []  # (due, seq, index in deliveries)
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._http: httpx.Client | None = None

    def add(self, delivery: Any, send: bool = True) -> Any:
        """Records `delivery` and, when `send`, schedules its first attempt now."""
        with self.cond:
            self.deliveries.append(delivery)
            if send:
                self._schedule(len(self.deliveries) - 1, 0.0)
                if self._thread is None or not self._thread.is_alive():
                    self._stopping = False
                    self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
                    self._thread.start()
        return delivery

    def _schedule(self, index: int, delay: float) -> None:
        heapq.heappush(self._queue, (time.monotonic() + delay, next(self._seq), index))
        self.cond.notify_all()

    def stop(self) -> None:
        with self.cond:
            self._stopping = True
            self.cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.close()

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def post(
        self, url: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> tuple[httpx.Response | None, dict[str, Any]]:
        """One delivery attempt: `body` POSTed as JSON; the answer (None when none came in time) and the
        attempt as deliveries record it (when, status or error, milliseconds)."""
        if self._http is None:
            self._http = httpx.Client(timeout=timeout)
        started, clock = time.time(), time.monotonic()
        try:
            response = self._http.post(
                url, content=body, headers={"Content-Type": "application/json", **headers}
            )
            outcome: dict[str, Any] = {"at": started, "status": response.status_code}
        except httpx.HTTPError as exc:
            response, outcome = None, {"at": started, "error": type(exc).__name__}
        return response, outcome | {"ms": round((time.monotonic() - clock) * 1000, 1)}

    def pending(self) -> int:
        with self.cond:
            return sum(1 for d in self.deliveries if d.state == "pending")

    def snapshot(self) -> list[dict[str, Any]]:
        """Every delivery so far, with its attempts, as control routes show them."""
        with self.cond:
            return [d.as_dict() for d in self.deliveries]

    def attempt(self, delivery: Any) -> float | None:
        raise NotImplementedError

    def _run(self) -> None:
        while True:
            with self.cond:
                while not self._stopping and (not self._queue or self._queue[0][0] > time.monotonic()):
                    self.cond.wait(timeout=(self._queue[0][0] - time.monotonic()) if self._queue else None)
                if self._stopping:
                    return
                index = heapq.heappop(self._queue)[2]
            delay = self.attempt(self.deliveries[index])
            if delay is not None:
                with self.cond:
                    self._schedule(index, delay)


class Ticker:
    """Runs `step()` every `interval_s` seconds in a daemon thread until `stop()`; a step that fails is
    logged and the next one runs."""

    def __init__(self, step: Callable[[], Any], interval_s: float, name: str):
        self._stop = threading.Event()

        def loop() -> None:
            while not self._stop.wait(interval_s):
                try:
                    step()
                except Exception:
                    log.exception("%s: a tick failed", name)

        self._thread = threading.Thread(target=loop, name=name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
