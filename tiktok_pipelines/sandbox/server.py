"""Runs sandbox apps on loopback: in a background thread (tests) or in the foreground (`sandbox up`)."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

# Ports handed out for servers that start a moment later. They are drawn below the kernel's ephemeral
# range (32768-60999 on Linux), where every outgoing connection and every bind to port 0 takes its
# port: a port picked there can be taken by anything on the machine before the server binds it.
# TIKTOK_PIPELINES_SANDBOX_PORTS (`first-last`) narrows the span, so that processes picking ports at the
# same time (the test suite's parallel workers) each have a span of their own and never pick the same one.
PORTS_VARIABLE = "TIKTOK_PIPELINES_SANDBOX_PORTS"
DEFAULT_PORTS = range(20000, 32000)
_HANDING = threading.Lock()
_cursor: dict[range, int] = {}


def sandbox_ports(environ: Mapping[str, str] | None = None) -> range:
    """The span `free_port` picks from: TIKTOK_PIPELINES_SANDBOX_PORTS (`first-last`, both included), or
    20000-31999; ValueError naming the variable when its value is not such a span."""
    value = (os.environ if environ is None else environ).get(PORTS_VARIABLE, "").strip()
    if not value:
        return DEFAULT_PORTS
    first, sep, last = value.partition("-")
    try:
        span = range(int(first), int(last) + 1)
    except ValueError:
        span = range(0)
    if not sep or not span or span.start < 1024 or span.stop > 65536:
        raise ValueError(f"{PORTS_VARIABLE}={value!r}: expected a span of ports like 20000-23999")
    return span


def port_share(span: range, index: int, count: int) -> range:
    """The `index`-th of `count` disjoint, consecutive shares of `span` (a parallel test worker's)."""
    if not 0 <= index < count or len(span) < count:
        raise ValueError(f"no share {index} of {count} in ports {span.start}-{span.stop - 1}")
    size = len(span) // count
    return range(span.start + index * size, span.start + (index + 1) * size)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now, for a server about to start. The span is walked in turn from a
    random place, so a port comes back only after every other one of the span was handed out: two
    servers picked before either started never share one."""
    span = sandbox_ports()
    with _HANDING:
        cursor = _cursor.get(span, random.randrange(len(span)))
        for step in range(len(span)):
            port = span[(cursor + step) % len(span)]
            with socket.socket() as s:
                try:
                    s.bind((host, port))
                except OSError:
                    continue
            _cursor[span] = (cursor + step + 1) % len(span)
            return port
    raise RuntimeError(f"no free port in {span.start}-{span.stop - 1} ({PORTS_VARIABLE}) on {host}")


class ServerThread:
    """An ASGI app served by uvicorn in a daemon thread; `url` is where it listens."""

    def __init__(self, app, host: str = "127.0.0.1", port: int | None = None, log_level: str = "warning"):
        self.host = host
        self.port = port or free_port(host)
        config = uvicorn.Config(
            app,
            host=host,
            port=self.port,
            log_level=log_level,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"uvicorn:{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.url} did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class Served:
    name: str
    app: object
    port: int


class _QuietServer(uvicorn.Server):
    """A server that leaves signals to `run_servers`, which stops every server on the first one."""

    @contextmanager
    def capture_signals(self):
        yield


def run_servers(apps: Sequence[Served], host: str = "127.0.0.1", log_level: str = "info") -> None:
    """Serves every app on its own port until interrupted (Ctrl-C / SIGTERM)."""
    servers = [
        _QuietServer(
            uvicorn.Config(
                a.app,
                host=host,
                port=a.port,
                log_level=log_level,
                lifespan="off",
                timeout_graceful_shutdown=2,
            )
        )
        for a in apps
    ]

    def stop(*_):
        for server in servers:
            server.should_exit = True

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        await asyncio.gather(*(s.serve() for s in servers))

    asyncio.run(main())
