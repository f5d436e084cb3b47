"""The stores' clock in a test: real time plus what the test adds, so that a lease or a delay runs out
when the test says, however long the steps before took on a busy machine."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tiktok_pipelines.stores.db import utcnow


class StoreClock:
    def __init__(self) -> None:
        self.ahead = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.ahead

    def advance(self, seconds: float) -> None:
        self.ahead += timedelta(seconds=seconds)


def store_clock(monkeypatch: pytest.MonkeyPatch, *modules: str) -> StoreClock:
    """The clock of the store `modules` (each reads `utcnow` from stores.db), moved on by `advance`."""
    clock = StoreClock()
    for module in modules:
        monkeypatch.setattr(f"{module}.utcnow", clock)
    return clock
