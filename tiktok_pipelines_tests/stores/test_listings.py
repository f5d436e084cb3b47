from tiktok_pipelines.stores.listings import ListingMap
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.stores.test_registry import FIELDS


def test_listing_map_saves_replaces_skus_and_pauses_on_repeated_failures(registry, state_db):
    registry.add(build_client(**FIELDS))
    listings = ListingMap(state_db)
    listings.save_listing("loja-1", "P1", "TP1", "ACTIVATE", "h1", {"S1": "T1", "S2": "T2"})
    assert set(listings.skus("loja-1")) == {"S1", "S2"}
    listings.save_listing("loja-1", "P1", "TP1", "ACTIVATE", "h2", {"S1": "T1", "S3": "T3"})
    assert set(listings.skus("loja-1")) == {"S1", "S3"}
    assert listings.skus("loja-1", ["S3"])["S3"].channel_sku_id == "T3"
    assert listings.sku_by_channel_id("loja-1", "T1").seller_sku == "S1"

    for attempt in range(1, 4):
        product = listings.record_failure("loja-1", "P2", "missing attribute Material", pause_after=3)
        assert product.paused is (attempt == 3)
    assert listings.record_failure("loja-1", "P2", "another error").failures == 1

    assert listings.set_status("loja-1", "TP1", "SELLER_DEACTIVATED")
    assert not listings.set_status("loja-1", "nope", "X")
    listings.mark_deleted("loja-1", "P1")
    assert listings.skus("loja-1") == {}
    assert listings.products("loja-1")["P1"].status == "deleted"
