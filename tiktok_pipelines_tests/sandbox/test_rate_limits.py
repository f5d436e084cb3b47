"""The token bucket the emulators limit their callers with."""

import math

import pytest

from tiktok_pipelines.sandbox.rate_limits import TokenBucket


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self, value: float = 1000.0):
        self.value = value

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def clock():
    return Clock()


def test_a_new_bucket_lets_its_burst_through_then_says_how_long_to_wait(clock):
    bucket = TokenBucket(rate=2.0, burst=3.0, clock=clock)
    assert [bucket.take()[0] for _ in range(3)] == [True, True, True]
    allowed, wait = bucket.take()
    assert not allowed and wait == pytest.approx(0.5)
    clock.value += 0.5
    assert bucket.take() == (True, 0.0)


def test_an_idle_bucket_refills_up_to_its_burst_only(clock):
    bucket = TokenBucket(rate=2.0, burst=3.0, clock=clock)
    for _ in range(3):
        bucket.take()
    clock.value += 60
    assert [bucket.take()[0] for _ in range(4)] == [True, True, True, False]


def test_a_bucket_without_a_rate_never_refills(clock):
    bucket = TokenBucket(rate=0.0, burst=1.0, clock=clock)
    assert bucket.take() == (True, 0.0)
    clock.value += 3600
    assert bucket.take() == (False, math.inf)
