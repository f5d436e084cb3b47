"""The events lane on its own: it routes and handles events of any source that reads its own, with no
branch per channel, and gives a failing event another attempt, then the dead letter."""

import json
import logging
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from tiktok_pipelines.core.events import EventAction, InboundEvent, Notice
from tiktok_pipelines.core.models.auth import Grant
from tiktok_pipelines.lanes.events import EventHandler, EventSource, EventSources
from tiktok_pipelines.stores.channel_tokens import ChannelTokenStore
from tiktok_pipelines.stores.events import EventDeadLetter, EventLog
from tiktok_pipelines.stores.notifications import NotificationOutbox
from tiktok_pipelines.stores.queue import DbEventQueue
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines.stores.tiktok_auth import TikTokAuthStore
from tiktok_pipelines_tests.stores.test_registry import FIELDS

SHOP = "acme-shop-1"
GRANT = Grant(
    access_token=SecretStr("acme-access"),
    access_token_expires_at=datetime(2030, 1, 1, tzinfo=UTC),
    refresh_token=SecretStr("acme-refresh"),
    refresh_token_expires_at=datetime(2030, 6, 1, tzinfo=UTC),
    open_id=f"shop:{SHOP}",
)


class AcmeNotifications:
    """Another marketplace's notifications: `{"kind": ..., "order": ...}` bodies."""

    notification_source = "acme"

    def read_notification(self, event: InboundEvent) -> Notice:
        body = event.payload()
        if body["kind"] == "order":
            return Notice(EventAction.ORDER_STATUS, (body["order"],))
        if body["kind"] == "revoked":
            return Notice(EventAction.DEAUTHORIZED)
        if body["kind"] == "expiring":
            return Notice(EventAction.AUTHORIZATION_EXPIRING, expires_at=1767225600)
        return Notice(EventAction.UNKNOWN_TYPE)


def acme_event(n: int, kind: str = "order") -> InboundEvent:
    body = json.dumps({"kind": kind, "order": f"A-{n}"})
    return InboundEvent("acme", f"acme-{n}", kind, SHOP, datetime.now(UTC), body)


@pytest.fixture
def handler(registry, state_db):
    registry.add(build_client(**{**FIELDS, "client_id": "loja", "tiktok_shop_id": SHOP}))
    sources = EventSources(
        EventSource(AcmeNotifications(), client_field="tiktok_shop_id", name="Acme", channel="acme_market")
    )
    return EventHandler(
        state_db, sources, logging.getLogger("test"), max_attempts=2, retry_delays_seconds=(60,)
    )


def test_an_order_event_of_any_channel_waits_for_an_orders_run(handler, state_db):
    handled = handler.handle(acme_event(1))
    assert (handled.status, handled.client_id, handled.route.target) == ("pending", "loja", "orders")
    [logged] = EventLog(state_db).pending("loja", "orders")
    assert logged.key_list == ["A-1"] and logged.action == "order_status"
    assert handler.handle(acme_event(1)).status == "pending"  # redelivered while still pending
    assert len(EventLog(state_db).pending("loja", "orders")) == 1


def test_a_revoked_authorization_is_handled_at_once_on_that_channel_only(handler, registry, state_db):
    ChannelTokenStore(state_db, "acme_market").save_tokens("loja", GRANT)
    handled = handler.handle(acme_event(2, "revoked"))
    assert handled.status == "handled" and handled.route.target is None
    assert registry.get("loja").status == "active"  # the client's other channels go on
    assert ChannelTokenStore(state_db, "acme_market").status("loja").status == "needs_authorization"
    assert handler.handle(acme_event(5, "revoked")).status == "handled"
    [told] = NotificationOutbox(state_db).listing("loja")
    assert (told["kind"], told["channel"]) == ("authorization_lost", "acme_market")


def test_a_revoked_authorization_is_marked_in_the_store_of_the_source_s_grants(registry, state_db):
    registry.add(build_client(**{**FIELDS, "client_id": "loja", "tiktok_shop_id": SHOP}))
    vault = TikTokAuthStore(state_db, channel="acme_market")
    vault.save_tokens("loja", GRANT)
    source = EventSource(
        AcmeNotifications(),
        client_field="tiktok_shop_id",
        name="Acme",
        channel="acme_market",
        grants=lambda db: vault,
    )
    handler = EventHandler(state_db, EventSources(source), logging.getLogger("test"))
    assert handler.handle(acme_event(2, "revoked")).status == "handled"
    assert registry.get("loja").status == "active"
    assert "cancelled" in vault.status("loja").needs_authorization_reason
    assert ChannelTokenStore(state_db, "acme_market").status("loja") is None


def test_an_authorization_about_to_end_is_told_once_however_often_the_channel_warns(handler, state_db):
    for n in (3, 4):
        assert handler.handle(acme_event(n, "expiring")).status == "handled"
    [told] = NotificationOutbox(state_db).listing("loja")
    assert (told["kind"], told["channel"], told["dedup_key"]) == (
        "authorization_expiring",
        "acme_market",
        "authorization_expiring:acme_market:2026-01-01",
    )


def test_an_event_of_a_source_nobody_reads_fails_naming_it(handler):
    stray = InboundEvent("elsewhere", "x-1", "1", SHOP, datetime.now(UTC), "{}")
    with pytest.raises(ValueError, match="'elsewhere'"):
        handler.handle(stray)


def test_a_failing_event_is_tried_again_then_dead_lettered(handler, state_db):
    queue = DbEventQueue(state_db)
    queue.put(acme_event(3))
    [first] = queue.take(1)
    again = handler.failed(queue, first, KeyError("order"))
    assert not again.dead_lettered and "attempt 1 of 2, again in 60 s" in again.note
    assert queue.depth() == 1 and queue.take(1) == []  # waiting out its delay
    queue.retry_later(first.handle, 0)
    [second] = queue.take(1)
    letter = handler.failed(queue, second, KeyError("order"))
    assert letter.dead_lettered and queue.depth() == 0
    [dead] = EventDeadLetter(state_db).list()
    assert (dead.event_id, dead.client_id, dead.attempts) == ("acme-3", "loja", 2)
    assert dead.error == "KeyError: 'order'"
