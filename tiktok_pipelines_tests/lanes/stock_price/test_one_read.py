"""A client selling on TikTok Shop, Mercado Livre and Shopee: VTEX is read once per SKU for all three, and
each channel that lists the SKU gets its target from that one read, judged by the VTEX emulator's own
request counters."""

from collections import Counter

import dagster as dg
import httpx
import pytest

from tiktok_pipelines.defs.stock_price.assets import vtex_prices, vtex_stock
from tiktok_pipelines.sandbox.world import DEMO_ACCOUNT
from tiktok_pipelines.stores.listings import ListingMap
from tiktok_pipelines.stores.stock_price import SkuSyncStore
from tiktok_pipelines_tests.stock_price_support import fast_resources, metadata, realtime, run

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
        if runs == 1:  # the first run registered every channel's listed SKUs (in its first read), and says so
            added = [metadata(result, asset)["registry_added"] for asset in ("vtex_stock", "vtex_prices")]
            assert sum(added) == 10 + 9 + 14
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


def test_one_vtex_broadcast_reaches_tiktok_mercado_livre_and_shopee_from_one_read(
    tiktok_client, sandbox, receiver, instance, state_db, registry, vtex_control
):
    """The demo store's catalog published on the three channels by the catalog lane; a VTEX stock change
    broadcast to the receiver becomes one realtime run that reads VTEX once and pushes to all three."""
    from tiktok_pipelines.defs.catalog.assets import CATALOG_ASSETS
    from tiktok_pipelines.defs.catalog.feed import feed_products, feed_xml
    from tiktok_pipelines.defs.stock_price.assets import STOCK_PRICE_ASSETS
    from tiktok_pipelines.sandbox.demo_catalog import (
        configure_demo_catalog,
        configure_demo_mercado_livre,
        configure_demo_shopee_catalog,
    )
    from tiktok_pipelines.sandbox.world import (
        DEMO_ML_SELLER,
        DEMO_SHOPEE_SHOP_ID,
        DEMO_VTEX_WEBHOOK_SECRET,
        VTEX_WEBHOOK_PATH,
    )
    from tiktok_pipelines_tests.stock_price_support import tiktok_skus

    sandbox.mercado_livre.consenting = DEMO_ML_SELLER
    sandbox.mercado_livre.config.rate_limit_per_second = 2000
    resources = fast_resources(sandbox, MERCADO_LIVRE_RATE_LIMIT_PER_SECOND="2000")
    for channel in ("mercado_livre", "shopee"):
        link = resources[channel].authorization_link("demo")
        assert httpx.get(link, follow_redirects=True, timeout=10).status_code == 200
    configure_demo_catalog(state_db, "demo", sandbox.urls()["feeds"])
    configure_demo_mercado_livre(state_db, "demo")
    configure_demo_shopee_catalog(state_db, "demo")
    registry.update("demo", options={**registry.get("demo").options, "max_main_images": 2})
    catalog = [feed_xml, feed_products, *CATALOG_ASSETS]
    assert dg.materialize(catalog, partition_key="demo", instance=instance, resources=resources).success
    assert run("full", instance, resources, assets=STOCK_PRICE_ASSETS).success
    listed = {c: ListingMap(state_db, c).skus("demo") for c in CHANNELS}
    seller_sku = sorted(set(listed["tiktok_shop"]) & set(listed["mercado_livre"]) & set(listed["shopee"]))[0]

    vtex_control.notify_to(f"{receiver.url}{VTEX_WEBHOOK_PATH}?secret={DEMO_VTEX_WEBHOOK_SECRET}")
    vtex_control.set_stock(seller_sku, available=41)
    vtex_control.flush()
    sandbox.vtex.calls.clear()
    outcome = realtime(instance, resources)

    assert outcome.success
    assert vtex_reads(sandbox)["stock"] == 1
    assert sum(i["quantity"] for i in tiktok_skus(sandbox)[seller_sku]["inventory"]) == 41
    ml_sku = listed["mercado_livre"][seller_sku]
    item = sandbox.mercado_livre.seller(DEMO_ML_SELLER).items[ml_sku.channel_product_id]
    holder = next((v for v in item["variations"] if str(v["id"]) == ml_sku.channel_sku_id), item)
    assert holder["available_quantity"] == 41
    shopee_sku = listed["shopee"][seller_sku]
    shopee_item = sandbox.shopee.shops[DEMO_SHOPEE_SHOP_ID].items[int(shopee_sku.channel_product_id)]
    on_shopee = (
        shopee_item
        if ":" in shopee_sku.channel_sku_id
        else shopee_item["models"][int(shopee_sku.channel_sku_id)]
    )
    assert on_shopee["stock"] == 41
