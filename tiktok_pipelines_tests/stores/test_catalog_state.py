import pytest

from tiktok_pipelines.channels.tiktok_shop.categories import category_nodes
from tiktok_pipelines.stores.catalog import (
    AttributeRuleStore,
    BrandMap,
    CategoryStore,
    ImageStore,
    ShrinkGuardStore,
)
from tiktok_pipelines.stores.listings import ListingMap
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.stores.test_registry import FIELDS

CLIENT = FIELDS["client_id"]


@pytest.fixture
def client(registry):
    return registry.add(build_client(**FIELDS))


def test_brand_map_upserts_by_folded_key(client, state_db):
    brands = BrandMap(state_db)
    brands.save(CLIENT, "acai sports", "Açaí Sports", channel_brand_id=None, error="rate limited")
    assert brands.all(CLIENT)["acai sports"].status == "failed"
    brands.save(
        CLIENT,
        "acai sports",
        "Açaí Sports",
        channel_brand_id="7",
        channel_brand_name="Açaí Sports",
        origin="matched",
    )
    entry = brands.all(CLIENT)["acai sports"]
    assert (entry.status, entry.channel_brand_id, entry.last_error) == ("mapped", "7", None)


def test_category_tree_paths_and_mapping_decisions(client, state_db):
    store = CategoryStore(state_db)
    store.replace_tree(
        CLIENT,
        category_nodes(
            [
                {"id": "1", "parent_id": "0", "local_name": "Moda", "is_leaf": False},
                {
                    "id": "2",
                    "parent_id": "1",
                    "local_name": "Camisetas",
                    "is_leaf": True,
                    "permission_statuses": ["AVAILABLE"],
                },
                {
                    "id": "3",
                    "parent_id": "1",
                    "local_name": "Jogos",
                    "is_leaf": True,
                    "permission_statuses": ["INVITE_ONLY"],
                },
            ]
        ),
    )
    tree = store.tree(CLIENT)
    assert tree["2"].path == "Moda > Camisetas" and not tree["3"].permitted
    store.set_mapping(
        CLIENT, "product_type", "Moda > Camisetas", "2", status="suggested", origin="recommend", products=4
    )
    assert store.mapping(CLIENT, "product_type", "Moda > Camisetas").status == "suggested"
    assert store.decide(CLIENT, "product_type", "Moda > Camisetas", "accepted")
    accepted = store.mapping(CLIENT, "product_type", "Moda > Camisetas")
    assert accepted.status == "accepted" and accepted.decided_at is not None and accepted.products == 4
    assert not store.decide(CLIENT, "product_type", "nope", "accepted")
    store.update_counts(CLIENT, {("product_type", "Moda > Camisetas"): 9})
    assert store.mapping(CLIENT, "product_type", "Moda > Camisetas").products == 9
    with pytest.raises(ValueError):
        store.set_mapping(CLIENT, "color", "x", "2")
    assert store.remove_mapping(CLIENT, "product_type", "Moda > Camisetas")
    store.save_rules(CLIENT, "2", {"package_dimension": {"is_required": True}}, [{"id": "9"}])
    assert store.rules(CLIENT)["2"].attributes == [{"id": "9"}]


def test_attribute_rules_are_validated_and_scoped(client, state_db):
    rules = AttributeRuleStore(state_db)
    rules.set(CLIENT, "Material", "value:Algodão", category_id="2")
    rules.set(CLIENT, "Gênero", "feed:gender")
    with pytest.raises(ValueError):
        rules.set(CLIENT, "Material", "algodão")
    assert [(r.category_id, r.attribute_key, r.source) for r in rules.all(CLIENT)] == [
        ("*", "genero", "feed:gender"),
        ("2", "material", "value:Algodão"),
    ]
    assert rules.remove(CLIENT, "material", category_id="2") and not rules.remove(CLIENT, "x")


def test_image_cache_and_shrink_confirmation(client, state_db):
    images = ImageStore(state_db)
    images.save_source(CLIENT, "https://img/a.jpg", "h1")
    images.save_upload(CLIENT, "h1", "MAIN_IMAGE", "uri-1", 600, 600)
    assert images.upload(CLIENT, "h1", "MAIN_IMAGE") == "uri-1" and images.upload(CLIENT, "h1", "x") is None
    assert images.source(CLIENT, "https://img/a.jpg")[0] == "h1" and images.source(CLIENT, "nope") is None
    assert images.forget_uploads(CLIENT, ["uri-1"]) == 1 and images.upload(CLIENT, "h1", "MAIN_IMAGE") is None

    guard = ShrinkGuardStore(state_db)
    record = guard.record(CLIENT, "abcdef0123456789", 9, 10)
    assert record.share == 0.9 and guard.pending(CLIENT)[0].snapshot_hash == "abcdef0123456789"
    assert guard.confirm(CLIENT, "abc", "me") is None  # too short to name a snapshot
    confirmed = guard.confirm(CLIENT, "abcdef01", "me")
    assert confirmed.confirmed_by == "me" and guard.pending(CLIENT) == []


def test_listing_payload_state_follows_pushes_failures_and_deletes(client, state_db):
    listings = ListingMap(state_db)
    listings.record_failure(CLIENT, "P", "boom", 3, payload_hash="p1")
    assert listings.payload_states(CLIENT)["P"].failed_hash == "p1"
    listings.save_listing(
        CLIENT, "P", "TP", "PENDING", "p2", {"S": "TS"}, source_hash="f1", part_hashes={"title": "t"}
    )
    state = listings.payload_states(CLIENT)["P"]
    assert (state.source_hash, state.part_hashes, state.failed_hash) == ("f1", {"title": "t"}, None)
    listings.set_source_hashes(CLIENT, {"P": "f2"})
    assert listings.payload_states(CLIENT)["P"].source_hash == "f2"
    assert listings.set_statuses(CLIENT, {"TP": "ACTIVATE"}) == 1
    listings.mark_deleted(CLIENT, "P")
    assert "P" not in listings.payload_states(CLIENT)
    assert listings.set_statuses(CLIENT, {"TP": "ACTIVATE"}) == 0  # deleted stays deleted
