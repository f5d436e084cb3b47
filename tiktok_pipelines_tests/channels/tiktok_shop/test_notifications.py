"""TikTok Shop's webhooks as the channel reads them: the signature (verified through the channel's
`NotificationApi`), the envelope, the `data` each type is handled by, the timestamp window, and where
each type goes."""

import codecs
import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from tiktok_pipelines.channels.tiktok_shop.auth import TikTokApp
from tiktok_pipelines.channels.tiktok_shop.client import webhook_signature as tiktok_signature
from tiktok_pipelines.channels.tiktok_shop.notifications import (
    TikTokNotifications,
    parse_tiktok_webhook,
    read_tiktok_webhook,
)
from tiktok_pipelines.core.events import (
    EventRejected,
    ForgedNotification,
    InboundEvent,
    Route,
    TimestampWindow,
    route,
)


def route_event(event: InboundEvent) -> Route:
    """Where a queued webhook goes: the channel's reading of it, routed."""
    return route(read_tiktok_webhook(event))


def verify_tiktok_signature(app_key: str, app_secret: str, body: bytes, authorization: str | None) -> bool:
    """Whether the channel accepts the webhook's signature (the receiver's check)."""
    channel = TikTokNotifications(TikTokApp(app_key, app_secret))
    headers = {"authorization": authorization} if authorization is not None else {}
    try:
        channel.parse_notification(body, headers)
    except ForgedNotification:
        return False
    return True


VECTOR_BODY = (
    b'{"type":1,"tts_notification_id":"7380066284010030890","shop_id":"7495540735365777507",'
    b'"timestamp":1718305585,"data":{"is_on_hold_order":true,"order_id":"576653688135258178",'
    b'"order_status":"UNPAID","update_time":1718305585}}'
)


def webhook(kind: int = 1, data: dict | None = None, timestamp=None, **envelope) -> bytes:
    """A TikTok webhook body stamped now (or with the given timestamp)."""
    body = {
        "type": kind,
        "tts_notification_id": "7380066284010030891",
        "shop_id": "7495540735365777507",
        "timestamp": int(time.time()) if timestamp is None else timestamp,
        "data": {"order_id": "576653688135258178", "order_status": "AWAITING_SHIPMENT"}
        if data is None
        else data,
        **envelope,
    }
    return json.dumps(body, separators=(",", ":")).encode()


def test_webhook_signature_vector_from_the_reference():
    expected = "5dec0f11ec2f6783b8deee53c9ffbf8d024302f7c7e7fa55a35d17629031ac05"
    assert tiktok_signature("abcdef", "123", VECTOR_BODY) == expected
    assert verify_tiktok_signature("abcdef", "123", VECTOR_BODY, expected)
    assert verify_tiktok_signature("abcdef", "123", VECTOR_BODY, expected.upper())


@pytest.mark.parametrize("auth", [None, "", "0" * 64, "Bearer x"])
def test_forged_or_missing_signatures_fail(auth):
    assert not verify_tiktok_signature("abcdef", "123", VECTOR_BODY, auth)


def test_a_changed_body_fails_the_signature():
    sig = tiktok_signature("abcdef", "123", VECTOR_BODY)
    assert not verify_tiktok_signature(
        "abcdef", "123", VECTOR_BODY.replace(b"UNPAID", b"AWAITING_SHIPMENT"), sig
    )


def test_parse_and_route_order_status():
    event = parse_tiktok_webhook(VECTOR_BODY)
    assert (event.source, event.event_id, event.event_type, event.routing_key) == (
        "tiktok",
        "7380066284010030890",
        "1",
        "7495540735365777507",
    )
    route = route_event(event)
    assert route.target == "orders" and route.keys == ("576653688135258178",)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not valid JSON"),
        (b"[1,2]", "not a JSON object"),
        (b'{"tts_notification_id":"1","shop_id":"2"}', "integer `type`"),
        (b'{"type":1,"shop_id":"2"}', "tts_notification_id"),
        (b'{"type":1,"tts_notification_id":"1"}', "shop_id"),
        (b'{"type":99,"tts_notification_id":"1","shop_id":"2"}', "internal"),
    ],
)
def test_malformed_webhooks_are_rejected(body, message):
    with pytest.raises(EventRejected, match=message):
        parse_tiktok_webhook(body)


@pytest.mark.parametrize(
    ("kind", "data", "target", "action"),
    [
        (3, {"order_id": "9"}, "orders", "address_update"),
        (4, {"package_list": [{"package_id": "P1"}]}, "fulfilment", "package_update"),
        (5, {"product_id": "77", "status": "FAILED"}, None, "product_status"),
        (6, {"message": "bye"}, None, "deauthorized"),
        (7, {"expiration_time": 1}, None, "authorization_expiring"),
        (11, {"order_id": "9"}, "orders", "cancellation"),
        (12, {"order_id": "9"}, "orders", "return"),
        (36, {"package_id": "P1", "invoice_status": "SUCCESS"}, "fulfilment", "invoice_status"),
        (58, {}, None, "unknown_type"),
    ],
)
def test_every_event_type_has_a_route(kind, data, target, action):
    body = webhook(kind, data)
    route = route_event(parse_tiktok_webhook(body))
    assert (route.target, route.action) == (target, action)


def test_a_utf8_byte_order_mark_is_dropped_so_the_queued_body_parses():
    event = parse_tiktok_webhook(codecs.BOM_UTF8 + webhook())
    assert not event.body.startswith("\ufeff")
    assert json.loads(event.body)["data"]["order_id"] == "576653688135258178"
    assert route_event(event).keys == ("576653688135258178",)


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        (4, {"package_list": [1, 2]}, "`package_list` must be a list of objects with a `package_id`"),
        (4, {"package_list": {"package_id": "P1"}}, "package_list"),
        (4, {}, "no `package_list`"),
        (1, {"order_id": {"id": "9"}}, "`order_id` must be an id"),
        (1, {"order_status": "UNPAID"}, "no `order_id`"),
        (1, {"order_id": "9", "order_status": ["UNPAID"]}, "`order_status`"),
        (3, {"order_id": ""}, "`order_id`"),
        (5, {"product_id": "77"}, "no `status`"),
        (11, {"order_id": "9", "cancel_status": {"a": 1}}, "`cancel_status`"),
        (36, {"package_id": "P1", "order_ids": "576001"}, "`order_ids` must be a list of ids"),
        (36, {"order_ids": ["576001"]}, "no `package_id`"),
        (7, {"expiration_time": "soon"}, "`expiration_time` must be a Unix time"),
        (1, ["order_id"], "`data` is not an object"),
    ],
)
def test_a_webhook_whose_data_the_handlers_cannot_read_is_refused(kind, data, message):
    with pytest.raises(EventRejected, match=message) as refused:
        parse_tiktok_webhook(webhook(kind, data))
    assert refused.value.status == 400


@pytest.mark.parametrize(
    ("envelope", "message"),
    [
        ({"type": 0}, "positive integer `type`"),
        ({"type": True}, "positive integer `type`"),
        ({"tts_notification_id": True}, "tts_notification_id"),
        ({"tts_notification_id": "9" * 201}, "tts_notification_id"),
        ({"shop_id": {"id": 1}}, "shop_id"),
        ({"shop_id": "s" * 101}, "shop_id"),
    ],
)
def test_a_webhook_envelope_of_the_wrong_kind_is_refused(envelope, message):
    with pytest.raises(EventRejected, match=message):
        parse_tiktok_webhook(webhook(**envelope))


def test_unknown_types_and_fields_pass_as_they_are():
    event = parse_tiktok_webhook(webhook(58, {"anything": [1, {"x": None}]}, extra="field"))
    assert route_event(event).action == "unknown_type"


@pytest.mark.parametrize(
    "timestamp",
    [-1, 0, True, 1718305585.5, "1718305585", [1], 10**20],
    ids=["negative", "zero", "bool", "float", "string", "list", "huge"],
)
def test_a_timestamp_that_is_not_a_unix_time_is_refused(timestamp):
    with pytest.raises(EventRejected, match="timestamp"):
        parse_tiktok_webhook(webhook(timestamp=timestamp))


def test_a_webhook_without_a_timestamp_is_refused():
    body = json.loads(webhook())
    del body["timestamp"]
    with pytest.raises(EventRejected, match="no `timestamp`"):
        parse_tiktok_webhook(json.dumps(body).encode())


def test_the_skew_between_the_webhooks_timestamp_and_its_receipt_is_kept():
    received = datetime(2026, 6, 1, 12, 0, 0, 250000, tzinfo=UTC)
    sent = int((received - timedelta(minutes=31)).timestamp())  # TikTok's second retry
    event = parse_tiktok_webhook(webhook(timestamp=sent), received, TimestampWindow())
    assert event.sent_at == datetime.fromtimestamp(sent, UTC)
    assert event.skew_seconds == 31 * 60 + 0.25
    again = InboundEvent.from_message(event.to_message())  # as the SQS queue carries it
    assert again == event and again.skew_seconds == event.skew_seconds
    ahead = parse_tiktok_webhook(
        webhook(timestamp=int(received.timestamp()) + 60), received, TimestampWindow()
    )
    assert ahead.skew_seconds == -59.75


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (timedelta(hours=-25), "25.0 h before its receipt"),
        (timedelta(days=-3), "3.0 days before its receipt"),
        (timedelta(minutes=6), "6.0 min after its receipt"),
    ],
)
def test_a_timestamp_outside_the_window_is_refused_as_a_replay_or_a_wrong_clock(offset, message):
    received = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    body = webhook(timestamp=int((received + offset).timestamp()))
    with pytest.raises(EventRejected, match=message):
        parse_tiktok_webhook(body, received, TimestampWindow())
    wider = TimestampWindow(max_age=timedelta(days=4), max_ahead=timedelta(minutes=10))
    assert parse_tiktok_webhook(body, received, wider).skew_seconds == -offset.total_seconds()


def test_a_webhook_from_2001_is_refused():
    with pytest.raises(EventRejected, match="before its receipt"):
        parse_tiktok_webhook(webhook(timestamp=1_000_000_000), window=TimestampWindow())
