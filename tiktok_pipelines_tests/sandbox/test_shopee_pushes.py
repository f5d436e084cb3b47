"""The Shopee emulator's pushes (reference §7): signed over `url|body`, acknowledged only by a 2xx with an
empty body, retried otherwise, lost ones listed until confirmed, and the subscription disabled once fewer
than 30 % of deliveries succeed, so a slow or chatty receiver shows up in tests."""

import json

from tiktok_pipelines_tests.sandbox.shopee_support import SHOP_ID, Receiver, hmac_hex, served, wait_for

FAST = {"push_retry_schedule": (1.0, 1.0, 1.0), "push_time_factor": 0.01}


def pushed(emu, receiver, **settings):
    """The emulator's pushes pointed at `receiver`, with `settings`."""
    emu.config.push_url = receiver.url
    for key, value in (FAST | settings).items():
        setattr(emu.config, key, value)


def order_push(emu):
    """An order status push (code 3): a buyer's order of the shop's one item."""
    return emu.create_order(SHOP_ID, [(seed_item(emu), 0, 1)])


def seed_item(emu):
    shop = emu.shops[SHOP_ID]
    if not shop.items:
        emu.store_image(b"\x89PNG\r\n\x1a\n" + b"0" * 8)
        leaf = next(c for c in emu.categories.values() if not c.children and c.attributes[0]["is_mandatory"])
        emu.add_item(
            shop,
            {
                "item_name": "Item",
                "description": "d",
                "original_price": 10.0,
                "weight": 0.1,
                "category_id": leaf.category_id,
                "image": {"image_id_list": list(emu.images)[:1]},
                "logistic_info": [{"logistic_id": 90003, "enabled": True}],
                "seller_stock": [{"stock": 10_000}],
                "attribute_list": [
                    {
                        "attribute_id": a["attribute_id"],
                        "attribute_value_list": [{"value_id": a["attribute_value_list"][0]["value_id"]}],
                    }
                    for a in leaf.attributes
                    if a["is_mandatory"]
                ],
            },
        )
    return next(iter(shop.items))


def test_a_push_is_signed_over_url_and_body_and_an_empty_2xx_acknowledges_it():
    with served() as (emu, _), Receiver("ok") as receiver:
        pushed(emu, receiver)
        order_sn = order_push(emu)
        wait_for(lambda: emu.pushes.deliveries and emu.pushes.deliveries[-1].state == "delivered")
        headers, body = receiver.received[-1]
        assert headers["authorization"] == hmac_hex(
            emu.config.partner_key, receiver.url.encode() + b"|" + body
        )
        message = json.loads(body)
        assert list(message) == ["data", "shop_id", "code", "timestamp"]
        assert message["code"] == 3 and message["shop_id"] == SHOP_ID
        assert message["data"]["ordersn"] == order_sn and message["data"]["status"] == "UNPAID"
        assert len(receiver.received) == 1


def test_a_chatty_receiver_is_retried_and_its_push_is_lost_then_listed_until_confirmed():
    with served() as (emu, api), Receiver("chatty") as receiver:
        pushed(emu, receiver)
        order_sn = order_push(emu)
        wait_for(lambda: emu.pushes.deliveries and emu.pushes.deliveries[-1].state == "lost")
        delivery = emu.pushes.deliveries[-1]
        assert [a["status"] for a in delivery.attempts] == [200, 200, 200, 200]
        assert all(not a["ok"] and a["body_bytes"] > 0 for a in delivery.attempts)
        lost = api.ok(api.public("GET", "/api/v2/push/get_lost_push_message"))
        assert [(m["code"], m["shop_id"]) for m in lost["push_message_list"]] == [(3, SHOP_ID)]
        # `data` is the push as it was sent (the reference's sample), byte for byte.
        assert lost["push_message_list"][0]["data"].encode() == receiver.received[-1][1]
        assert json.loads(lost["push_message_list"][0]["data"])["data"]["ordersn"] == order_sn
        api.ok(
            api.public(
                "POST",
                "/api/v2/push/confirm_consumed_lost_push_message",
                json={"last_message_id": lost["last_message_id"]},
            )
        )
        assert api.ok(api.public("GET", "/api/v2/push/get_lost_push_message"))["push_message_list"] == []
        unknown = api.public(
            "POST", "/api/v2/push/confirm_consumed_lost_push_message", json={"last_message_id": 999}
        )
        assert unknown.json()["error"] == "error_param"


def test_a_failing_then_healthy_receiver_gets_the_push_on_a_retry():
    with served() as (emu, _), Receiver(["error", "ok"]) as receiver:
        pushed(emu, receiver)
        order_push(emu)
        wait_for(lambda: emu.pushes.deliveries and emu.pushes.deliveries[-1].state == "delivered")
        assert [a["status"] for a in emu.pushes.deliveries[-1].attempts] == [500, 204]


def test_a_slow_receiver_fails_its_deliveries():
    with served() as (emu, _), Receiver("slow") as receiver:
        pushed(emu, receiver, push_timeout_s=0.1, push_retry_schedule=(1.0,))
        order_push(emu)
        wait_for(lambda: emu.pushes.deliveries and emu.pushes.deliveries[-1].state == "lost")
        assert [a.get("error") for a in emu.pushes.deliveries[-1].attempts] == ["ReadTimeout", "ReadTimeout"]


def test_pushes_are_disabled_below_thirty_percent_success_until_the_config_is_set_again():
    with served() as (emu, api), Receiver(["ok", "error"]) as receiver:
        pushed(emu, receiver, push_retry_schedule=(), push_health_min_pushes=10)
        for _ in range(12):
            order_push(emu)
        wait_for(lambda: emu.pushes.health()["disabled"])
        health = emu.pushes.health()
        # More than the minimum (reference §7: "more than 600 ... in the past 6 hours").
        assert health["success_rate"] < 0.3 and health["window_pushes"] == 11
        arrived = len(receiver.received)
        order_push(emu)
        assert emu.pushes.deliveries[-1].state == "not_sent"
        config = api.ok(api.public("GET", "/api/v2/push/get_app_push_config"))
        assert config["live_push_status"] == "Suspended"
        wait_for(lambda: emu.pushes.pending() == 0)
        assert len(receiver.received) == arrived
        api.ok(api.public("POST", "/api/v2/push/set_app_push_config", json={"callback_url": receiver.url}))
        receiver.modes = ["ok"]
        order_push(emu)
        wait_for(lambda: emu.pushes.deliveries[-1].state == "delivered")


def test_a_success_share_below_seventy_percent_warns_without_disabling():
    answers = ["ok", "error", "ok", "error", "ok", "ok", "error", "ok", "error", "ok", "error"]
    with served() as (emu, _), Receiver(answers) as receiver:
        pushed(emu, receiver, push_retry_schedule=(), push_health_min_pushes=10)
        for _ in range(11):
            order_push(emu)
        wait_for(lambda: emu.pushes.pending() == 0)
        health = emu.pushes.health()
        assert 0.3 <= health["success_rate"] < 0.7 and health["warnings"] == 1 and not health["disabled"]


def test_authorization_and_its_expiry_are_pushed_without_a_shop_id():
    with served() as (emu, api), Receiver("ok") as receiver:
        pushed(emu, receiver)
        api.authorize()
        emu.set_authorization_expiry(SHOP_ID, int(emu.shops[SHOP_ID].auth_time) + 3 * 86400)
        wait_for(lambda: len(receiver.received) == 2)
        messages = [json.loads(body) for _, body in receiver.received]
        assert [m["code"] for m in messages] == [1, 12]
        assert all("shop_id" not in m for m in messages)
        assert messages[1]["data"]["shop_id"] == SHOP_ID and messages[1]["data"]["expire_time"] > 0


def test_a_push_code_turned_off_in_the_push_config_is_not_sent():
    with served() as (emu, api), Receiver("ok") as receiver:
        pushed(emu, receiver)
        api.ok(api.public("POST", "/api/v2/push/set_app_push_config", json={"set_push_config_off": [3]}))
        config = api.ok(api.public("GET", "/api/v2/push/get_app_push_config"))
        assert 3 in config["push_config_off_list"] and config["callback_url"] == receiver.url
        order_push(emu)
        assert emu.pushes.deliveries == []
        unknown = api.public("POST", "/api/v2/push/set_app_push_config", json={"set_push_config_on": [99]})
        assert unknown.json()["error"] == "error_param"


def test_a_partner_level_push_lost_is_listed_without_a_shop_id():
    with served() as (emu, api), Receiver("error") as receiver:
        pushed(emu, receiver, push_retry_schedule=())
        api.authorize()
        wait_for(lambda: emu.pushes.deliveries and emu.pushes.deliveries[-1].state == "lost")
        [message] = api.ok(api.public("GET", "/api/v2/push/get_lost_push_message"))["push_message_list"]
        assert message["code"] == 1 and "shop_id" not in message


def test_more_than_a_hundred_lost_pushes_are_listed_a_hundred_at_a_time_after_each_confirmation():
    with served() as (emu, api), Receiver("error") as receiver:
        pushed(emu, receiver, push_retry_schedule=())
        item_id = seed_item(emu)
        for _ in range(130):
            emu.create_order(SHOP_ID, [(item_id, 0, 1)])
        wait_for(lambda: emu.pushes.pending() == 0, timeout=30)
        first = api.ok(api.public("GET", "/api/v2/push/get_lost_push_message"))
        assert len(first["push_message_list"]) == 100 and first["has_next_page"] is True
        again = api.ok(api.public("GET", "/api/v2/push/get_lost_push_message"))
        assert again == first  # the earliest 100 until they are confirmed
        confirm = "/api/v2/push/confirm_consumed_lost_push_message"
        for _ in range(2):  # confirming again changes nothing
            api.ok(api.public("POST", confirm, json={"last_message_id": first["last_message_id"]}))
        second = api.ok(api.public("GET", "/api/v2/push/get_lost_push_message"))
        assert len(second["push_message_list"]) == 30 and second["has_next_page"] is False
        sent = {json.loads(m["data"])["data"]["ordersn"] for m in first["push_message_list"]}
        assert not sent & {json.loads(m["data"])["data"]["ordersn"] for m in second["push_message_list"]}


def test_a_promotion_reserving_stock_is_pushed_as_a_reserved_stock_change():
    with served() as (emu, _), Receiver("ok") as receiver:
        pushed(emu, receiver)
        item_id = seed_item(emu)
        emu.reserve_for_promotion(SHOP_ID, item_id, 0, 3)
        wait_for(lambda: len(receiver.received) == 1)
        message = json.loads(receiver.received[-1][1])
        assert message["code"] == 8 and message["shop_id"] == SHOP_ID
        assert message["data"]["item_id"] == item_id
        assert message["data"]["changed_values"] == [{"name": "reserved_stock", "old": 0, "new": 3}]
