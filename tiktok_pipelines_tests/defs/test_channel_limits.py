"""Each channel by its own limits and rules, end to end on the emulators: the demo store's catalog
published on TikTok Shop and Shopee by the catalog lane, then VTEX's stock carried by the stock and price
lane. A channel shows up to its own most units (TikTok Shop 99,999 a warehouse, Shopee more), and a new
listing shows the channel's own price rules from the catalog run on, before any stock and price run."""

from __future__ import annotations

import io
from decimal import ROUND_HALF_UP, Decimal

import dagster as dg
import httpx
import pyarrow.parquet as pq
import pytest

from tiktok_pipelines.defs.stock_price.assets import STOCK_PRICE_ASSETS
from tiktok_pipelines.sandbox import world
from tiktok_pipelines.stores.listings import ListedSku, ListingMap
from tiktok_pipelines_tests import stock_price_support as support

pytestmark = pytest.mark.e2e


@pytest.fixture
def sandbox_world() -> world.SandboxWorld:
    """A demo store of six products, listed on TikTok Shop and Shopee."""
    return support.world_of(6)


@pytest.fixture
def publish(tiktok_client, sandbox, state_db, registry):
    """Publishes the demo store's catalog on TikTok Shop and Shopee with the client's options updated by
    `options`; returns the resources and the SKUs listed on both channels (Shopee's by seller SKU)."""
    from tiktok_pipelines.defs.catalog.assets import CATALOG_ASSETS
    from tiktok_pipelines.defs.catalog.feed import feed_products, feed_xml
    from tiktok_pipelines.sandbox.demo_catalog import configure_demo_catalog, configure_demo_shopee_catalog

    def published(instance, **options) -> tuple[dict, dict[str, ListedSku]]:
        resources = support.fast_resources(sandbox)
        link = resources["shopee"].authorization_link("demo")
        assert httpx.get(link, follow_redirects=True, timeout=10).status_code == 200
        configure_demo_catalog(state_db, "demo", sandbox.urls()["feeds"])
        configure_demo_shopee_catalog(state_db, "demo")
        registry.update("demo", options={**registry.get("demo").options, "max_main_images": 2, **options})
        catalog = [feed_xml, feed_products, *CATALOG_ASSETS]
        assert dg.materialize(catalog, partition_key="demo", instance=instance, resources=resources).success
        on_tiktok = ListingMap(state_db, "tiktok_shop").skus("demo")
        on_shopee = ListingMap(state_db, "shopee").skus("demo")
        both = {sku: listed for sku, listed in on_shopee.items() if sku in on_tiktok}
        assert both, "no SKU listed on both channels"
        return resources, both

    return published


def shopee_model(sandbox, sku: ListedSku) -> dict:
    """The model (or the item without models) the Shopee emulator holds for a listed SKU."""
    item = sandbox.shopee.shops[world.DEMO_SHOPEE_SHOP_ID].items[int(sku.channel_product_id)]
    return item if ":" in sku.channel_sku_id else item["models"][int(sku.channel_sku_id)]


def test_a_sku_shows_up_to_each_channels_own_limit(publish, sandbox, receiver, instance, vtex_control):
    resources, both = publish(instance)
    assert support.run("full", instance, resources, assets=STOCK_PRICE_ASSETS).success
    seller_sku = sorted(both)[0]

    vtex_control.notify_to(f"{receiver.url}{world.VTEX_WEBHOOK_PATH}?secret={world.DEMO_VTEX_WEBHOOK_SECRET}")
    vtex_control.set_stock(seller_sku, available=300_000)
    vtex_control.flush()
    outcome = support.realtime(instance, resources)

    assert outcome.success
    assert shopee_model(sandbox, both[seller_sku])["stock"] == 300_000
    inventory = support.tiktok_skus(sandbox)[seller_sku]["inventory"]
    assert max(i["quantity"] for i in inventory) == 99_999  # TikTok's most per warehouse


def test_a_new_listing_shows_the_channels_markup_and_buffer_before_any_stock_and_price_run(
    publish, sandbox, instance
):
    resources, both = publish(
        instance, channel_rules={"shopee": {"price_markup_percent": 12, "stock_buffer": 2}}
    )
    lake = resources["lake"]
    in_lake = {
        (r["channel"], r["seller_sku"]): r["price"]
        for part in lake.parts("listings", "demo")
        for r in pq.read_table(io.BytesIO(lake.objects.get_bytes(part))).to_pylist()
        if r["price"]
    }

    skus = {str(s.sku_id): s for s in sandbox.demo_catalog.skus()}
    vtex = support.vtex_account(sandbox)
    on_tiktok = support.tiktok_skus(sandbox)
    for seller_sku, listed in both.items():
        feed_price, units = skus[seller_sku].price, vtex.total_available(skus[seller_sku])
        marked_up = (feed_price * Decimal("1.12")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        on_shopee = shopee_model(sandbox, listed)
        assert (Decimal(str(on_shopee["price"])), on_shopee["stock"]) == (marked_up, max(units - 2, 0))
        assert in_lake[("shopee", seller_sku)] == marked_up, "the lake says the price it was created at"
        tiktok = on_tiktok[seller_sku]
        shown = sum(i["quantity"] for i in tiktok["inventory"])
        assert (Decimal(tiktok["price"]["amount"]), shown) == (feed_price, units), seller_sku
        assert in_lake[("tiktok_shop", seller_sku)] == feed_price
