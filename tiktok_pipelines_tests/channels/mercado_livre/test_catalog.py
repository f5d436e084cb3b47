"""The Mercado Livre session's catalog against the strict emulator: the predicted leaf and its required
attributes, the dry run, an item with variations created, edited with what changed (its variations kept
by id), closed when its product leaves the feed."""

from decimal import Decimal

import pytest

from tiktok_pipelines.channels.base import ShopAccess
from tiktok_pipelines.channels.base.catalog import ListingWrite
from tiktok_pipelines.channels.mercado_livre.channel import MercadoLivreChannel
from tiktok_pipelines.channels.mercado_livre.client import MercadoLivreApp
from tiktok_pipelines.core.attribute_rules import AttributeRule, attribute_key
from tiktok_pipelines.core.models.categories import CategoryChoice
from tiktok_pipelines.core.models.listings import ListingOptions
from tiktok_pipelines.core.models.offers import ONE_STOCK
from tiktok_pipelines.core.models.products import Product, Variant
from tiktok_pipelines.sandbox.mercado_livre import SANDBOX_APP_ID, SANDBOX_CLIENT_SECRET
from tiktok_pipelines_tests.sandbox.mercado_livre_support import (
    REDIRECT_URI,
    SELLER,
    start_sandbox,
    stop_sandbox,
)


class Tokens:
    def __init__(self, token: str):
        self.token = token

    def access_token(self) -> str:
        return self.token

    def refresh(self, rejected: str) -> str:
        raise AssertionError("no renewal expected")


class NoImages:
    def resolve(self, refs):
        return {}, {}

    def forget(self, uris):
        pass


@pytest.fixture(scope="module")
def ml():
    sandbox = start_sandbox()
    sandbox.connect()
    yield sandbox
    stop_sandbox(sandbox)


@pytest.fixture
def session(ml):
    app = MercadoLivreApp(SANDBOX_APP_ID, SANDBOX_CLIENT_SECRET, REDIRECT_URI, api_base_url=ml.url)
    channel = MercadoLivreChannel(app)
    seller_id = str(ml.emulator.seller(SELLER).id)
    with channel.session(ShopAccess(seller_id, Tokens(ml.tokens["access_token"]), {})) as shop:
        yield shop


def tee(sku: str, color: str, size: str, **extra) -> Variant:
    return Variant(
        {
            "seller_sku": sku,
            "title": f"Camiseta Algodão Básica {color} {size}",
            "description": "<p>Camiseta de algodão.</p><p>Macia.</p>",
            "image_link": f"https://loja.example.com/img/{sku}.jpg",
            "price": Decimal("79.90"),
            "currency": "BRL",
            "brand": "Açaí Sports",
            "color": color,
            "size": size,
            "gender": "unisex",
            "gtin": "7891234567895",
        }
        | extra
    )


def choice(session, title: str) -> CategoryChoice:
    leaf = session.recommend_category(title, None).category_id
    rules = session.category_rules(leaf)
    assert rules.error is None
    return CategoryChoice(leaf, rules.rules, rules.attributes)


def write(stock: dict[str, int]) -> ListingWrite:
    units = {sku: {ONE_STOCK: n} for sku, n in stock.items()}
    return ListingWrite(images=NoImages(), stock=units, warehouse_ids=[], idempotency_key="k")


def test_an_item_with_variations_is_checked_created_edited_and_closed(ml, session):
    options = ListingOptions(listing_types={"mercado_livre": "gold_pro"})
    build = session.listing_builder(options, [])
    product = Product("TEE", [tee("TEE-AZ-M", "Azul", "M"), tee("TEE-PR-G", "Preta", "G")])
    leaf = choice(session, product.title)
    assert leaf.leaf_id == "MLB31447"
    brand = session.brand("Açaí Sports")
    draft = build(product, leaf, brand.channel_brand_id, None)
    assert draft.ok, draft.problems
    assert session.check_listing(draft, NoImages(), warehouse_ids=[]).ok

    created = session.create_listing(draft, write({"TEE-AZ-M": 4, "TEE-PR-G": 2}))
    assert created.ok, created.message
    item = ml.emulator.seller(SELLER).items[created.channel_product_id]
    assert (item["listing_type_id"], item["category_id"], item["status"]) == (
        "gold_pro",
        "MLB31447",
        "active",
    )
    assert sorted(created.channel_sku_ids) == ["TEE-AZ-M", "TEE-PR-G"]
    assert {v["available_quantity"] for v in item["variations"]} == {4, 2}
    assert ml.emulator.description(item["id"])["plain_text"].startswith("Camiseta de algodão.")
    pushed = draft.part_hashes()
    ml.emulator.create_orders(SELLER, 1, item_ids=[item["id"]])
    kept = {v["id"]: v["sold_quantity"] for v in item["variations"]}

    grown = Product("TEE", [*product.variants, tee("TEE-BR-P", "Branca", "P")])
    edited_draft = build(grown, leaf, brand.channel_brand_id, None)
    edited = session.update_listing(
        edited_draft, write({"TEE-BR-P": 9}), channel_product_id=item["id"], pushed=pushed
    )
    assert edited.ok, edited.message
    assert edited.calls == ["edit"]  # the description did not change
    item = ml.emulator.seller(SELLER).items[item["id"]]
    assert {v["id"]: v["sold_quantity"] for v in item["variations"] if v["id"] in kept} == kept
    assert len(item["variations"]) == 3 and sorted(edited.channel_sku_ids) == [
        "TEE-AZ-M",
        "TEE-BR-P",
        "TEE-PR-G",
    ]

    assert [f.channel_product_id for f in session.find_listings(["TEE-BR-P"])] == [item["id"]]
    assert session.delete_listings({"TEE": item["id"]})[0].ok
    assert ml.emulator.seller(SELLER).items[item["id"]]["status"] == "closed"
    assert session.listing_statuses(0, [item["id"]]) == {item["id"]: "closed"}


def test_a_required_attribute_without_a_value_holds_the_product_back_naming_it(session):
    build = session.listing_builder(ListingOptions(), [])
    product = Product("X", [tee("X-1", "Azul", "M", gender=None), tee("X-2", "Preta", "M", gender=None)])
    draft = build(product, choice(session, product.title), "Açaí Sports", None)
    assert [stage for stage, _ in draft.problems] == ["attributes"]
    assert "GENDER" in draft.problems[0][1]


def test_a_rule_fills_the_attribute_and_the_platform_dry_run_refuses_what_it_refuses(session):
    rule = AttributeRule("*", "Gênero", attribute_key("Gênero"), "value:Feminino")
    build = session.listing_builder(ListingOptions(), [rule])
    product = Product("Y", [tee("Y-1", "Azul", "M", gender=None)])
    draft = build(product, choice(session, product.title), "Açaí Sports", None)
    assert draft.ok, draft.problems
    assert {"id": "GENDER", "value_name": "Feminino"} in draft.body["attributes"]
    draft.body["attributes"] = [a for a in draft.body["attributes"] if a["id"] != "GENDER"]
    checked = session.check_listing(draft, NoImages(), warehouse_ids=[])
    assert not checked.ok and "GENDER" in checked.message and not checked.transient
