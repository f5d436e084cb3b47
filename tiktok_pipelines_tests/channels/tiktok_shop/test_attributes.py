from tiktok_pipelines.channels.tiktok_shop.attributes import (
    SkuFacts,
    match_values,
    resolve_product_attributes,
)
from tiktok_pipelines.core.attribute_rules import Source
from tiktok_pipelines.sandbox.tiktok_shop.category_tree import (
    GENDER,
    MATERIAL,
    VOLUME,
    build_category_tree,
)


def test_values_match_tiktoks_list_ignoring_case_accents_and_google_english():
    values, problem = match_values("ALGODAO, poliéster", MATERIAL)
    assert problem is None
    assert [v.name for v in values] == ["Algodão", "Poliéster"] and all(v.id for v in values)
    values, _ = match_values("female", GENDER)
    assert values[0].name == "Feminino"
    values, problem = match_values("Seda", GENDER)
    assert values == [] and "not one TikTok accepts" in problem


def test_free_form_numeric_attribute_takes_the_number():
    values, problem = match_values("200 ml", VOLUME)
    assert problem is None and values[0].as_api() == {"name": "200"}
    assert match_values("grande", VOLUME)[1] is not None


def test_required_attributes_come_from_rules_then_feed_then_vtex():
    leaf = build_category_tree()["824330"]  # Camisetas: Material (required), Gênero
    skus = [SkuFacts({"gender": "male"}, {"Material": "Algodão"})]
    resolved = resolve_product_attributes(leaf.attributes, skus, lambda attr: None)
    assert resolved.missing == []
    assert resolved.sources == {"Material": "vtex:Material", "Gênero": "feed:gender"}
    rule = resolve_product_attributes(
        leaf.attributes, skus, lambda a: Source("value", "Poliéster") if a["name"] == "Material" else None
    )
    assert rule.sources["Material"] == "value:Poliéster"
    missing = resolve_product_attributes(leaf.attributes, [SkuFacts({}, {})], lambda a: None)
    assert missing.missing == ["Material (101610)"]


def test_a_refused_optional_value_is_left_out_but_a_required_one_is_a_problem():
    leaf = build_category_tree()["824330"]
    resolved = resolve_product_attributes(
        leaf.attributes, [SkuFacts({"gender": "alien", "material": "Kevlar"}, {})], lambda a: None
    )
    assert [v["id"] for v in resolved.values] == []
    assert len(resolved.problems) == 1 and "Kevlar" in resolved.problems[0]
