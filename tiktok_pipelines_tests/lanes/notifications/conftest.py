"""A real SMTP server and a chat-webhook sink on loopback, a client, and a clock the test moves."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tiktok_pipelines.sandbox.notification_sinks import Inbox, MailSink, create_chat_sink_app
from tiktok_pipelines.sandbox.server import ServerThread
from tiktok_pipelines.stores.notification_destinations import NotificationDestinations
from tiktok_pipelines.stores.registry import build_client

CLIENT = "loja"


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


@pytest.fixture
def clock() -> Clock:
    # 15:00 in São Paulo: outside any evening quiet hours.
    return Clock(datetime(2026, 3, 10, 18, 0, tzinfo=UTC))


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def mail_sink(inbox: Inbox) -> Iterator[MailSink]:
    sink = MailSink(inbox).start()
    yield sink
    sink.stop()


@pytest.fixture
def chat_sink(inbox: Inbox) -> Iterator[ServerThread]:
    with ServerThread(create_chat_sink_app(inbox)) as server:
        yield server


def register_client(registry) -> str:
    """Registers the client `loja` (a VTEX store; no shop needed to be told things)."""
    fields = {
        "feed_url": "https://loja.example/feed.xml",
        "vtex_account": CLIENT,
        "vtex_warehouse_ids": ("1_1",),
    }
    registry.add(build_client(client_id=CLIENT, vtex_app_key="k", vtex_app_token="t", **fields))
    return CLIENT


@pytest.fixture
def client(registry) -> str:
    return register_client(registry)


@pytest.fixture
def destinations(state_db, client, mail_sink, chat_sink) -> NotificationDestinations:
    """The client's mailbox and chat hook (the hook's URL carries a token, as real ones do)."""
    dest = NotificationDestinations(state_db)
    dest.add(client, "email", mail_sink.apprise_url())
    dest.add(client, "chat", f"json://127.0.0.1:{chat_sink.port}/hooks/ops?token=s3cr3t-hook-token")
    return dest


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
