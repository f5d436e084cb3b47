"""Runs sandbox apps on loopback: in a background thread (tests) or in the foreground (`sandbox up`)."""

from __future__ import annotations

import asyncio
import random
import signal
import socket
import threading
import time
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

# Ports handed out for servers that start a moment later. They are drawn below the kernel's ephemeral
# range (32768-60999 on Linux), where every outgoing connection and every bind to port 0 takes its
# port: a port picked there can be taken by anything on the machine before the server binds it.
# A port is handed out once per process, so that two servers picked before either started never share one.
_PICKED = range(20000, 32000)
_HANDED_OUT: set[int] = set()
_HANDING = threading.Lock()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now and this process has not handed out, for a server about to start."""
    with _HANDING:
        for _ in range(200):
            port = random.choice(_PICKED)
            if port in _HANDED_OUT:
                continue
            with socket.socket() as s:
                try:
                    s.bind((host, port))
                except OSError:
                    continue
            _HANDED_OUT.add(port)
            return port
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


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
