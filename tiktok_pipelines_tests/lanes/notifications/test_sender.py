"""The sender against a real SMTP server and an HTTP chat sink on loopback."""

from __future__ import annotations

import logging
import random

import pytest

from tiktok_pipelines.core.notifications import Notice, NotificationKind
from tiktok_pipelines.lanes.notifications.sender import NotificationSender, SenderOptions
from tiktok_pipelines.stores.notifications import NotificationOutbox

from .conftest import CLIENT, wait_for

RUN_ID = "0f5c2a8e-9d51-4c61-8f0e-2b7a1c3d4e5f"


def order_notice(order_id: str = "576461413038785752") -> Notice:
    return Notice(
        CLIENT,
        NotificationKind.ORDER_PLACED,
        f"order_placed:tiktok_shop:{order_id}",
        {"order_id": order_id, "vtex_order_id": f"TTS-{order_id}-01", "total": "259.80", "currency": "BRL"},
        channel="tiktok_shop",
        link=f"/runs/{RUN_ID}",
    )


def sender(state_db, clock, **options) -> NotificationSender:
    opts = {"digest_seconds": 0, "ui_base_url": "http://dagster.example:3000", **options}
    return NotificationSender(state_db, SenderOptions(**opts), clock=clock, rng=random.Random(7))


def test_an_order_reaches_the_mailbox_and_the_chat_saying_what_for_whom_where_and_with_a_link(
    state_db, destinations, inbox, clock
):
    NotificationOutbox(state_db).record([order_notice()], clock())

    report = sender(state_db, clock).run()

    assert report.delivered == 2 and report.messages == 2
    assert wait_for(lambda: len(inbox.mail) == 1 and len(inbox.chat) == 1)
    mail = inbox.mail[0]
    assert mail["to"] == ["ops@demo.local"]
    assert mail["subject"] == "[loja] Novo pedido · TikTok Shop"
    assert "Cliente: loja · Canal: TikTok Shop" in mail["body"]
    assert "Pedido 576461413038785752 → VTEX TTS-576461413038785752-01: 259.80 BRL" in mail["body"]
    assert f"http://dagster.example:3000/runs/{RUN_ID}" in mail["body"]
    chat = inbox.chat[0]
    assert chat["hook"] == "ops"
    assert chat["payload"]["title"] == mail["subject"]
    assert "576461413038785752" in chat["payload"]["message"]


def test_the_same_change_recorded_twice_is_one_notification_and_one_message(
    state_db, destinations, inbox, clock
):
    outbox = NotificationOutbox(state_db)
    assert len(outbox.record([order_notice()], clock())) == 1
    assert outbox.record([order_notice()], clock()) == []

    sender(state_db, clock).run()
    sender(state_db, clock).run()

    assert wait_for(lambda: len(inbox.mail) == 1)
    assert len(inbox.chat) == 1 and len(inbox.mail) == 1


def test_five_hundred_stock_outs_are_one_digest_per_destination(state_db, destinations, inbox, clock):
    outbox = NotificationOutbox(state_db)
    notices = [
        Notice(
            CLIENT,
            NotificationKind.OUT_OF_STOCK,
            f"out_of_stock:tiktok_shop:SKU-{i:04d}:1",
            {"seller_sku": f"SKU-{i:04d}"},
            channel="tiktok_shop",
        )
        for i in range(500)
    ]
    outbox.record(notices[:200], clock())
    clock.advance(seconds=5)
    outbox.record(notices[200:], clock())
    waiting = sender(state_db, clock, digest_seconds=30).run()
    assert waiting.messages == 0 and waiting.waiting == 1000

    clock.advance(seconds=30)
    report = sender(state_db, clock, digest_seconds=30).run()

    assert report.messages == 2 and report.delivered == 1000
    assert wait_for(lambda: len(inbox.mail) == 1 and len(inbox.chat) == 1)
    mail = inbox.mail[0]
    assert mail["subject"] == "[loja] Produto sem estoque · TikTok Shop (500)"
    assert "- SKU SKU-0000 sem estoque" in mail["body"]
    assert "- SKU SKU-0049 sem estoque" in mail["body"]
    assert "SKU-0050" not in mail["body"]
    assert "- e mais 450" in mail["body"]


def test_a_destination_down_for_an_hour_gets_everything_once_when_it_is_back(
    state_db, destinations, inbox, clock
):
    outbox = NotificationOutbox(state_db)
    inbox.chat_down = True
    outbox.record([order_notice("1001")], clock())
    attempts = 0
    start = clock()
    while clock() - start < __import__("datetime").timedelta(hours=1):
        report = sender(state_db, clock).run()
        attempts += report.retried
        if (
            clock() - start > __import__("datetime").timedelta(minutes=20)
            and len([r for r in outbox.listing(CLIENT) if r["state"] == "pending"]) == 1
        ):
            outbox.record([order_notice("1002")], clock())  # orders keep coming while it is down
        clock.advance(seconds=30)
    # Retried with growing delays, not every tick: far fewer attempts than the 120 ticks of the hour.
    assert 3 <= attempts <= 20
    assert inbox.chat == []
    assert len(inbox.mail) == 2  # the mailbox was up all along

    inbox.chat_down = False
    clock.advance(minutes=31)  # past the longest delay
    sender(state_db, clock).run()
    sender(state_db, clock).run()

    assert wait_for(lambda: len(inbox.chat) >= 1)
    orders = [line for m in inbox.chat for line in m["payload"]["message"].splitlines() if "Pedido" in line]
    assert sorted(o.split()[2] for o in orders) == ["1001", "1002"]
    assert outbox.counts(CLIENT)["pending"] == 0 and outbox.counts(CLIENT)["failed"] == 0
    assert outbox.counts(CLIENT)["delivered"] == 4


def test_a_sender_killed_mid_delivery_leaves_it_to_the_next_after_the_lease(
    state_db, destinations, inbox, clock
):
    outbox = NotificationOutbox(state_db)
    outbox.record([order_notice()], clock())
    due = outbox.due(clock(), 100)
    # The first sender claims both deliveries and dies before sending or settling them.
    assert len(outbox.claim([d.id for d in due], "sender:dead", 120, clock())) == 2

    early = sender(state_db, clock, lease_seconds=120).run()
    assert early.delivered == 0 and inbox.mail == []

    clock.advance(seconds=121)
    late = sender(state_db, clock, lease_seconds=120).run()
    again = sender(state_db, clock, lease_seconds=120).run()

    assert late.delivered == 2 and again.delivered == 0
    assert wait_for(lambda: len(inbox.mail) == 1 and len(inbox.chat) == 1)
    assert len(inbox.mail) == 1 and len(inbox.chat) == 1


def test_quiet_hours_hold_messages_and_deliver_them_when_they_end(state_db, destinations, inbox, clock):
    destinations.add(CLIENT, "email", destinations_url(destinations), quiet_hours="22:00-07:00", replace=True)
    clock.now = clock.now.replace(hour=2)  # 23:00 in São Paulo
    NotificationOutbox(state_db).record([order_notice()], clock())

    night = sender(state_db, clock).run()
    assert night.held == 1 and night.delivered == 1  # the chat has no quiet hours
    clock.advance(hours=3)  # 02:00 local
    assert sender(state_db, clock).run().delivered == 0
    assert inbox.mail == []

    clock.advance(hours=5, seconds=1)  # 07:00:01 local
    morning = sender(state_db, clock).run()

    assert morning.delivered == 1
    assert wait_for(lambda: len(inbox.mail) == 1)


def destinations_url(destinations) -> str:
    return destinations.url(destinations.find(CLIENT, "email").id)


def test_a_disabled_destination_gets_nothing_and_the_others_go_on(state_db, destinations, inbox, clock):
    destinations.set_enabled(CLIENT, "chat", False)
    NotificationOutbox(state_db).record([order_notice()], clock())

    report = sender(state_db, clock).run()

    assert report.delivered == 1
    assert wait_for(lambda: len(inbox.mail) == 1)
    assert inbox.chat == []


def test_a_destination_never_back_is_given_up_after_the_maximum_age_and_counted(
    state_db, destinations, inbox, clock
):
    outbox = NotificationOutbox(state_db)
    inbox.chat_down = True
    outbox.record([order_notice()], clock())
    for _ in range(60):
        sender(state_db, clock, max_age_hours=2).run()
        clock.advance(minutes=5)

    counts = outbox.counts(CLIENT)
    assert counts["failed"] == 1 and counts["delivered"] == 1 and counts["pending"] == 0
    (failed,) = outbox.failed(CLIENT)
    assert failed["destination"] == "chat" and "503" in failed["last_error"]

    inbox.chat_down = False
    assert outbox.retry_failed(CLIENT, clock()) == 1
    assert sender(state_db, clock, max_age_hours=2).run().delivered == 1


def test_no_part_of_a_destination_url_reaches_the_logs_or_the_errors(
    state_db, destinations, inbox, clock, caplog
):
    inbox.chat_down = True
    NotificationOutbox(state_db).record([order_notice()], clock())

    with caplog.at_level(logging.DEBUG):
        report = sender(state_db, clock).run()

    assert report.retried == 1
    stored = NotificationOutbox(state_db).listing(CLIENT, states=("pending",))
    texts = [caplog.text, *report.errors, *(r["last_error"] or "" for r in stored)]
    assert all("s3cr3t-hook-token" not in t for t in texts)
    assert "503" in stored[0]["last_error"]


@pytest.mark.parametrize("language", ["pt", "en"])
def test_messages_come_in_the_configured_language(state_db, destinations, inbox, clock, language):
    NotificationOutbox(state_db).record([order_notice()], clock())
    sender(state_db, clock, language=language).run()
    assert wait_for(lambda: len(inbox.mail) == 1)
    assert inbox.mail[0]["subject"].startswith(
        "[loja] Novo pedido" if language == "pt" else "[loja] New order"
    )
