"""Stock and prices on Shopee end to end: the demo store's catalog listed on the Shopee emulator through the
catalog lane, then VTEX changes carried to each model by the stock and price runs (real time from a VTEX
broadcast through the receiver and the queue sensor), judged by what the Shopee emulator shows."""

from __future__ import annotations

from decimal import Decimal

import dagster as dg
import httpx
import pytest
from click.testing import CliRunner

from tiktok_pipelines.cli.main import main
from tiktok_pipelines.defs.catalog.assets import (
    feed_diff,
    shopee_brands,
    shopee_categories,
    shopee_listings,
    vtex_catalog,
)
from tiktok_pipelines.defs.catalog.feed import feed_products, feed_xml
from tiktok_pipelines.defs.stock_price.assets import STOCK_PRICE_ASSETS
from tiktok_pipelines.sandbox.demo_catalog import configure_demo_shopee_catalog
from tiktok_pipelines.sandbox.world import (
    DEMO_ACCOUNT,
    DEMO_SHOPEE_SHOP_ID,
    DEMO_VTEX_WEBHOOK_SECRET,
    VTEX_WEBHOOK_PATH,
    SandboxConfig,
    SandboxWorld,
)
from tiktok_pipelines.stores.listings import ListedSku, ListingMap
from tiktok_pipelines.stores.stock_price import SkuSyncStore
from tiktok_pipelines_tests.defs.test_channel_authorization import lost_notices
from tiktok_pipelines_tests.defs.test_grant_discovery import CHANNELS as GRANT_CHANNELS
from tiktok_pipelines_tests.defs.test_grant_discovery import access_token_expired
from tiktok_pipelines_tests.results import asset_metadata
from tiktok_pipelines_tests.stock_price_support import realtime, run

pytestmark = pytest.mark.e2e

CATALOG = [
    feed_xml,
    feed_products,
    feed_diff,
    vtex_catalog,
    shopee_brands,
    shopee_categories,
    shopee_listings,
]


@pytest.fixture
def sandbox_world() -> SandboxWorld:
    return SandboxWorld(SandboxConfig.on_free_ports(products=8))


@pytest.fixture
def on_shopee(
    demo_client, receiver, resources, sandbox, instance, state_db, registry
) -> dict[str, ListedSku]:
    """The demo client's Shopee shop connected, the demo catalog listed on it, and one reconcile run
    done (every model in step with VTEX); the listed SKUs by seller SKU."""
    answer = httpx.get(resources["shopee"].authorization_link("demo"), follow_redirects=True, timeout=10)
    assert answer.status_code == 200, answer.text
    configure_demo_shopee_catalog(state_db, "demo")
    registry.update("demo", options={**registry.get("demo").options, "max_main_images": 2})
    assert dg.materialize(CATALOG, partition_key="demo", instance=instance, resources=resources).success
    assert run("full", instance, resources, assets=STOCK_PRICE_ASSETS).success
    return ListingMap(state_db, "shopee").skus("demo")


def model(sandbox, sku: ListedSku) -> dict:
    """The model (or the item without models) the Shopee emulator holds for a listed SKU."""
    item = sandbox.shopee.shops[DEMO_SHOPEE_SHOP_ID].items[int(sku.channel_product_id)]
    return item if ":" in sku.channel_sku_id else item["models"][int(sku.channel_sku_id)]


def writes(sandbox) -> dict[str, int]:
    calls = sandbox.shopee.stats()["calls"]
    return {
        kind: sum(n for key, n in calls.items() if key.endswith(f"/product/update_{kind}"))
        for kind in ("stock", "price")
    }


def with_models(listed: dict[str, ListedSku], count: int) -> list[ListedSku]:
    """`count` SKUs of one item that has that many models or more."""
    by_item: dict[str, list[ListedSku]] = {}
    for sku in sorted(listed.values(), key=lambda s: s.seller_sku):
        if ":" not in sku.channel_sku_id:
            by_item.setdefault(sku.channel_product_id, []).append(sku)
    return next(skus[:count] for skus in by_item.values() if len(skus) >= count)


def test_a_vtex_change_reaches_the_shopee_model_and_a_second_run_sends_nothing(
    on_shopee, sandbox, receiver, instance, resources, vtex_control
):
    vtex_control.notify_to(f"{receiver.url}{VTEX_WEBHOOK_PATH}?secret={DEMO_VTEX_WEBHOOK_SECRET}")
    first, second = with_models(on_shopee, 2)
    price = Decimal(str(model(sandbox, second)["price"])) + Decimal("5.00")
    vtex_control.set_stock(first.seller_sku, available=37)
    vtex_control.set_price(second.seller_sku, price)
    vtex_control.flush()
    before = writes(sandbox)

    outcome = realtime(instance, resources)

    assert outcome.success
    assert model(sandbox, first)["stock"] == 37
    assert Decimal(str(model(sandbox, second)["price"])) == price
    # One item: one update_stock and one update_price carrying its changed model.
    after = writes(sandbox)
    assert (after["stock"] - before["stock"], after["price"] - before["price"]) == (1, 1)
    pushed = asset_metadata(outcome, "shopee__inventory")
    assert (pushed["skus_confirmed"], pushed["write_calls"]) == (1, 1)

    again = run("incremental", instance, resources, assets=STOCK_PRICE_ASSETS)
    assert again.success
    assert writes(sandbox) == after
    assert asset_metadata(again, "shopee__inventory")["write_calls"] == 0
    assert asset_metadata(again, "shopee__prices")["write_calls"] == 0


def test_a_price_drop_past_the_guard_is_held_on_shopee_until_confirmed(
    on_shopee, sandbox, instance, resources, vtex_control
):
    (sku,) = with_models(on_shopee, 1)
    shown = Decimal(str(model(sandbox, sku)["price"]))
    dropped = (shown / 2).quantize(Decimal("0.01"))
    vtex_control.set_price(sku.seller_sku, dropped)

    held = run("incremental", instance, resources, assets=STOCK_PRICE_ASSETS, seller_skus=[sku.seller_sku])

    assert Decimal(str(model(sandbox, sku)["price"])) == shown  # not sent
    assert asset_metadata(held, "shopee__prices")["held_price_drops"] == 1
    (check,) = [
        e
        for e in held.get_asset_check_evaluations()
        if e.check_name == "no_held_price_drops" and e.asset_key.to_user_string() == "shopee/prices"
    ]
    assert not check.passed
    cli = CliRunner()
    listed = cli.invoke(main, ["stock-price", "held", "demo", "--channel", "shopee"])
    assert sku.seller_sku in listed.output
    assert cli.invoke(main, ["stock-price", "held", "demo"]).output.startswith("no price drop")  # TikTok's
    confirmed = cli.invoke(
        main, ["stock-price", "confirm-price", "demo", sku.seller_sku, "--channel", "shopee", "--yes"]
    )
    assert confirmed.exit_code == 0, confirmed.output

    sent = run("incremental", instance, resources, assets=STOCK_PRICE_ASSETS)

    assert Decimal(str(model(sandbox, sku)["price"])) == dropped
    (check,) = [
        e
        for e in sent.get_asset_check_evaluations()
        if e.check_name == "no_held_price_drops" and e.asset_key.to_user_string() == "shopee/prices"
    ]
    assert check.passed


def test_a_model_shopee_refuses_costs_that_model_alone_and_is_retried(
    on_shopee, sandbox, instance, resources, vtex_control
):
    locked, free = with_models(on_shopee, 2)
    prices = {
        s.seller_sku: Decimal(str(model(sandbox, s)["price"])) + Decimal("3.00") for s in (locked, free)
    }
    for seller_sku, price in prices.items():
        vtex_control.set_price(seller_sku, price)
    lock = {"lock": [[int(locked.channel_product_id), int(locked.channel_sku_id)]]}
    control = f"{sandbox.urls()['shopee']}/_sandbox/shops/{DEMO_SHOPEE_SHOP_ID}/price_locks"
    assert httpx.post(control, json=lock, timeout=5).status_code == 200

    refused = run("incremental", instance, resources, assets=STOCK_PRICE_ASSETS)

    assert refused.success  # one model's refusal fails neither the run nor its item's other model
    assert Decimal(str(model(sandbox, free)["price"])) == prices[free.seller_sku]
    assert Decimal(str(model(sandbox, locked)["price"])) != prices[locked.seller_sku]
    pushed = asset_metadata(refused, "shopee__prices")
    assert (pushed["skus_confirmed"], pushed["skus_failed"], pushed["write_calls"]) == (1, 1, 1)
    assert "locked by a promotion" in pushed["failures"]

    httpx.post(control, json={"unlock": lock["lock"]}, timeout=5)
    retried = run("incremental", instance, resources, assets=STOCK_PRICE_ASSETS)
    assert Decimal(str(model(sandbox, locked)["price"])) == prices[locked.seller_sku]
    assert asset_metadata(retried, "shopee__prices")["skus_confirmed"] == 1


def test_the_demo_stores_walk_reaches_shopee_without_a_click(
    demo_client, sandbox, receiver, instance, resources, state_db
):
    from tiktok_pipelines.defs.catalog.assets import CATALOG_ASSETS
    from tiktok_pipelines.sandbox.demo import connect_demo_shopee, connect_vtex_notifications
    from tiktok_pipelines.sandbox.vtex import VtexSandboxControl

    # `make run`'s steps: the shop connected, the store's broadcasts at the receiver, the catalog job.
    configure_demo_shopee_catalog(state_db, "demo")
    assert connect_demo_shopee(sandbox.config) == str(DEMO_SHOPEE_SHOP_ID)
    connect_vtex_notifications(sandbox.config)
    catalog = [feed_xml, feed_products, *CATALOG_ASSETS]
    assert dg.materialize(catalog, partition_key="demo", instance=instance, resources=resources).success
    listed = ListingMap(state_db, "shopee").skus("demo")

    with VtexSandboxControl(sandbox.urls()["vtex"], DEMO_ACCOUNT) as control:
        changes = control.walk_step(skus_per_step=3, prices=False)
    outcome = realtime(instance, resources)

    assert outcome.success
    account = sandbox.vtex.account(DEMO_ACCOUNT)
    skus = {s.sku_id: s for s in sandbox.demo_catalog.skus()}
    for change in changes:
        sku = skus[change["skuId"]]
        assert model(sandbox, listed[str(sku.sku_id)])["stock"] == account.total_available(sku)


def test_a_model_refused_too_often_waits_in_shopees_dead_letter_until_retried(
    on_shopee, sandbox, instance, resources, registry, vtex_control
):
    registry.update("demo", options={**registry.get("demo").options, "stock_price_max_attempts": 2})
    (locked,) = with_models(on_shopee, 1)
    price = Decimal(str(model(sandbox, locked)["price"])) + Decimal("4.00")
    vtex_control.set_price(locked.seller_sku, price)
    lock = [[int(locked.channel_product_id), int(locked.channel_sku_id)]]
    control = f"{sandbox.urls()['shopee']}/_sandbox/shops/{DEMO_SHOPEE_SHOP_ID}/price_locks"
    httpx.post(control, json={"lock": lock}, timeout=5)

    for _ in range(2):
        refused = run("incremental", instance, resources, assets=STOCK_PRICE_ASSETS)
    (check,) = [
        e
        for e in refused.get_asset_check_evaluations()
        if e.check_name == "price_dead_letter_empty" and e.asset_key.to_user_string() == "shopee/prices"
    ]
    assert not check.passed and "--channel shopee" in check.description
    cli = CliRunner()
    dead = cli.invoke(main, ["stock-price", "dead-letter", "demo", "--channel", "shopee"])
    assert locked.seller_sku in dead.output
    # The client's people are told once, as it entered the dead letter.
    listed = cli.invoke(main, ["notifications", "list", "demo"]).output.splitlines()
    (told,) = [line.split() for line in listed if "stock_price_failed" in line]
    assert told[told.index("stock_price_failed") + 1] == "shopee"
    skipped = run("incremental", instance, resources, assets=STOCK_PRICE_ASSETS)
    assert asset_metadata(skipped, "shopee__prices")["write_calls"] == 0  # left alone

    httpx.post(control, json={"unlock": lock}, timeout=5)
    retried = cli.invoke(main, ["stock-price", "retry", "demo", locked.seller_sku, "--channel", "shopee"])
    assert retried.exit_code == 0, retried.output
    run("incremental", instance, resources, assets=STOCK_PRICE_ASSETS)
    assert Decimal(str(model(sandbox, locked)["price"])) == price


def test_the_stock_run_that_finds_the_shopee_grant_ended_is_green_and_its_checks_warn(
    on_shopee, sandbox, instance, resources, state_db
):
    shopee = next(c for c in GRANT_CHANNELS if c.name == "shopee")
    skus = sorted(on_shopee)[:2]
    shopee.expire(sandbox)  # Shopee refuses the refresh the run's first call needs
    access_token_expired(state_db, shopee)

    outcome = run("incremental", instance, resources, seller_skus=skus)

    assert outcome.success
    for asset in ("shopee__inventory", "shopee__prices"):
        assert "must authorize shopee again" in asset_metadata(outcome, asset)["needs_authorization"]
    assert asset_metadata(outcome, "vtex_stock")["dagster/row_count"] >= len(skus)
    checks = [e for e in outcome.get_asset_check_evaluations() if e.asset_key.path[0] == "shopee"]
    assert len(checks) == 3
    assert all(e.passed and e.severity == dg.AssetCheckSeverity.WARN for e in checks)
    assert shopee.store(state_db).status("demo").status == "needs_authorization"
    assert len(lost_notices(state_db, "shopee")) == 1
    sync = SkuSyncStore(state_db, "shopee")
    for kind in ("stock", "price"):  # the ended grant is no SKU's failure
        assert [row.error_code for row in sync.rows("demo", kind, skus)] == [None, None]
