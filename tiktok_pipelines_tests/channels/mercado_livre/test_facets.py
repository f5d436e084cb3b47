"""The Mercado Livre session's stock and price, order and shipment facets, and its notifications,
against the strict emulator."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tiktok_pipelines.channels.base.fulfilment import PackageAlreadyShippedError, UnknownPackageError
from tiktok_pipelines.channels.mercado_livre.client import MercadoLivreApp, MercadoLivreClient
from tiktok_pipelines.channels.mercado_livre.fulfilment import MercadoLivreFulfilment
from tiktok_pipelines.channels.mercado_livre.notifications import MercadoLivreNotifications
from tiktok_pipelines.channels.mercado_livre.offers import MercadoLivreOffers
from tiktok_pipelines.channels.mercado_livre.orders import MercadoLivreOrders
from tiktok_pipelines.core.events import EventAction, EventRejected, ForgedNotification
from tiktok_pipelines.core.models.fulfilment import PackageState, ShipmentMethod
from tiktok_pipelines.core.models.offers import PriceTarget, PriceUpdate, StockUpdate
from tiktok_pipelines.core.models.orders import OrderState
from tiktok_pipelines.sandbox.mercado_livre import SANDBOX_APP_ID, SANDBOX_CLIENT_SECRET
from tiktok_pipelines_tests.sandbox.mercado_livre_support import (
    REDIRECT_URI,
    SELLER,
    start_sandbox,
    stop_sandbox,
)


class Facets(MercadoLivreOffers, MercadoLivreOrders, MercadoLivreFulfilment):
    def __init__(self, api: MercadoLivreClient, seller_id: str):
        self.api = api
        self.seller_id = seller_id


@pytest.fixture(scope="module")
def ml():
    sandbox = start_sandbox(products=8)
    sandbox.connect()
    yield sandbox
    stop_sandbox(sandbox)


@pytest.fixture(scope="module")
def shop(ml):
    app = MercadoLivreApp(SANDBOX_APP_ID, SANDBOX_CLIENT_SECRET, REDIRECT_URI, api_base_url=ml.url)
    token = ml.tokens["access_token"]
    with MercadoLivreClient(app, lambda: token) as api:
        yield Facets(api, str(ml.emulator.seller(SELLER).id))


def items(ml):
    return ml.emulator.seller(SELLER).items


def with_variations(ml):
    return next(i for i in items(ml).values() if len(i["variations"]) > 1 and i["status"] == "active")


def test_a_stock_push_changes_one_variation_and_keeps_the_others_and_their_sales(ml, shop):
    item = with_variations(ml)
    first = item["variations"][0]
    ml.emulator.create_orders(SELLER, 1, item_ids=[item["id"]])
    before = {v["id"]: (v["available_quantity"], v["sold_quantity"]) for v in item["variations"]}
    result = shop.push_inventory(item["id"], [StockUpdate(str(first["id"]), {"": 3})])
    assert result.ok
    after = {
        v["id"]: (v["available_quantity"], v["sold_quantity"]) for v in items(ml)[item["id"]]["variations"]
    }
    assert after[first["id"]] == (3, before[first["id"]][1])
    assert {k: v for k, v in after.items() if k != first["id"]} == {
        k: v for k, v in before.items() if k != first["id"]
    }


def test_a_price_push_and_the_offers_read_back(ml, shop):
    item = with_variations(ml)
    skus = [str(v["id"]) for v in item["variations"]]
    target = PriceTarget(Decimal("129.90"), Decimal("149.90"), "BRL")
    assert shop.push_prices(item["id"], [PriceUpdate(sku, target) for sku in skus]).ok
    shop.push_inventory(item["id"], [StockUpdate(skus[-1], {"": 7})])
    listed = {p.channel_product_id: p for p in shop.listed_offers()}
    offers = {o.channel_sku_id: o for o in listed[item["id"]].offers}
    assert {o.price for o in offers.values()} == {Decimal("129.9")}
    assert offers[skus[-1]].quantities == {"": 7}
    assert all(o.seller_sku for o in offers.values())


def test_orders_read_with_the_shipment_address_and_a_cart_shares_its_package(ml, shop):
    since = datetime.now(UTC) - timedelta(seconds=5)
    ids = ml.emulator.create_orders(SELLER, 1, cart_size=2)
    changed = {c.order_id for c in shop.orders_changed(since, datetime.now(UTC) + timedelta(seconds=5))}
    assert {str(i) for i in ids} <= changed
    orders = shop.order_details([str(i) for i in ids])
    assert [o.state for o in orders] == [OrderState.PAID, OrderState.PAID]
    assert len({o.packages for o in orders}) == 1 and orders[0].packages
    assert orders[0].address.postal_code and orders[0].address.city
    assert all(o.lines[0].seller_sku and o.lines[0].quantity == 1 for o in orders)
    assert shop.order_from_detail(orders[0].raw) == orders[0]
    ml.emulator.cancel_order(ids[0])
    assert shop.order_details([str(ids[0])])[0].state == OrderState.CANCELLED


def test_a_shipment_label_is_printed_once_ready_then_tracked(ml, shop):
    (order_id,) = ml.emulator.create_orders(SELLER, 1)
    order = shop.order_details([str(order_id)])[0]
    package_id = order.packages[0]
    assert shop.package(package_id).state == PackageState.AWAITING_SHIPMENT
    label, media = shop.shipping_label(package_id)
    assert label.startswith(b"%PDF") and media == "application/pdf"
    zpl, _ = shop.shipping_label(package_id, "zpl2")
    assert zpl.startswith(b"^XA")
    ml.emulator.set_shipment_status(int(package_id), "shipped")
    package = shop.package(package_id)
    assert package.state == PackageState.SHIPPED and package.tracking_number
    assert [e.description for e in shop.tracking(str(order_id))] == ["ready_to_ship", "shipped"]
    with pytest.raises(PackageAlreadyShippedError):
        shop.ship_package(package_id, ShipmentMethod())
    with pytest.raises(UnknownPackageError):
        shop.package("41234567890")


def notification(**fields) -> bytes:
    body = {
        "_id": "f9f08571-1f65-4c46-9e0a-c0f43faac2d1",
        "resource": "/orders/2195160686",
        "user_id": 468424240,
        "topic": "orders_v2",
        "application_id": int(SANDBOX_APP_ID),
        "attempts": 1,
        "sent": "2026-01-30T16:19:20.129Z",
        "received": "2026-01-30T16:19:20.106Z",
    }
    return json.dumps({**body, **fields}).encode()


def test_a_notification_is_taken_only_for_the_application_and_tells_its_order():
    channel = MercadoLivreNotifications(SANDBOX_APP_ID)
    event = channel.parse_notification(notification(), {})
    assert (event.source, event.routing_key, event.event_type) == ("mercado_livre", "468424240", "orders_v2")
    notice = channel.read_notification(event)
    assert (notice.action, notice.keys) == (EventAction.ORDER_STATUS, ("2195160686",))
    with pytest.raises(ForgedNotification):
        channel.parse_notification(notification(application_id=99), {})
    with pytest.raises(EventRejected):
        channel.parse_notification(notification(resource="/items/../orders"), {})
    shipment = channel.parse_notification(notification(topic="shipments", resource="/shipments/41"), {})
    assert channel.read_notification(shipment).action == EventAction.PACKAGE_UPDATE


def test_retries_of_one_notification_share_an_id_without_the_platform_id():
    channel = MercadoLivreNotifications(SANDBOX_APP_ID)
    first = json.loads(notification())
    del first["_id"]
    retry = first | {"attempts": 2, "sent": "2026-01-30T16:21:20.129Z"}
    other = first | {"received": "2026-01-30T16:19:21.000Z"}
    ids = [channel.parse_notification(json.dumps(b).encode(), {}).event_id for b in (first, retry, other)]
    assert ids[0] == ids[1] != ids[2]
