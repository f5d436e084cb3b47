"""The Shopee channel against the strict emulator, facet by facet as the lanes call it: a product with
variants listed as an item with models and unlisted when removed; stock and prices per model; orders
changed over more than 15 days, UNPAID never paid; pushes verified over url|body, duplicates one event;
an order in INVOICE_PENDING gets its NF-e, then ships with a tracking number and a shipping document."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tiktok_pipelines.channels.base import ShopAccess
from tiktok_pipelines.channels.base.catalog import ListingWrite
from tiktok_pipelines.channels.base.fulfilment import InvoiceRefusedError, PackageAlreadyShippedError
from tiktok_pipelines.channels.shopee.auth import ShopeeApp
from tiktok_pipelines.channels.shopee.channel import ShopeeChannel, capabilities
from tiktok_pipelines.channels.shopee.notifications import PushEndpoint
from tiktok_pipelines.core.events import EventAction, ForgedNotification
from tiktok_pipelines.core.fulfilment import INVALID_XML
from tiktok_pipelines.core.models.categories import CategoryChoice
from tiktok_pipelines.core.models.fulfilment import PackageState, ShipmentMethod
from tiktok_pipelines.core.models.listings import ListingOptions
from tiktok_pipelines.core.models.offers import ONE_STOCK, PriceTarget, PriceUpdate, StockUpdate
from tiktok_pipelines.core.models.orders import OrderState
from tiktok_pipelines.core.models.products import Product, Variant
from tiktok_pipelines.sandbox.shopee import SANDBOX_PARTNER_ID, SANDBOX_PARTNER_KEY
from tiktok_pipelines_tests.sandbox.shopee_support import SHOP_ID, Receiver, served, wait_for
from tiktok_pipelines_tests.sandbox.test_shopee_catalog_orders import PNG, nfe


class Tokens:
    def __init__(self, api):
        self.api = api

    def access_token(self) -> str:
        return self.api.access_token

    def refresh(self, rejected: str) -> str:
        return self.api.access_token


class Images:
    """The catalog lane's image cache, reduced to uploading each URL's bytes once."""

    def __init__(self, session):
        self.session, self.uploaded = session, {}

    def resolve(self, refs):
        for url, use in refs:
            if url not in self.uploaded:
                self.uploaded[url] = self.session.upload_image(PNG, use, "a.png").uri
        return {(u, use): self.uploaded[u] for u, use in refs}, {}

    def forget(self, uris):
        pass


def channel_of(emu, push_url=None):
    app = ShopeeApp(SANDBOX_PARTNER_ID, SANDBOX_PARTNER_KEY, emu.config.base_url, retry_attempts=1)
    return ShopeeChannel(app, capabilities(), PushEndpoint(SANDBOX_PARTNER_KEY, push_url))


def access(api):
    return ShopAccess(str(SHOP_ID), Tokens(api), {})


def product(key="camiseta", colours=("Azul", "Preto")):
    return Product(
        key,
        [
            Variant(
                {
                    "seller_sku": f"{key}-{c.lower()}",
                    "title": f"Camiseta Algodão {c}",
                    "description": "<p>Camiseta de <b>algodão</b> penteado.</p>",
                    "image_link": f"https://img.example.com/{key}-{c}.png",
                    "price": Decimal("59.90"),
                    "sale_price": Decimal("49.90"),
                    "color": c,
                    "material": "Algodão",
                    "shipping_weight_kg": Decimal("0.3"),
                }
            )
            for c in colours
        ],
    )


def moda_leaf(session):
    nodes = session.category_tree()
    leaf = next(n for n in nodes if n.is_leaf and n.path.startswith("Moda"))
    rules = session.category_rules(leaf.category_id)
    return CategoryChoice(leaf.category_id, rules.rules, rules.attributes)


def listed(emu, session, prod=None):
    prod = prod or product()
    build = session.listing_builder(ListingOptions(), [])
    draft = build(prod, moda_leaf(session), None, None)
    assert draft.ok, draft.problems
    write = ListingWrite(Images(session), {v.seller_sku: {ONE_STOCK: 7} for v in prod.variants}, [], "k")
    return draft, session.create_listing(draft, write)


def test_a_product_with_variants_is_listed_as_an_item_with_models_and_unlisted_when_removed():
    with served() as (emu, api):
        api.authorize()
        channel = channel_of(emu)
        with channel.session(access(api)) as session:
            draft, result = listed(emu, session)
            assert result.ok, result.message
            item = emu.shops[SHOP_ID].items[int(result.channel_product_id)]
            assert item["item_name"] == "Camiseta Algodão" and item["has_model"]
            assert "<" not in item["description"]
            models = {m["model_sku"]: m for m in item["models"].values()}
            assert set(models) == {"camiseta-azul", "camiseta-preto"}
            assert {m["stock"] for m in models.values()} == {7} and {m["price"] for m in models.values()} == {
                49.9
            }
            assert set(result.channel_sku_ids) == set(models)
            [found] = session.find_listings(["camiseta-preto"])
            assert found.channel_product_id == result.channel_product_id

            edited = product()
            edited.variants[0].feed["title"] = edited.variants[1].feed["title"] = "Camiseta Algodão Premium"
            new = session.listing_builder(ListingOptions(), [])(edited, moda_leaf(session), None, None)
            write = ListingWrite(Images(session), {}, [], "k2")
            again = session.update_listing(
                new, write, channel_product_id=result.channel_product_id, pushed=draft.part_hashes()
            )
            assert again.ok and again.calls == ["update_item"]
            assert item["item_name"] == "Camiseta Algodão Premium"

            [gone] = session.delete_listings({"camiseta": result.channel_product_id})
            assert gone.ok and item["item_status"] == "UNLIST"


def test_a_sale_price_above_the_price_is_not_the_price_a_model_is_created_with():
    """Shopee reads a variant's feed price as the other channels do: a `g:sale_price` counts only below
    the `g:price` it discounts."""
    with served() as (emu, api):
        api.authorize()
        with channel_of(emu).session(access(api)) as session:
            prod = product()
            prod.variants[0].feed["sale_price"] = Decimal("69.90")
            draft = session.listing_builder(ListingOptions(), [])(prod, moda_leaf(session), None, None)
            assert draft.prices["camiseta-azul"]["amount"] == Decimal("59.90")
            assert draft.prices["camiseta-preto"]["amount"] == Decimal("49.90")
            assert draft.prices["camiseta-preto"]["list_amount"] == Decimal("59.90")


def test_a_product_missing_a_mandatory_attribute_is_held_back_before_any_call():
    with served() as (emu, api):
        api.authorize()
        with channel_of(emu).session(access(api)) as session:
            prod = product()
            for v in prod.variants:
                v.feed.pop("material")
            calls = emu.stats()["total_calls"]
            draft = session.listing_builder(ListingOptions(), [])(prod, moda_leaf(session), None, None)
            assert not draft.ok
            assert any("Material" in message for _, message in draft.problems)
            assert emu.stats()["total_calls"] == calls + 3  # the tree, the attributes, the brand rule


def test_stock_and_prices_are_set_per_model_and_a_refused_model_is_named():
    with served() as (emu, api):
        api.authorize()
        with channel_of(emu).session(access(api)) as session:
            _, result = listed(emu, session)
            item = emu.shops[SHOP_ID].items[int(result.channel_product_id)]
            azul = result.channel_sku_ids["camiseta-azul"]
            pushed = session.push_inventory(
                result.channel_product_id,
                [StockUpdate(azul, {"": 12}), StockUpdate("999999999", {"": 1})],
            )
            assert item["models"][int(azul)]["stock"] == 12
            assert list(pushed.refused) == ["999999999"]
            session.push_prices(
                result.channel_product_id,
                [PriceUpdate(azul, PriceTarget(Decimal("39.90"), Decimal("59.90"), "BRL"))],
            )
            assert item["models"][int(azul)]["price"] == 39.9
            offers = {o.seller_sku: o for p in session.listed_offers() for o in p.offers}
            assert offers["camiseta-azul"].quantities == {"": 12}
            assert offers["camiseta-azul"].price == Decimal("39.90")


def test_orders_changed_over_more_than_fifteen_days_and_unpaid_is_never_paid():
    from datetime import UTC, datetime, timedelta

    with served() as (emu, api):
        api.authorize()
        with channel_of(emu).session(access(api)) as session:
            _, result = listed(emu, session)
            order_sn = emu.create_order(SHOP_ID)
            now = datetime.now(UTC)
            changed = [
                c.order_id
                for c in session.orders_changed(now - timedelta(days=40), now + timedelta(minutes=1))
            ]
            assert changed == [order_sn]
            [order] = session.order_details([order_sn])
            assert order.state == OrderState.AWAITING_PAYMENT
            emu.pay(order_sn)
            [order] = session.order_details([order_sn])
            assert (order.state, order.status) == (OrderState.PAID, "INVOICE_PENDING")
            [line] = order.lines
            assert line.seller_sku in result.channel_sku_ids and line.quantity == 1
            assert order.buyer.document and len(order.buyer.document) == 11
            assert order.amounts.total == line.sale_price
            assert order.address.postal_code and order.address.state
            assert session.order_from_detail(order.raw) == order


def test_pushes_are_verified_over_url_and_body_and_a_duplicate_is_the_same_event():
    with Receiver() as receiver, served() as (emu, api):
        emu.config.push_url = receiver.url
        api.authorize()
        channel = channel_of(emu, receiver.url)
        with channel.session(access(api)) as session:
            listed(emu, session)
        order_sn = emu.create_order(SHOP_ID)

        def order_pushes():
            return [(h, b) for h, b in receiver.received if json.loads(b)["code"] == 3]

        wait_for(order_pushes)
        headers, body = order_pushes()[0]
        event = channel.parse_notification(body, headers)
        again = channel.parse_notification(body, headers)
        assert event.event_id == again.event_id and event.routing_key == str(SHOP_ID)
        notice = channel.read_notification(event)
        assert (notice.action, notice.keys, notice.status) == (
            EventAction.ORDER_STATUS,
            (order_sn,),
            "UNPAID",
        )
        with pytest.raises(ForgedNotification):
            channel.parse_notification(body.replace(b"UNPAID", b"READY_TO_SHIP"), headers)
        with pytest.raises(ForgedNotification):
            channel_of(emu, receiver.url + "?other").parse_notification(body, headers)


def test_an_authorization_expiry_push_is_a_notice_with_the_date():
    from tiktok_pipelines.channels.shopee.client import push_signature

    channel = ShopeeChannel(
        ShopeeApp(1, "k", "http://x"), capabilities(), PushEndpoint("k", "https://r/push")
    )
    body = json.dumps(
        {"code": 12, "timestamp": 1_800_000_000, "data": {"shop_id": 5, "expire_time": 1_800_600_000}}
    )
    event = channel.parse_notification(
        body.encode(), {"authorization": push_signature("k", "https://r/push", body.encode())}
    )
    notice = channel.read_notification(event)
    assert (notice.action, notice.expires_at, event.routing_key) == (
        EventAction.AUTHORIZATION_EXPIRING,
        1_800_600_000,
        "5",
    )


def test_an_invoice_pending_order_gets_its_nfe_then_ships_with_tracking_and_a_document():
    with served() as (emu, api):
        api.authorize()
        with channel_of(emu).session(access(api)) as session:
            listed(emu, session)
            order_sn = emu.create_order(SHOP_ID, status="INVOICE_PENDING")
            order = emu.shops[SHOP_ID].orders[order_sn]
            assert session.package(order_sn).state == PackageState.AWAITING_SHIPMENT
            with pytest.raises(InvoiceRefusedError) as refused:
                session.upload_invoice(order_sn, [order_sn], b"<not-xml")
            assert refused.value.refusal.reason == INVALID_XML
            assert session.upload_invoice(order_sn, [order_sn], nfe(order)) is None
            assert order["order_status"] == "READY_TO_SHIP"
            session.ship_package(order_sn, ShipmentMethod(handover="PICKUP"))
            package = session.package(order_sn)
            assert package.state == PackageState.SHIPPED and package.tracking_number
            with pytest.raises(PackageAlreadyShippedError):
                session.ship_package(order_sn, ShipmentMethod(handover="PICKUP"))
            assert session.shipping_document(order_sn).startswith(b"%PDF")
