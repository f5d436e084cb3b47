"""Inbound events whatever their source: the queued event, the bodies refused at the door, routing."""

from datetime import UTC, datetime

import pytest

from tiktok_pipelines.channels.tiktok_shop.notifications import parse_tiktok_webhook, read_tiktok_webhook
from tiktok_pipelines.core.events import EventAction, EventRejected, InboundEvent, Notice, Route, route
from tiktok_pipelines.vtex.notifications import parse_vtex_notification
from tiktok_pipelines_tests.channels.tiktok_shop.test_notifications import webhook


def route_event(event: InboundEvent) -> Route:
    return route(read_tiktok_webhook(event))


def test_a_body_queued_with_its_byte_order_mark_still_parses():
    # What receivers that kept the mark left on the queue.
    queued = InboundEvent("tiktok", "1", "1", "s", datetime.now(UTC), "\ufeff" + webhook().decode())
    assert route_event(queued).keys == ("576653688135258178",)


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-16"),
        lambda text: text.encode("utf-16-le"),
        lambda text: text.encode("utf-32"),
        lambda text: text.replace("AWAITING_SHIPMENT", "AGUARDANDO_ENVIO_Ç").encode("latin-1"),
    ],
    ids=["utf-16", "utf-16-le", "utf-32", "latin-1"],
)
def test_a_body_that_is_not_utf8_is_refused_with_the_reason(encode):
    body = encode(webhook().decode())
    with pytest.raises(EventRejected, match="UTF-8") as refused:
        parse_tiktok_webhook(body)
    assert refused.value.status == 400
    with pytest.raises(EventRejected, match="UTF-8"):
        parse_vtex_notification(encode('{"idSKU":"10001","an":"loja","s":"AWAITING_SHIPMENT"}'))


def test_every_action_goes_somewhere_and_a_route_compares_by_where_it_goes():
    for action in EventAction:
        assert route(Notice(action)).action == action  # no action is left without a target
    invoiced = route(Notice(EventAction.VTEX_INVOICED, ("TTS-1",), status="invoiced"))
    assert invoiced == Route("fulfilment", "vtex_invoiced", ("TTS-1",)) and invoiced.status == "invoiced"
