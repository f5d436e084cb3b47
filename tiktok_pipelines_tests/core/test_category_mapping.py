from tiktok_pipelines.core.category_mapping import (
    category_sources,
    resolve_category,
    suggestion_source,
    text_match,
)
from tiktok_pipelines.sandbox.tiktok_shop.category_tree import build_category_tree, category_chain


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
