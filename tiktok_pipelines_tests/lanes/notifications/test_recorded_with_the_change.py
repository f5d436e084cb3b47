"""A notification is recorded in the transaction of the change it tells of: both or neither, and once."""

from datetime import UTC, datetime, timedelta

import pytest

from tiktok_pipelines.channels.base.errors import ChannelAuthError
from tiktok_pipelines.core.events import InboundEvent
from tiktok_pipelines.core.notifications import Notice, NotificationKind
from tiktok_pipelines.lanes.tokens import TokenManager
from tiktok_pipelines.stores.db import utcnow
from tiktok_pipelines.stores.events import EventDeadLetter
from tiktok_pipelines.stores.fulfilment import FulfilmentStore
from tiktok_pipelines.stores.notifications import NotificationOutbox, record_notices
from tiktok_pipelines.stores.orders import OrderStore, orders_table
from tiktok_pipelines.stores.tiktok_auth import TikTokAuthStore
from tiktok_pipelines_tests.lanes.test_token_service import AcmeAuth

from .conftest import CLIENT


def kinds(state_db) -> list[tuple[str, str]]:
    return [(r["kind"], r["state"]) for r in NotificationOutbox(state_db).listing(CLIENT)]


def test_a_notification_commits_or_rolls_back_with_the_change_it_tells_of(state_db, client):
    orders = OrderStore(state_db)
    orders.mark_for_sync(CLIENT, ["A"], "order_status")
    placed = Notice(CLIENT, NotificationKind.ORDER_PLACED, "order_placed:tiktok_shop:A", {"order_id": "A"})

    with pytest.raises(RuntimeError), state_db.begin() as conn:
        record_notices(conn, [placed])
        conn.execute(orders_table.update().values(state="placed"))
        raise RuntimeError("the process dies before the commit")
    assert orders.get(CLIENT, "A").state == "pending" and NotificationOutbox(state_db).listing() == []

    orders.update(CLIENT, "A", state="placed", vtex_order_id="TTS-A", notices=[placed])
    assert orders.get(CLIENT, "A").state == "placed"
    assert [r["kind"] for r in NotificationOutbox(state_db).listing()] == ["order_placed"]


def test_a_notice_for_a_client_no_longer_registered_never_fails_the_change(state_db, client):
    orders = OrderStore(state_db)
    orders.mark_for_sync(CLIENT, ["A"], "order_status")
    stranger = Notice("nobody", NotificationKind.ORDER_PLACED, "order_placed:tiktok_shop:A", {})
    orders.update(CLIENT, "A", state="placed", notices=[stranger])
    assert orders.get(CLIENT, "A").state == "placed"


def test_a_fulfilment_dead_letter_is_told_once_however_often_it_recurs(state_db, destinations):
    store = FulfilmentStore(state_db)
    for _ in range(3):
        store.dead_letter(CLIENT, "invoice", "xml_invalid", "NF-e 3526... has no protNFe", package_id="P1")
    store.dead_letter(CLIENT, "shipment", "ship_failed", "TikTok answered 21011001", package_id="P2")

    assert sorted(kinds(state_db)) == [
        ("invoice_failed", "pending"),
        ("invoice_failed", "pending"),
        ("shipment_failed", "pending"),
        ("shipment_failed", "pending"),
    ]  # one each, for each of the two destinations


def test_an_event_in_the_dead_letter_is_told_to_its_client(state_db, destinations):
    event = InboundEvent("tiktok", "7301", "4", "SHOP1", utcnow(), "{}")
    EventDeadLetter(state_db).add(event, CLIENT, 3, "KeyError: 'order_id'")
    EventDeadLetter(state_db).add(event, None, 3, "no client for shop SHOP1")  # no one to tell

    (row, _) = NotificationOutbox(state_db).listing(CLIENT)
    assert row["kind"] == "webhook_dead_letter"


def test_a_refused_renewal_tells_the_client_that_the_seller_must_authorize_again(
    registry, state_db, destinations
):
    vault, channel = TikTokAuthStore(state_db, channel="acme"), AcmeAuth()  # the vault of Acme's grants
    registry.update(CLIENT, tiktok_shop_code="BRLOJA01")
    vault.record_auth_code(CLIENT, "code-1")
    manager = TokenManager(vault, registry, channel)
    assert manager.run().associated == [CLIENT]

    channel.refresh_error = ChannelAuthError("refresh token revoked")
    later = datetime.now(UTC) + timedelta(days=6)
    manager.run(now=later)
    manager.run(now=later)

    rows = NotificationOutbox(state_db).listing(CLIENT)
    assert {(r["kind"], r["channel"]) for r in rows} == {("authorization_lost", "acme")}
    assert len(rows) == 2  # once, to each destination


def test_a_grant_that_ends_within_a_week_is_told_once_per_end_date(registry, state_db, destinations):
    vault, channel = TikTokAuthStore(state_db), AcmeAuth()
    registry.update(CLIENT, tiktok_shop_code="BRLOJA01")
    vault.record_auth_code(CLIENT, "code-1")
    manager = TokenManager(vault, registry, channel)
    assert manager.run().expiring == []  # 30 days left
    ends = vault.get_tokens(CLIENT).refresh_token_expires_at

    report = manager.run(now=ends - timedelta(days=6))
    manager.run(now=ends - timedelta(days=2))
    assert report.expiring == [CLIENT]
    rows = NotificationOutbox(state_db).listing(CLIENT)
    assert {(r["kind"], r["dedup_key"]) for r in rows} == {
        ("authorization_expiring", f"authorization_expiring:acme:{ends:%Y-%m-%d}")
    }
    assert len(rows) == 2  # once, to each destination
