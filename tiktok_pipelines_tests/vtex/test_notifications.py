"""VTEX's notifications: the order hook and SKU notifications, the marketplace callbacks, and where
each goes."""

import json

import pytest

from tiktok_pipelines.core.events import EventRejected, InboundEvent, Route, route
from tiktok_pipelines.vtex.notifications import parse_vtex_notification, read_vtex_notification


def route_event(event: InboundEvent) -> Route:
    """Where a queued VTEX event goes: its reading, routed."""
    return route(read_vtex_notification(event))


def test_vtex_ping_order_hook_and_sku_notification():
    assert parse_vtex_notification(b'{"hookConfig":"ping"}') is None
    hook = parse_vtex_notification(
        json.dumps(
            {
                "Domain": "Fulfillment",
                "OrderId": "TTS-123-01",
                "State": "invoiced",
                "LastState": "handling",
                "CurrentChange": "2026-01-01T00:00:00Z",
                "Origin": {"Account": "loja", "Key": "k"},
            }
        ).encode()
    )
    # An invoiced order is the fulfilment lane's (its NF-e goes to TikTok); other states are the orders lane's.
    assert hook.routing_key == "loja" and route_event(hook).target == "fulfilment"
    assert hook.event_id == "TTS-123-01:invoiced:2026-01-01T00:00:00Z"
    sku = parse_vtex_notification(b'{"idSKU":"10001","an":"loja","StockModified":true}')
    assert route_event(sku).target == "stock_price" and route_event(sku).keys == ("10001",)
    with pytest.raises(EventRejected):
        parse_vtex_notification(b'{"hello":"world"}')
    with pytest.raises(EventRejected, match="account"):
        parse_vtex_notification(b'{"idSKU":"1"}')


def test_marketplace_callback_tokens_are_per_client_and_stable():
    from tiktok_pipelines.vtex.notifications import marketplace_callback_token, marketplace_callback_url

    token = marketplace_callback_token("s3cret", "acme")
    assert token == marketplace_callback_token("s3cret", "acme") and len(token) == 40
    assert token != marketplace_callback_token("s3cret", "other")
    assert token != marketplace_callback_token("rotated", "acme")
    assert marketplace_callback_url("https://hooks.example.com/", "acme", "s3cret") == (
        f"https://hooks.example.com/vtex/marketplace/acme/{token}"
    )


def test_an_invoice_callback_is_a_fulfilment_prompt_without_the_xml():
    from tiktok_pipelines.vtex.notifications import parse_marketplace_callback

    body = {
        "type": "Output",
        "invoiceNumber": "1001",
        "invoiceKey": "3" * 44,
        "invoiceValue": 4990,
        "embeddedInvoice": "<nfeProc>" + "x" * 5000 + "</nfeProc>",
        "trackingNumber": None,
    }
    event = parse_marketplace_callback("invoice", "576001", json.dumps(body).encode(), "demostore")
    kept = event.payload()
    assert "embeddedInvoice" not in kept and len(kept["embeddedInvoiceSha256"]) == 64
    assert (event.source, event.event_type, event.routing_key) == ("vtex", "vtex:invoice", "demostore")
    assert route_event(event) == Route("fulfilment", "vtex_invoice", ("576001",))
    again = parse_marketplace_callback("invoice", "576001", json.dumps(body).encode(), "demostore")
    assert again.event_id == event.event_id  # VTEX's retry is the same event
    tracked = parse_marketplace_callback(
        "invoice", "576001", json.dumps({**body, "trackingNumber": "BR1TT"}).encode(), "demostore"
    )
    assert tracked.event_id != event.event_id  # the tracking added later is news
    cancel = parse_marketplace_callback("cancel", "576001", b"", "demostore")
    assert route_event(cancel) == Route("orders", "vtex_cancel", ("576001",))
    with pytest.raises(EventRejected):
        parse_marketplace_callback("refund", "576001", b"{}", "demostore")


def test_an_invoiced_order_hook_goes_to_the_fulfilment_lane():
    body = {
        "Domain": "Fulfillment",
        "OrderId": "TTS-576001",
        "State": "invoiced",
        "LastState": "invoice",
        "Origin": {"Account": "demostore", "Key": "k"},
    }
    event = parse_vtex_notification(json.dumps(body).encode())
    assert route_event(event) == Route("fulfilment", "vtex_invoiced", ("TTS-576001",))
    handling = parse_vtex_notification(json.dumps({**body, "State": "handling"}).encode())
    assert route_event(handling).target == "orders"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"OrderId": "TTS-1", "State": "handling", "Origin": "loja"}, "`Origin` is not an object"),
        ({"OrderId": {"id": 1}, "State": "handling", "Origin": {"Account": "loja"}}, "`OrderId`"),
        ({"OrderId": "TTS-1", "State": ["x"], "Origin": {"Account": "loja"}}, "`State`"),
        ({"idSKU": {"id": 1}, "an": "loja"}, "`idSKU`"),
        ({"idSKU": "1", "an": ["loja"]}, "`an`"),
    ],
)
def test_a_vtex_notification_of_the_wrong_shape_is_refused(body, message):
    with pytest.raises(EventRejected, match=message):
        parse_vtex_notification(json.dumps(body).encode())
