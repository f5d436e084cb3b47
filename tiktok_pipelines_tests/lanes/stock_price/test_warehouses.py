"""Several warehouses: VTEX warehouses mapped to TikTok warehouses, and a SKU whose TikTok warehouses the
client does not list (12019028) repaired by listing them."""

import pytest

from tiktok_pipelines.sandbox.world import SandboxWorld
from tiktok_pipelines_tests.stock_price_support import (
    fast_resources,
    list_products,
    metadata,
    run,
    shown_stock,
    tiktok_skus,
    vtex_account,
    world_of,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def sandbox_world() -> SandboxWorld:
    """A demo store with two VTEX warehouses."""
    return world_of(12, warehouses=("1_1", "2_1"))


def test_each_vtex_warehouse_feeds_its_tiktok_warehouse(tiktok_client, sandbox, state_db, registry, instance):
    list_products(sandbox, state_db)
    north, south = registry.get("demo").tiktok_warehouse_ids
    registry.update(
        "demo",
        vtex_warehouse_ids=("1_1", "2_1"),
        options={"warehouse_map": {"1_1": north, "2_1": south}},
    )
    run("incremental", instance, fast_resources(sandbox))
    shown, account = tiktok_skus(sandbox), vtex_account(sandbox)
    for sku in sandbox.demo_catalog.skus():
        stock = shown_stock(shown[str(sku.sku_id)])
        assert stock == {north: account.available(sku, "1_1"), south: account.available(sku, "2_1")}


def test_a_warehouse_tiktok_has_but_the_client_does_not_list_is_repaired(
    tiktok_client, sandbox, state_db, registry, instance
):
    list_products(sandbox, state_db)
    north, south = registry.get("demo").tiktok_warehouse_ids
    registry.update("demo", tiktok_warehouse_ids=(north,))  # the SKUs on TikTok have both
    result = run("incremental", instance, fast_resources(sandbox))
    inventory = metadata(result, "tiktok_shop__inventory")
    skus = tiktok_skus(sandbox)
    assert inventory["warehouses_repaired"] == len(skus)
    assert inventory["skus_failed"] == 0
    account = vtex_account(sandbox)
    for sku in sandbox.demo_catalog.skus():  # the client sells from VTEX warehouse 1_1 only
        assert shown_stock(skus[str(sku.sku_id)]) == {north: account.available(sku, "1_1"), south: 0}
