"""Product posts over the state DB and the lakes: the baseline at opt-in, one post a newly listed product
(caption, hashtags from the category and the creator's best, due at the creator's best hour), never a
second one; a client that has not opted in, and one naming no creator."""

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from tiktok_pipelines.lanes.content.product_posts import ProductPostsError, prepare_product_posts
from tiktok_pipelines.stores.creators import CreatorRegistry
from tiktok_pipelines.stores.lake import ParquetLake
from tiktok_pipelines.stores.listings import ListingMap
from tiktok_pipelines.stores.objects import LocalObjectStore
from tiktok_pipelines.stores.posts import PostQueue
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.content.test_recommendations_lane import lake  # noqa: F401 (fixture)

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)  # 09:00 in São Paulo
STORE = {"client_id": "loja", "feed_url": "https://loja.example/feed.xml", "vtex_account": "loja"}
LOJA = {**STORE, "vtex_app_key": "k", "vtex_app_token": "t", "vtex_warehouse_ids": ("1_1",)}


def feed(products: list[tuple[str, str, str, str]]) -> pa.Table:
    rows = [
        {
            "seller_sku": f"{key}-1",
            "item_group_id": key,
            "title": title,
            "price": price,
            "sale_price": None,
            "currency": "BRL",
            "product_type": category,
            "link": None,
        }
        for key, title, price, category in products
    ]
    return pa.Table.from_pylist(rows)


@pytest.fixture
def loja(registry, state_db, tmp_path):
    registry.add(build_client(**LOJA, options={"product_posts_creator": "maria"}))
    CreatorRegistry(state_db).add("maria", "loja", "America/Sao_Paulo")
    return ParquetLake(LocalObjectStore(tmp_path / "feed-lake"))


def list_product(state_db, key: str) -> None:
    ListingMap(state_db).save_listing("loja", key, f"tt-{key}", "ACTIVATE", "h", {f"{key}-1": f"sku-{key}"})


def test_a_newly_listed_product_gets_one_post_at_the_creators_best_hour(loja, state_db, lake):  # noqa: F811
    products = [
        ("p1", "Bolsa de Palha", "89.9", "Moda > Bolsas"),
        ("p2", "Chapéu de Sol", "1299", "Moda > Chapéus"),
    ]
    loja.write_table("feed_products", "loja", feed(products))
    list_product(state_db, "p1")
    first = prepare_product_posts(state_db, loja, lake, "loja", now=NOW)
    assert (first.baseline, first.drafts) == (1, [])  # listed before the opt-in took effect: no post

    list_product(state_db, "p2")
    second = prepare_product_posts(state_db, loja, lake, "loja", now=NOW)
    [draft] = second.drafts
    assert draft["product_key"] == "p2" and draft["status"] == "waiting_media"  # no video link template
    [post] = PostQueue(state_db).list("maria")
    assert post.caption == "Chapéu de Sol\nPor R$ 1.299,00\n#chapeus #moda #promo"
    assert post.due_at == datetime(2026, 12, 5, 22, tzinfo=UTC)  # 19:00 in São Paulo, the best hour
    assert post.mode == "inbox" and post.source_key == "product:loja:p2"
    assert prepare_product_posts(state_db, loja, lake, "loja", now=NOW).drafts == []  # once


def test_no_opt_in_no_post_and_an_unknown_creator_is_a_clear_error(loja, registry, state_db, lake):  # noqa: F811
    registry.update("loja", options={})
    assert "product_posts_creator" in prepare_product_posts(state_db, loja, lake, "loja").skipped
    registry.update("loja", options={"product_posts_creator": "nobody"})
    with pytest.raises(ProductPostsError, match="nobody, which is not a registered creator"):
        prepare_product_posts(state_db, loja, lake, "loja")
