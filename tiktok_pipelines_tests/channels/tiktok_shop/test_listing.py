from decimal import Decimal

import pytest

from tiktok_pipelines.channels.tiktok_shop.listing import (
    build_draft,
    create_body,
    gtin_type,
    plan_edit,
    product_fields,
)
from tiktok_pipelines.core.enrichment import VtexSkuData
from tiktok_pipelines.core.models.categories import CategoryChoice
from tiktok_pipelines.core.models.listings import ListingOptions
from tiktok_pipelines.core.models.products import Product, Variant, product_title
from tiktok_pipelines.sandbox.tiktok_shop.category_tree import build_category_tree

TREE = build_category_tree()
CAMISETAS = TREE["824330"]


def feed(sku, **kw):
    row = {
        "seller_sku": sku,
        "item_group_id": "G1",
        "title": f"Camiseta Pro Azul {sku}",
        "description": "Boa camiseta",
        "image_link": f"https://img/{sku}.jpg",
        "additional_image_links": [f"https://img/{sku}-b.jpg"],
        "price": Decimal("99.90"),
        "sale_price": None,
        "currency": "BRL",
        "brand": "Marca",
        "gtin": None,
        "color": "Azul",
        "size": sku,
        "material": "Algodão",
        "shipping_weight_kg": Decimal("0.300"),
        "extra": {},
    }
    row.update(kw)
    return row


def vtex(sku, **kw):
    data = VtexSkuData(
        sku,
        sku,
        "ok",
        product_name="Camiseta Pro",
        weight_kg=Decimal("0.4"),
        height_cm=Decimal("2.5"),
        width_cm=Decimal("20"),
        length_cm=Decimal("30"),
        ean="7891234567895",
    )
    for k, v in kw.items():
        setattr(data, k, v)
    return data


def choice(leaf=CAMISETAS):
    return CategoryChoice(leaf.id, leaf.rules(), leaf.attributes)


def draft_of(skus, category=None, brand_id="B1", brand_problem=None, settings=None, rule=None):
    product = Product("G1", skus)
    return build_draft(
        product,
        category or choice(),
        brand_id,
        brand_problem,
        rule or (lambda a: None),
        settings or ListingOptions(),
    )


def test_variants_become_one_product_with_sales_attributes_and_sku_images():
    d = draft_of([Variant(feed("P"), vtex("P")), Variant(feed("M"), vtex("M"))])
    assert d.ok, d.problems
    assert d.parts["title"] == "Camiseta Pro"
    assert [s["seller_sku"] for s in d.parts["skus"]] == ["P", "M"]
    attrs = [s["sales_attributes"] for s in d.parts["skus"]]
    assert attrs[0][0]["name"] == "Tamanho" and attrs[0][0]["value_name"] == "P" and attrs[0][0]["value_id"]
    assert attrs[0][0]["sku_img"] == "https://img/P.jpg"
    assert d.parts["skus"][0]["identifier_code"] == {"code": "7891234567895", "type": "EAN"}
    assert d.parts["package_weight"] == {"value": "0.4", "unit": "KILOGRAM"}
    assert d.parts["package_dimensions"] == {
        "length": "30",
        "width": "20",
        "height": "3",
        "unit": "CENTIMETER",
    }
    assert d.parts["main_images"] == ["https://img/P.jpg", "https://img/P-b.jpg", "https://img/M.jpg"]
    assert d.parts["product_attributes"][0]["id"] == "101610"
    assert d.prices["P"] == {"amount": Decimal("99.90"), "list_amount": None, "currency": "BRL"}


def test_title_from_common_words_without_a_shared_colour():
    skus = [
        Variant(feed("38", title="Tênis Leve Branco 38")),
        Variant(feed("39", title="Tênis Leve Branco 39")),
    ]
    for s in skus:
        s.feed["color"] = "Branco"
    assert product_title(skus) == "Tênis Leve"


def test_problems_hold_a_product_back_and_name_the_fix():
    d = draft_of(
        [Variant(feed("P", material=None, description=None, price=Decimal("0")))], brand_problem="brand X"
    )
    stages = {stage for stage, _ in d.problems}
    assert not d.ok and stages == {"attributes", "validation", "brand"}
    text = " ".join(m for _, m in d.problems)
    assert "Material (101610)" in text and "attributes set" in text
    assert "no description" in text and "price must be above zero" in text


def test_unmapped_category_and_required_certification_are_problems():
    d = draft_of([Variant(feed("P"))], category=CategoryChoice(None, problem="not mapped"))
    assert ("category", "not mapped") in d.problems
    electronics = TREE["601741"]  # Fones: Anatel required, Voltagem required
    d = draft_of([Variant(feed("P"), vtex("P"))], category=choice(electronics), rule=lambda a: None)
    assert any("Anatel" in m for _, m in d.problems)
    ok = draft_of(
        [Variant(feed("P"), vtex("P", specifications={"Voltagem": "bivolt"}))],
        category=choice(electronics),
        settings=ListingOptions(certifications={"7000001": ["https://img/anatel.png"]}),
    )
    assert ok.ok, ok.problems
    assert ok.parts["certifications"] == [{"id": "7000001", "images": ["https://img/anatel.png"]}]
    assert ("https://img/anatel.png", "CERTIFICATION_IMAGE") in ok.image_refs()


def test_no_weight_or_dimensions_is_a_problem_unless_defaults_are_set():
    bare = Variant(feed("P", shipping_weight_kg=None))
    d = draft_of([bare])
    assert any("package weight" in m for _, m in d.problems) and any("dimensions" in m for _, m in d.problems)
    defaults = {"weight_kg": 1, "length_cm": 10, "width_cm": 10, "height_cm": 5}
    d = draft_of([bare], settings=ListingOptions(default_package=defaults))
    assert d.ok, d.problems
    assert d.parts["package_dimensions"]["height"] == "5"


def test_variants_without_colour_or_size_are_told_apart_by_their_titles():
    skus = [
        Variant(feed("1", color=None, size=None, title="Kit Panelas 3 peças")),
        Variant(feed("2", color=None, size=None, title="Kit Panelas 5 peças")),
    ]
    d = draft_of(skus)
    assert [s["sales_attributes"][0]["value_name"] for s in d.parts["skus"]] == ["3 peças", "5 peças"]
    assert d.warnings


def test_identical_variants_are_a_problem():
    skus = [Variant(feed("1", size="M", title="X M")), Variant(feed("2", size="M", title="X M"))]
    assert any("same colour" in m for _, m in draft_of(skus).problems)


def test_sale_price_is_the_price_and_the_price_the_list_price():
    d = draft_of([Variant(feed("P", sale_price=Decimal("79.90")), vtex("P"))])
    assert d.prices["P"]["amount"] == Decimal("79.90") and d.prices["P"]["list_amount"] == Decimal("99.90")
    body = create_body(
        d, {(u, c): f"uri:{u}" for u, c in d.image_refs()}, {"P": [{"warehouse_id": "W", "quantity": 3}]}, "k"
    )
    sku = body["skus"][0]
    assert sku["price"] == {"amount": "79.90", "currency": "BRL"}
    assert sku["list_price"] == {"amount": "99.90", "currency": "BRL"}
    assert sku["inventory"] == [{"warehouse_id": "W", "quantity": 3}]
    assert body["idempotency_key"] == "k" and body["external_product_id"] == "G1"


def test_price_and_stock_are_not_in_the_payload_hash():
    a = draft_of([Variant(feed("P"), vtex("P"))])
    b = draft_of([Variant(feed("P", price=Decimal("120.00")), vtex("P"))])
    assert a.payload_hash == b.payload_hash
    c = draft_of([Variant(feed("P", title="Camiseta Nova"), vtex("P"))])
    assert c.payload_hash != a.payload_hash


def test_edits_send_only_the_parts_that_changed():
    before = draft_of([Variant(feed("P"), vtex("P"))])
    pushed = before.part_hashes()
    title = draft_of([Variant(feed("P", title="Camiseta Nova"), vtex("P"))])
    assert plan_edit(title, pushed).kind == "partial" and plan_edit(title, pushed).fields == ("title",)
    assert plan_edit(before, pushed).kind == "none"
    new_sku = draft_of([Variant(feed("P"), vtex("P")), Variant(feed("M"), vtex("M"))])
    assert plan_edit(new_sku, pushed).kind == "full"
    assert plan_edit(title, None).kind == "full"
    body = product_fields(title, {}, ("title",))
    assert body == {"title": "Camiseta Nova"}


def test_images_with_the_same_uri_are_sent_once():
    d = draft_of([Variant(feed("P"), vtex("P"))])
    same = {(u, c): "uri-1" for u, c in d.image_refs()}
    assert product_fields(d, same, ("main_images",)) == {"main_images": [{"uri": "uri-1"}]}


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("7891234567895", "EAN"),
        ("036000291452", "UPC"),
        ("96385074", "EAN"),
        ("7891234567890", None),
        ("abc", None),
    ],
)
def test_gtin_check_digit(code, kind):
    assert gtin_type(code) == kind
