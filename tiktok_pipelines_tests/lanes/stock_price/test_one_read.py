"""A client selling on TikTok Shop, Mercado Livre and Shopee: VTEX is read once per SKU for all three, and
each channel that lists the SKU gets its target from that one read, judged by the VTEX emulator's own
request counters."""

from collections import Counter

import pytest

from tiktok_pipelines.defs.stock_price.assets import vtex_prices, vtex_stock
from tiktok_pipelines.sandbox.world import DEMO_ACCOUNT
from tiktok_pipelines.stores.listings import ListingMap
from tiktok_pipelines.stores.stock_price import SkuSyncStore
from tiktok_pipelines_tests.stock_price_support import fast_resources, run

pytestmark = pytest.mark.e2e

CHANNELS = ("tiktok_shop", "mercado_livre", "shopee")


def vtex_reads(sandbox) -> Counter[str]:
    """Requests the VTEX emulator answered for the demo store, by kind (stock, price)."""
    calls = sandbox.vtex.calls.get(DEMO_ACCOUNT, Counter())
    out: Counter[str] = Counter()
    for key, n in calls.items():
        if "/inventory/" in key:
            out["stock"] += n
        elif "/pricing/" in key or "/prices/" in key:
            out["price"] += n
    return out


@pytest.fixture
def three_channels(tiktok_client, sandbox, state_db):
    """The demo store's first 14 SKUs, listed unevenly: TikTok Shop has the first 10, Mercado Livre the
    last 9, Shopee all 14 (each its own product and SKU ids). Returns the seller SKUs by channel."""
    skus = [str(s.sku_id) for s in sandbox.demo_catalog.skus()][:14]
    listed = {"tiktok_shop": skus[:10], "mercado_livre": skus[5:], "shopee": skus}
    for channel, seller_skus in listed.items():
        listings = ListingMap(state_db, channel)
        for sku in seller_skus:
            listings.save_listing(
                "demo", f"g:{sku}", f"{channel}-P{sku}", "ACTIVE", None, {sku: f"{channel}-{sku}"}
            )
    return listed


def observed(state_db) -> dict[str, set[str]]:
    """Channel → the seller SKUs whose stock was read from VTEX."""
    return {
        channel: {
            r.seller_sku for r in SkuSyncStore(state_db, channel).rows("demo", "stock") if r.observed_at
        }
        for channel in CHANNELS
    }


def test_an_incremental_slice_reads_each_vtex_sku_once_for_every_channel_listing_it(
    three_channels, sandbox, instance, state_db
):
    resources = fast_resources(sandbox)
    every = sorted({s for skus in three_channels.values() for s in skus})
    runs = 0
    while runs < 6:
        result = run("incremental", instance, resources, assets=[vtex_stock, vtex_prices], refresh_limit=7)
        assert result.success
        runs += 1
        seen = observed(state_db)
        # Whatever a run read, it read for every channel listing the SKU.
        read = set().union(*seen.values())
        for channel, skus in three_channels.items():
            assert seen[channel] == read & set(skus), channel
        if read == set(every):
            break
    # 14 VTEX SKUs, 7 a run: 2 runs, and VTEX asked once per SKU and kind whatever the channels.
    assert runs == 2
    assert vtex_reads(sandbox) == Counter(stock=len(every), price=len(every))
