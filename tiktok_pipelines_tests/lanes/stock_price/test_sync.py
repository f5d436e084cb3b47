"""The stock and price sync against the sandbox emulators: rules, the price-drop guard, faults, drift,
the mass stock-out guard and the dead letter, judged by what the TikTok emulator ends up showing."""

import re
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from tiktok_pipelines.cli.main import main
from tiktok_pipelines.sandbox.world import DEMO_SHOP_CODE
from tiktok_pipelines.stores.stock_price import SkuSyncStore
from tiktok_pipelines_tests.stock_price_support import (
    INVENTORY,
    PRICES,
    fast_resources,
    list_products,
    live_sku,
    metadata,
    run,
    shown_price,
    shown_stock,
    tiktok_skus,
    vtex_account,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def listed(tiktok_client, sandbox, state_db):
    """The demo client's shop with 40 products (105 SKUs) listed, and fast resources."""
    list_products(sandbox, state_db)
    return fast_resources(sandbox)


def _set_options(registry, **options):
    client = registry.get("demo")
    registry.update("demo", options={**client.options, **options})


def vtex_truth(sandbox) -> dict[str, tuple[int, Decimal, Decimal]]:
    """seller SKU → (available, price, list price on trade policy 1), straight from the VTEX emulator."""
    account = vtex_account(sandbox)
    out = {}
    for sku in sandbox.demo_catalog.skus():
        computed = account.computed_json(sku.sku_id, "1")
        out[str(sku.sku_id)] = (
            account.total_available(sku),
            Decimal(str(computed["sellingPrice"])),
            Decimal(str(computed["listPrice"])),
        )
    return out


def test_buffer_threshold_markup_and_rounding_are_what_tiktok_shows(listed, sandbox, registry, instance):
    _set_options(
        registry,
        stock_buffer=2,
        stock_out_of_stock_threshold=1,
        price_markup_percent=10,
        price_ending="0.90",
    )
    first_warehouse, *others = registry.get("demo").tiktok_warehouse_ids
    result = run("incremental", instance, listed)

    shown, truth = tiktok_skus(sandbox), vtex_truth(sandbox)
    assert metadata(result, "tiktok_shop__inventory")["skus_confirmed"] == len(shown)
    for sku, (available, price, list_price) in truth.items():
        stock = shown_stock(shown[sku])
        after_buffer = available - 2
        assert stock[first_warehouse] == (after_buffer if after_buffer > 1 else 0), sku
        assert all(stock[w] == 0 for w in others)
        tiktok_price, tiktok_list = shown_price(shown[sku])
        assert tiktok_price == up_to_90(price * Decimal("1.1")), (sku, price, tiktok_price)
        assert tiktok_list == max(up_to_90(max(list_price, price) * Decimal("1.1")), tiktok_price), sku
        assert str(tiktok_price).endswith(".90") and str(tiktok_list).endswith(".90")


def up_to_90(amount: Decimal) -> Decimal:
    """The smallest price ending in .90 at or above `amount` in cents (809.91 × 1.1 = 890.901 is 890.90)."""
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    whole = amount.to_integral_value(rounding=ROUND_FLOOR)
    return whole + Decimal("0.90") if whole + Decimal("0.90") >= amount else whole + Decimal("1.90")


def test_a_large_price_drop_waits_for_a_confirmation(listed, sandbox, state_db, instance, vtex_control):
    run("incremental", instance, listed)
    sku, other = sorted(tiktok_skus(sandbox))[:2]
    before = shown_price(tiktok_skus(sandbox)[sku])[0]
    dropped = (before * Decimal("0.5")).quantize(Decimal("0.01"))
    small = (shown_price(tiktok_skus(sandbox)[other])[0] * Decimal("0.9")).quantize(Decimal("0.01"))
    vtex_control.set_price(sku, dropped)
    vtex_control.set_price(other, small)

    held = run("incremental", instance, listed)

    assert shown_price(tiktok_skus(sandbox)[sku])[0] == before  # held back
    assert shown_price(tiktok_skus(sandbox)[other])[0] == small  # a 10 % drop goes through
    assert metadata(held, "tiktok_shop__prices")["held_price_drops"] == 1
    checks = {c.check_name: c.passed for c in held.get_asset_check_evaluations()}
    assert checks["no_held_price_drops"] is False
    cli = CliRunner()
    status = cli.invoke(main, ["stock-price", "held", "demo"])
    assert status.exit_code == 0 and sku in status.output and "50%" in status.output
    confirmed = cli.invoke(main, ["stock-price", "confirm-price", "demo", sku, "--yes"])
    assert confirmed.exit_code == 0, confirmed.output

    run("incremental", instance, listed)
    assert shown_price(tiktok_skus(sandbox)[sku])[0] == dropped
    assert SkuSyncStore(state_db).held("demo") == []


def test_with_a_fifth_of_calls_failing_tiktok_ends_equal_to_vtex(listed, sandbox, instance, vtex_control):
    resources = fast_resources(sandbox, TIKTOK_TIMEOUT_SECONDS="0.3")
    run("incremental", instance, resources)
    account = vtex_account(sandbox)
    for i, sku in enumerate(sandbox.demo_catalog.skus()):
        if i % 2:
            vtex_control.set_stock(sku.sku_id, available=(account.total_available(sku) + 7) % 50)
        else:
            computed = account.computed_json(sku.sku_id, "1")
            vtex_control.set_price(sku.sku_id, Decimal(str(computed["sellingPrice"])) + 1)
    switches = sandbox.tiktok.switches
    switches.rate_429, switches.error_rate, switches.timeout_rate, switches.timeout_ms = (
        0.07,
        0.07,
        0.06,
        1200,
    )
    vtex_control.fault(503, times=15, family="logistics")
    sandbox.tiktok.reset_stats()

    for _ in range(3):
        result = run("incremental", instance, resources)
        if (
            metadata(result, "tiktok_shop__inventory")["skus_sent"] == 0
            and metadata(result, "tiktok_shop__prices")["skus_sent"] == 0
        ):
            break
    stats = sandbox.tiktok.stats()
    answers = stats["answers"][INVENTORY] | stats["answers"][PRICES]
    assert "36009002" in answers and "36009003" in answers, answers  # the faults did happen

    switches.rate_429 = switches.error_rate = switches.timeout_rate = 0
    shown, truth = tiktok_skus(sandbox), vtex_truth(sandbox)
    first_warehouse = sorted(shown_stock(next(iter(shown.values()))))[0]
    for sku, (available, price, list_price) in truth.items():
        assert sum(shown_stock(shown[sku]).values()) == available, sku
        assert shown_price(shown[sku]) == (price, max(list_price, price)), sku
    assert first_warehouse


def test_drift_on_tiktok_is_repaired_by_the_full_reconcile(listed, sandbox, instance):
    run("incremental", instance, listed)
    sku = sorted(tiktok_skus(sandbox))[3]
    expected_stock = shown_stock(tiktok_skus(sandbox)[sku])
    expected_price = shown_price(tiktok_skus(sandbox)[sku])
    # Someone edits the SKU in Seller Center.
    edited = live_sku(sandbox, sku)
    edited["inventory"][0]["quantity"] += 500
    edited["price"] = {**edited["price"], "amount": "1.00"}

    quiet = run("incremental", instance, listed)
    assert metadata(quiet, "tiktok_shop__inventory")["write_calls"] == 0  # it believes TikTok is in step

    sandbox.tiktok.reset_stats()
    full = run("full", instance, listed)
    state = metadata(full, "tiktok_shop__stock_price_state")
    assert (state["stock_drift"], state["price_drift"]) == (1, 1)
    assert shown_stock(tiktok_skus(sandbox)[sku]) == expected_stock
    assert shown_price(tiktok_skus(sandbox)[sku]) == expected_price
    calls = sandbox.tiktok.stats()["calls"]
    assert (calls[INVENTORY], calls[PRICES]) == (1, 1)


def test_a_wrong_warehouse_does_not_empty_the_shop(listed, sandbox, registry, instance):
    run("incremental", instance, listed)
    before = tiktok_skus(sandbox)
    registry.update("demo", vtex_warehouse_ids=("9_9",))  # a warehouse the store does not have

    blocked = run("incremental", instance, listed, raise_on_error=False, refresh_limit=500)

    assert not blocked.success
    checks = {c.check_name: c for c in blocked.get_asset_check_evaluations()}
    assert checks["no_mass_stockout"].passed is False
    assert tiktok_skus(sandbox) == before
    # Told it is real, the run goes ahead.
    run("incremental", instance, listed, refresh_limit=500, allow_mass_stockout=True)
    assert all(sum(shown_stock(s).values()) == 0 for s in tiktok_skus(sandbox).values())


def test_a_sku_tiktok_keeps_refusing_goes_to_the_dead_letter(listed, sandbox, registry, instance):
    _set_options(registry, stock_price_max_attempts=2)
    shop = sandbox.tiktok.shop_by_code(DEMO_SHOP_CODE)
    gone_id = sorted(shop.products)[0]
    shop.products[gone_id]["status"] = "DELETED"  # deleted on TikTok behind the catalog's back
    gone = {s["seller_sku"] for s in shop.products[gone_id]["skus"]}

    first = run("incremental", instance, listed)
    assert metadata(first, "tiktok_shop__inventory")["skus_failed"] == len(gone)
    second = run("incremental", instance, listed)
    assert metadata(second, "tiktok_shop__inventory")["dead_letter"] == len(gone)
    sandbox.tiktok.reset_stats()
    third = run("incremental", instance, listed)
    assert metadata(third, "tiktok_shop__inventory")["write_calls"] == 0  # left alone
    checks = {c.check_name: c.passed for c in third.get_asset_check_evaluations()}
    assert checks["stock_dead_letter_empty"] is False

    cli = CliRunner()
    listing = cli.invoke(main, ["stock-price", "dead-letter", "demo"])
    assert listing.exit_code == 0 and all(s in listing.output for s in gone) and "12052032" in listing.output
    retried = cli.invoke(main, ["stock-price", "retry", "demo", "--all"])
    assert retried.exit_code == 0, retried.output
    fourth = run("incremental", instance, listed)
    assert metadata(fourth, "tiktok_shop__inventory")["write_calls"] == 1


def test_a_run_leaves_history_snapshots_and_status(listed, sandbox, instance):
    run("incremental", instance, listed)
    skus = len(tiktok_skus(sandbox))
    lake = listed["lake"]

    def parts(table):
        return pa.concat_tables(
            [pq.read_table(lake.objects.local_path(k)) for k in lake.parts(table, "demo")]
        )

    stock = parts("stock_history")
    assert set(stock.column("result").to_pylist()) == {"ok"}
    assert stock.num_rows == skus * 2  # every SKU, both TikTok warehouses
    assert parts("price_history").num_rows == skus
    assert lake.read_table("vtex_stock", "demo").num_rows == skus
    assert lake.read_table("vtex_prices", "demo").num_rows == skus
    operations = set(parts("sync_log").column("operation").to_pylist())
    assert {"inventory_update", "price_update", "read_stock", "read_price"} <= operations

    out = CliRunner().invoke(main, ["stock-price", "status", "demo"])
    assert out.exit_code == 0, out.output
    for kind in ("stock", "price"):  # every SKU in step, nothing pending, failing or held
        assert re.search(rf"^{kind}\s+{skus}\s+{skus}\s+0\s+0\s+0\s+0\s+0\s+0\s", out.output, re.M), (
            out.output
        )
    options = CliRunner().invoke(main, ["stock-price", "options", "demo"])
    assert options.exit_code == 0 and "max_price_drop_share" in options.output
    bad = CliRunner().invoke(main, ["clients", "set", "demo", "--option", "price_ending=1.5"])
    assert bad.exit_code == 2 and "price_ending" in bad.output
