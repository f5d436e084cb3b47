import pytest

from tiktok_pipelines.channels.tiktok_shop.attributes import (
    SkuFacts,
    Source,
    attribute_key,
    match_values,
    parse_source,
    resolve_product_attributes,
)
from tiktok_pipelines.channels.tiktok_shop.categories import (
    category_sources,
    resolve_category,
    suggestion_source,
    text_match,
)
from tiktok_pipelines.sandbox.tiktok_shop.category_tree import (
    GENDER,
    MATERIAL,
    VOLUME,
    build_category_tree,
    category_chain,
)


def test_sources_are_checked_before_they_are_stored():
    assert parse_source("feed:material") == Source("feed", "material")
    assert parse_source("vtex:Composição") == Source("vtex", "Composição")
    assert parse_source("feed:extra.product_detail").name == "extra.product_detail"
    assert parse_source(" value: Algodão ") == Source("value", "Algodão")
    for bad in ("material", "feed:nope", "vtex:", "sql:drop"):
        with pytest.raises(ValueError):
            parse_source(bad)
    assert attribute_key("Gênero") == "genero" and attribute_key(" 101610 ") == "101610"


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


def test_category_sources_and_resolution_order():
    sources = category_sources("P1", "Camiseta", "Moda > Camisetas, Outlet", "212", "11", "Moda > Camisetas")
    assert [s.kind for s in sources] == [
        "product",
        "vtex_category",
        "product_type",
        "google_product_category",
    ]
    assert sources[2].value == "Moda > Camisetas"
    assert suggestion_source(sources).kind == "vtex_category"
    accepted = {("product_type", "Moda > Camisetas"): "824330", ("google_product_category", "212"): "601155"}
    source, leaf = resolve_category(sources, accepted)
    assert (source.kind, leaf) == ("product_type", "824330")
    assert resolve_category(sources, {("product", "P1"): "1"})[1] == "1"
    assert resolve_category(sources, {}) is None


def test_text_match_prefers_the_leaf_named_like_the_last_segment():
    tree = build_category_tree()
    leaves = {
        cid: " > ".join(c["local_name"] for c in category_chain(tree, cid))
        for cid, n in tree.items()
        if n.is_leaf
    }
    assert text_match("Moda > Calçados > Tênis", leaves)[0] in ("601305", "601311")
    assert text_match("Casa > Cozinha > Garrafas térmicas", leaves)[0] == "600003"
    assert text_match("Esportes > Basquete", leaves) is not None
    assert text_match("Xyz > Qwerty", leaves) is None
