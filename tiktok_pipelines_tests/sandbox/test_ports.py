"""The ports the sandbox's servers start on: picked from a span, which parallel test workers share out so
that two of them never start servers on the same port."""

from __future__ import annotations

import os
import socket

import pytest

from tiktok_pipelines.sandbox.server import (
    DEFAULT_PORTS,
    PORTS_VARIABLE,
    free_port,
    port_share,
    sandbox_ports,
)
from tiktok_pipelines_tests import conftest

# Between the default span and the kernel's ephemeral range: nothing else picks ports there.
SPAN = "32700-32705"


def test_free_port_picks_only_from_the_span_the_variable_gives(monkeypatch):
    monkeypatch.setenv(PORTS_VARIABLE, SPAN)

    picks = [free_port() for _ in range(14)]

    assert set(picks) <= set(range(32700, 32706))
    # Walked in turn: a port comes back only once every other port of the span was handed out.
    assert len(set(picks[:6])) == 6 and picks[6:12] == picks[:6]


def test_a_port_something_listens_on_is_never_handed_out(monkeypatch):
    monkeypatch.setenv(PORTS_VARIABLE, SPAN)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 32703))
        taken.listen()
        picks = {free_port() for _ in range(10)}
    assert picks == {32700, 32701, 32702, 32704, 32705}


def test_a_span_with_every_port_taken_is_an_error_naming_the_variable(monkeypatch):
    monkeypatch.setenv(PORTS_VARIABLE, "32706-32706")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 32706))
        taken.listen()
        with pytest.raises(RuntimeError, match=PORTS_VARIABLE):
            free_port()


@pytest.mark.parametrize("value", ["abc", "30000", "31000-30000", "80-90", "30000-70000", "3a-4b"])
def test_a_malformed_span_is_refused_naming_the_variable(value):
    with pytest.raises(ValueError, match=PORTS_VARIABLE):
        sandbox_ports({PORTS_VARIABLE: value})


def test_without_the_variable_the_span_is_the_default():
    assert sandbox_ports({}) == DEFAULT_PORTS == range(20000, 32000)
    assert sandbox_ports({PORTS_VARIABLE: " 21000-21999 "}) == range(21000, 22000)


def test_the_shares_of_the_workers_are_disjoint_and_within_the_span():
    shares = [port_share(DEFAULT_PORTS, i, 5) for i in range(5)]

    ports = [p for share in shares for p in share]
    assert len(ports) == len(set(ports)) and set(ports) <= set(DEFAULT_PORTS)
    assert all(len(share) == 2400 for share in shares)
    with pytest.raises(ValueError):
        port_share(DEFAULT_PORTS, 5, 5)


def test_a_test_worker_gets_its_share_for_itself_and_the_processes_it_starts(monkeypatch):
    monkeypatch.delenv(PORTS_VARIABLE, raising=False)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw2")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "4")

    conftest.pytest_configure(None)

    assert os.environ[PORTS_VARIABLE] == "26000-28999"
    assert all(26000 <= free_port() <= 28999 for _ in range(20))
