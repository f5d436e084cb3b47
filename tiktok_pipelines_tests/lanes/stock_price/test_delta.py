"""Delta only: on a shop of ~2,000 listed SKUs where 1 % changed in VTEX, exactly the products holding a
changed SKU get one call each (counted on the emulator), and TikTok ends up showing the new values."""

import random
from decimal import Decimal

import pytest

from tiktok_pipelines.sandbox.world import SandboxWorld
from tiktok_pipelines_tests.stock_price_support import (
    INVENTORY,
    PRICES,
    SEARCH,
    fast_resources,
    list_products,
    metadata,
    run,
    shown_price,
    shown_stock,
    tiktok_skus,
    world_of,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def sandbox_world() -> SandboxWorld:
    """A demo store of 650 products, 2,047 SKUs."""
    return world_of(650)


def test_one_percent_changed_pushes_exactly_the_changed_products(
    tiktok_client, sandbox, state_db, instance, vtex_control
):
    resources = fast_resources(sandbox)
    list_products(sandbox, state_db)
    before = tiktok_skus(sandbox)
    assert len(before) >= 2000

    first = run("full", instance, resources)
    calls = sandbox.tiktok.stats()["calls"]
    # The catalog published VTEX's stock and prices: a full reconcile of a shop in step writes nothing.
    assert calls.get(INVENTORY, 0) == 0 and calls.get(PRICES, 0) == 0
    assert calls[SEARCH] == -(-650 // 100)
    assert metadata(first, "tiktok_shop__stock_price_state")["skus_seen"] == len(before)

    rng = random.Random(11)
    changed = rng.sample(sorted(before), round(len(before) * 0.01))
    stock_changed, price_changed = changed[::2], changed[1::2]
    new_stock = {sku: sum(shown_stock(before[sku]).values()) + rng.randint(1, 30) for sku in stock_changed}
    new_price = {}
    for sku, available in new_stock.items():
        vtex_control.set_stock(sku, available=available)
    for sku in price_changed:
        price = (shown_price(before[sku])[0] * Decimal("1.1")).quantize(Decimal("0.01"))
        vtex_control.set_price(sku, price, max(price, shown_price(before[sku])[1] or price))
        new_price[sku] = price
    product_of = {
        s["seller_sku"]: pid
        for pid, p in sandbox.tiktok.shop_by_code("BRDEMO001").products.items()
        for s in p["skus"]
    }
    sandbox.tiktok.reset_stats()

    second = run("incremental", instance, resources, refresh_limit=len(before))

    calls = sandbox.tiktok.stats()["calls"]
    assert calls.get(INVENTORY, 0) == len({product_of[s] for s in stock_changed})
    assert calls.get(PRICES, 0) == len({product_of[s] for s in price_changed})
    assert metadata(second, "vtex_stock")["skus_read"] == len(before)
    assert metadata(second, "tiktok_shop__inventory")["skus_confirmed"] == len(stock_changed)
    after = tiktok_skus(sandbox)
    for sku, available in new_stock.items():
        assert sum(shown_stock(after[sku]).values()) == available
    for sku, price in new_price.items():
        assert shown_price(after[sku])[0] == price
    unchanged = set(before) - set(changed)
    assert all(after[s]["inventory"] == before[s]["inventory"] for s in unchanged)
