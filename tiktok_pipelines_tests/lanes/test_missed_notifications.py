"""Shopee's lost pushes taken as the events they were, against the strict emulator: the same event as
the live push (so one seen both ways is one event), queued before the page is confirmed (a pass that
dies in between loses nothing and queues nothing twice), every page taken, an unreadable message kept in
the dead letter; and what the pushes beyond order statuses tell the lanes (codes 8, 15, unknown ones)."""

from __future__ import annotations

import json
import logging

import pytest

from tiktok_pipelines.core.events import EventAction
from tiktok_pipelines.defs.events.sensors import EVENT_SOURCES
from tiktok_pipelines.lanes.events import EventHandler
from tiktok_pipelines.lanes.missed_notifications import take_missed
from tiktok_pipelines.stores.events import EventDeadLetter, EventLog
from tiktok_pipelines.stores.listings import ListingMap
from tiktok_pipelines.stores.queue import DbEventQueue
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.channels.shopee.test_channel import channel_of
from tiktok_pipelines_tests.sandbox.shopee_support import (
    SHOP_ID,
    Receiver,
    save_shop_grant,
    served,
    wait_for,
)
from tiktok_pipelines_tests.sandbox.test_shopee_pushes import pushed, seed_item
from tiktok_pipelines_tests.stores.test_registry import FIELDS

log = logging.getLogger("test")


def lost_orders(emu, receiver, count):
    """`count` orders whose pushes the receiver fails until Shopee gives up on them (listed as lost)."""
    pushed(emu, receiver, push_retry_schedule=(1.0,))
    item_id = seed_item(emu)
    order_sns = [emu.create_order(SHOP_ID, [(item_id, 0, 1)]) for _ in range(count)]
    wait_for(lambda: emu.pushes.pending() == 0, timeout=30)
    assert {d.state for d in emu.pushes.deliveries} == {"lost"}
    return order_sns


def queued(state_db):
    return [q.event for q in DbEventQueue(state_db).take(10_000)]


def test_a_lost_push_is_the_event_its_live_delivery_was(state_db):
    with served() as (emu, _), Receiver("error") as receiver:
        [order_sn] = lost_orders(emu, receiver, 1)
        channel = channel_of(emu, receiver.url)
        _, live_body = receiver.received[-1]
        signed = {"authorization": receiver.received[-1][0]["authorization"]}
        live = channel.parse_notification(live_body, signed)
        [missed] = channel.missed_notifications().notifications
        assert missed.event is not None
        assert (missed.event.event_id, missed.event.body) == (live.event_id, live.body)
        assert (
            missed.event.event_id
            == f"3:{order_sn}:UNPAID:{emu.shops[SHOP_ID].orders[order_sn]['update_time']}"
        )
        # Any other code: the same content is the same event however it is serialized.
        data = {"shop_id": SHOP_ID, "item_id": 1, "model_id": 0, "action": "promotion_reserve"}
        body = {"data": data, "shop_id": SHOP_ID, "code": 8, "timestamp": 1764900000}
        compact = json.dumps(body, separators=(",", ":")).encode()
        spaced = json.dumps(dict(reversed(body.items())), indent=1).encode()
        from tiktok_pipelines.channels.shopee.notifications import parse_shopee_push

        assert parse_shopee_push(compact).event_id == parse_shopee_push(spaced).event_id


def test_lost_pushes_are_queued_once_and_confirmed_only_once_queued(state_db):
    with served() as (emu, api), Receiver("error") as receiver:
        order_sns = lost_orders(emu, receiver, 130)
        channel = channel_of(emu, receiver.url)
        queue, dead = DbEventQueue(state_db), EventDeadLetter(state_db)

        class Crash(Exception):
            pass

        confirm = channel.confirm_missed
        channel.confirm_missed = lambda page: (_ for _ in ()).throw(Crash())  # dies before it confirms
        with pytest.raises(Crash):
            take_missed(channel, queue, dead, lambda _: None, log)
        assert queue.depth() == 100  # the first page is durable before any confirmation
        channel.confirm_missed = confirm
        report = take_missed(channel, queue, dead, lambda _: None, log)
        assert (report.pages, report.listed, report.queued, report.more) == (2, 130, 30, False)
        events = queued(state_db)
        assert sorted(json.loads(e.body)["data"]["ordersn"] for e in events) == sorted(order_sns)
        assert len({e.event_id for e in events}) == 130
        assert api.ok(api.public("GET", "/api/v2/push/get_lost_push_message"))["push_message_list"] == []
        assert take_missed(channel, queue, dead, lambda _: None, log).listed == 0


def test_a_lost_push_that_cannot_be_read_goes_to_the_dead_letter_and_the_others_are_queued(state_db):
    with served() as (emu, api), Receiver("error") as receiver:
        order_sns = lost_orders(emu, receiver, 2)
        with emu.pushes.cond:
            emu.pushes.lost.append(
                {
                    "message_id": emu.pushes.lost[-1]["message_id"] + 1,
                    "shop_id": SHOP_ID,
                    "code": 3,
                    "timestamp": emu.pushes.lost[0]["timestamp"],
                    "data": "{not json",
                    "consumed": False,
                }
            )
        channel = channel_of(emu, receiver.url)
        report = take_missed(
            channel, DbEventQueue(state_db), EventDeadLetter(state_db), lambda _: "loja", log
        )
        assert (report.listed, report.queued, report.dead_lettered) == (3, 2, 1)
        assert sorted(json.loads(e.body)["data"]["ordersn"] for e in queued(state_db)) == sorted(order_sns)
        [letter] = EventDeadLetter(state_db).list(status="open")
        assert "not JSON" in letter.error and letter.client_id == "loja"
        assert api.ok(api.public("GET", "/api/v2/push/get_lost_push_message"))["push_message_list"] == []


@pytest.fixture
def shopee_client(registry, state_db):
    """A client whose Shopee grant names the emulator's shop."""
    registry.add(build_client(**{**FIELDS, "client_id": "loja"}))
    save_shop_grant(state_db, "loja")
    return "loja"


def delivered(emu, receiver, make):
    """The push `make()` has the emulator send, as the receiver's verification reads it."""
    pushed(emu, receiver)
    before = len(receiver.received)
    make()
    wait_for(lambda: len(receiver.received) > before)
    headers, body = receiver.received[-1]
    return channel_of(emu, receiver.url).parse_notification(body, headers)


def test_a_reserved_stock_change_asks_the_stock_lane_for_the_items_vtex_skus(shopee_client, state_db):
    with served() as (emu, _), Receiver("ok") as receiver:
        item_id = seed_item(emu)
        ListingMap(state_db, "shopee").save_listing(
            "loja", "p1", str(item_id), "NORMAL", "h", {"1234": f"{item_id}:0"}
        )
        handler = EventHandler(state_db, EVENT_SOURCES, log)
        event = delivered(emu, receiver, lambda: emu.reserve_for_promotion(SHOP_ID, item_id, 0, 2))
        handled = handler.handle(event)
        assert (handled.status, handled.route.target) == ("pending", "stock_price")
        [logged] = EventLog(state_db).pending("loja", "stock_price")
        assert logged.key_list == ["1234"] and logged.action == EventAction.CHANNEL_STOCK
        # An item the client does not list here is recorded, and asks nothing of the stock lane.
        ListingMap(state_db, "shopee").mark_deleted("loja", "p1")
        other = delivered(emu, receiver, lambda: emu.reserve_for_promotion(SHOP_ID, item_id, 0, -1))
        assert (handler.handle(other).status, len(EventLog(state_db).pending("loja", "stock_price"))) == (
            "ignored",
            1,
        )


def test_a_shipping_document_push_is_news_of_the_orders_package_and_an_unknown_code_is_only_recorded(
    shopee_client, state_db
):
    import time

    from tiktok_pipelines.channels.shopee.client import push_signature

    with served() as (emu, _), Receiver("ok") as receiver:
        channel = channel_of(emu, receiver.url)
        handler = EventHandler(state_db, EVENT_SOURCES, log)
        for code, data in (
            (15, {"ordersn": "2612050ABC", "package_number": "OFG2612050ABC", "status": "READY"}),
            (5, {"content": "Shopee updates"}),
        ):
            body = json.dumps(
                {"data": data, "shop_id": SHOP_ID, "code": code, "timestamp": int(time.time())},
                separators=(",", ":"),
            ).encode()
            signed = {"authorization": push_signature(emu.config.partner_key, receiver.url, body)}
            handler.handle(channel.parse_notification(body, signed))
        [package] = EventLog(state_db).pending("loja", "fulfilment")
        assert package.key_list == ["2612050ABC"] and package.action == EventAction.PACKAGE_UPDATE
        assert EventLog(state_db).count(client_id="loja", event_type="5", status="ignored") == 1
