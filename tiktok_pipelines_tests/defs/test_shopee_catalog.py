"""The catalog on Shopee end to end: the demo store's feed, VTEX's enrichment, Shopee's brands and the
reviewed category mapping, then every product listed on the Shopee emulator as an item with its models,
through the same catalog lane as TikTok's; a product gone from the feed is unlisted."""

from __future__ import annotations

import dagster as dg
import httpx
import pytest

from tiktok_pipelines.defs.catalog.assets import (
    feed_diff,
    shopee_brands,
    shopee_categories,
    shopee_listings,
    vtex_catalog,
)
from tiktok_pipelines.defs.catalog.feed import feed_products, feed_xml
from tiktok_pipelines.sandbox.demo_catalog import configure_demo_shopee_catalog
from tiktok_pipelines.sandbox.world import DEMO_SHOPEE_SHOP_ID, SandboxConfig, SandboxWorld
from tiktok_pipelines.stores.listings import ListingMap
from tiktok_pipelines_tests.results import asset_metadata

pytestmark = pytest.mark.e2e

ASSETS = [feed_xml, feed_products, feed_diff, vtex_catalog, shopee_brands, shopee_categories, shopee_listings]


@pytest.fixture
def sandbox_world() -> SandboxWorld:
    return SandboxWorld(SandboxConfig.on_free_ports(products=12))


@pytest.fixture
def shopee_client(demo_client, receiver, resources, state_db, registry):
    answer = httpx.get(resources["shopee"].authorization_link("demo"), follow_redirects=True, timeout=10)
    assert answer.status_code == 200, answer.text
    configure_demo_shopee_catalog(state_db, "demo")
    registry.update("demo", options={**registry.get("demo").options, "max_main_images": 2})
    return demo_client


def items(sandbox):
    shop = sandbox.shopee.shops[DEMO_SHOPEE_SHOP_ID]
    return {i["item_id"]: i for i in shop.items.values()}


def test_the_demo_catalog_is_listed_on_shopee_with_its_models(
    shopee_client, sandbox, instance, resources, state_db
):
    result = dg.materialize(ASSETS, partition_key="demo", instance=instance, resources=resources)
    assert result.success
    catalog = sandbox.demo_catalog
    meta = asset_metadata(result, "shopee__listings")
    assert (meta["created"], meta["failed"], meta["invalid"]) == (len(catalog.products), 0, 0), meta
    listed = ListingMap(state_db, "shopee")
    products, skus = listed.products("demo"), listed.skus("demo")
    on_shopee = items(sandbox)
    assert len(on_shopee) == len(catalog.products)
    for product in catalog.products:
        item = on_shopee[int(products[str(product.product_id)].channel_product_id)]
        seller_skus = {str(s.sku_id) for s in product.skus}
        if item["has_model"]:
            assert {m["model_sku"] for m in item["models"].values()} == seller_skus
        else:
            assert {item["item_sku"]} == seller_skus
        assert seller_skus <= set(skus)

    again = dg.materialize(ASSETS, partition_key="demo", instance=instance, resources=resources)
    assert asset_metadata(again, "shopee__listings")["created"] == 0
    assert len(items(sandbox)) == len(catalog.products)
