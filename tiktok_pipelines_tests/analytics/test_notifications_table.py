"""The `notifications` table: the state DB's outbox counted per client, channel, day and kind, with its
deliveries per state, no personal data, and a build that notices when the outbox moves on."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest

from tiktok_pipelines.analytics.refresh import inputs_fingerprint, refresh
from tiktok_pipelines.core.notifications import Notice, NotificationKind
from tiktok_pipelines.stores.notification_destinations import NotificationDestinations
from tiktok_pipelines.stores.notifications import NotificationOutbox
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.analytics.conftest import rows, utc
from tiktok_pipelines_tests.stores.test_registry import FIELDS

CLIENT = FIELDS["client_id"]
RECORDED = utc(2026, 3, 10, 14)  # 11:00 in São Paulo
BUYER = "Maria da Silva"


@pytest.fixture
def outbox(state_db, registry) -> NotificationOutbox:
    registry.add(build_client(**FIELDS))
    destinations = NotificationDestinations(state_db)
    destinations.add(
        CLIENT, "email", "mailto://user:secret@smtp.example.com", kinds=["order_failed", "run_failed"]
    )
    destinations.add(CLIENT, "chat", "json://127.0.0.1:9/hook", kinds=["order_placed", "order_failed"])
    return NotificationOutbox(state_db)


def placed(n: int) -> Notice:
    return Notice(
        CLIENT,
        NotificationKind.ORDER_PLACED,
        f"order_placed:tiktok_shop:{n}",
        {"order_id": str(n), "buyer": BUYER},
        channel="tiktok_shop",
    )


def send(outbox: NotificationOutbox, count: int, at) -> None:
    due = [d.id for d in outbox.due(at, 500)][:count]
    outbox.delivered(outbox.claim(due, "sender", 60, at), "sender", at + timedelta(seconds=4))


def build(resources, db, tmp_path) -> list[dict]:
    path = tmp_path / "analytics.duckdb"
    refresh(resources["lake"], db, path, as_of=RECORDED + timedelta(hours=2))
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        assert BUYER not in str(con.execute("SELECT * FROM notifications").fetchall())
        return rows(con, "SELECT * FROM notifications ORDER BY kind")
    finally:
        con.close()


def test_the_outbox_is_counted_per_kind_and_channel_with_its_deliveries_per_state(
    outbox, state_db, resources, tmp_path
):
    outbox.record([placed(n) for n in range(3)], now=RECORDED)
    failed = Notice(
        CLIENT, NotificationKind.ORDER_FAILED, "order_failed:tiktok_shop:9:sku", channel="tiktok_shop"
    )
    outbox.record([failed], now=RECORDED)
    outbox.record([Notice(CLIENT, NotificationKind.RUN_FAILED, "run_failed:r1")], now=RECORDED)
    outbox.record(
        [
            Notice(
                CLIENT,
                NotificationKind.DAILY_SALES,
                "daily_sales:tiktok_shop:2026-03-10",
                channel="tiktok_shop",
            )
        ],
        now=RECORDED,
    )  # no destination wants it
    send(outbox, 2, RECORDED)  # two of the three order_placed deliveries to the chat
    outbox.give_up_older_than(RECORDED + timedelta(seconds=1), RECORDED + timedelta(days=3))

    table = {r["kind"]: r for r in build(resources, state_db, tmp_path)}

    assert set(table) == {"order_placed", "order_failed", "run_failed", "daily_sales"}
    order_placed = table["order_placed"]
    assert (order_placed["client_id"], order_placed["channel"], str(order_placed["day"])) == (
        CLIENT,
        "tiktok_shop",
        "2026-03-10",
    )
    assert (order_placed["notifications"], order_placed["deliveries"]) == (3, 3)
    assert (order_placed["delivered"], order_placed["failed"], order_placed["pending"]) == (2, 1, 0)
    assert order_placed["delivery_p95_seconds"] == pytest.approx(4.0)
    assert (table["order_failed"]["deliveries"], table["order_failed"]["failed"]) == (2, 2)
    assert table["run_failed"]["channel"] is None and table["run_failed"]["deliveries"] == 1
    assert (table["daily_sales"]["notifications"], table["daily_sales"]["unrouted"]) == (1, 1)
    assert table["daily_sales"]["deliveries"] == 0


def test_the_build_notices_when_the_outbox_moves_on(outbox, state_db, resources):
    lake = resources["lake"]
    empty = inputs_fingerprint(lake, state_db)
    outbox.record([placed(1)], now=RECORDED)
    recorded = inputs_fingerprint(lake, state_db)
    assert recorded != empty
    send(outbox, 1, RECORDED)
    assert inputs_fingerprint(lake, state_db) != recorded
