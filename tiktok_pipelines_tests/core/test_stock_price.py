from decimal import Decimal

import pytest

from tiktok_pipelines.core.models.offers import decode_target
from tiktok_pipelines.core.stock_price import (
    StockPriceOptions,
    StockPriceOptionsError,
    WarehouseReading,
    apply_stock_rules,
    price_hold,
    price_target,
    round_price,
    stock_target,
    warehouse_plan,
)

D = Decimal


def options(**values) -> StockPriceOptions:
    return StockPriceOptions.from_client_options(values)


def test_options_come_from_the_clients_options_and_ignore_other_lanes():
    opts = options(stock_buffer=2, price_ending=0.9, order_price_source="vtex", warehouse_map={"1_1": 7})
    assert opts.stock_buffer == 2
    assert opts.price_ending == D("0.90")  # a JSON float keeps the digits typed
    assert opts.warehouse_map == {"1_1": "7"}
    assert options().max_price_drop_share == 0.3
    assert options().stock_max_quantity is None  # the channel's own limit


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"stock_buffer": -1}, "stock_buffer: Input should be greater than or equal to 0 (got -1)"),
        ({"price_ending": "1.5"}, "price_ending: must be the cents a price ends in"),
        ({"price_ending": "0.905"}, "price_ending: must be the cents a price ends in"),
        ({"price_rounding": "sideways"}, "price_rounding: Input should be 'up', 'down' or 'nearest'"),
        ({"max_price_drop_share": 0}, "max_price_drop_share: Input should be greater than 0"),
        ({"warehouse_map": ["1_1"]}, "warehouse_map: must be a JSON object"),
        ({"currency": "R$0"}, "currency"),
        ({"stock_max_quantity": -1}, "stock_max_quantity: Input should be greater than or equal to 0"),
        ({"stock_out_of_stock_threshold": 10, "stock_max_quantity": 5}, "threshold must be below"),
    ],
)
def test_bad_options_say_which_and_why(values, message):
    with pytest.raises(StockPriceOptionsError) as caught:
        options(**values)
    assert message in str(caught.value)


def test_warehouse_plan_defaults_to_the_first_tiktok_warehouse_and_checks_the_map():
    assert warehouse_plan(options(), ("1_1", "2_1"), ("T1", "T2")) == {"1_1": "T1", "2_1": "T1"}
    mapped = options(warehouse_map={"1_1": "T2", "2_1": "T1"})
    assert warehouse_plan(mapped, ("1_1",), ("T1", "T2")) == {"1_1": "T2", "2_1": "T1"}
    with pytest.raises(StockPriceOptionsError, match="does not have: T9"):
        warehouse_plan(options(warehouse_map={"1_1": "T9"}), ("1_1",), ("T1",))
    with pytest.raises(StockPriceOptionsError, match="no TikTok warehouse"):
        warehouse_plan(options(), ("1_1",), ())


@pytest.mark.parametrize(
    ("available", "unlimited", "rules", "shown"),
    [
        (10, False, {}, 10),
        (10, False, {"stock_buffer": 3}, 7),
        (2, False, {"stock_buffer": 3}, 0),  # never below zero
        (4, False, {"stock_buffer": 1, "stock_out_of_stock_threshold": 3}, 0),  # 3 left: at the threshold
        (5, False, {"stock_buffer": 1, "stock_out_of_stock_threshold": 3}, 4),
        (500, False, {"stock_max_quantity": 50}, 50),
        (0, True, {}, 999),
        (0, True, {"unlimited_stock_as": 100, "stock_buffer": 10}, 90),
        (250_000, False, {}, 99_999),  # the channel's limit
        (250_000, False, {"stock_max_quantity": 500_000}, 99_999),
        (0, True, {"unlimited_stock_as": 150_000}, 99_999),
    ],
)
def test_stock_rules(available, unlimited, rules, shown):
    on_tiktok = options(**rules).for_channel("tiktok_shop", stock_most=99_999)
    assert apply_stock_rules(available, unlimited, on_tiktok) == shown


def test_each_channel_shows_up_to_its_own_limit_and_the_clients_rule_for_it():
    reading = {"1_1": WarehouseReading(300_000)}
    plan = {"1_1": "W"}

    def shown(opts: StockPriceOptions, channel: str, most: int) -> int:
        return stock_target(reading, plan, ["W"], opts.for_channel(channel, most))["W"]

    unset = options()
    assert (shown(unset, "tiktok_shop", 99_999), shown(unset, "shopee", 999_999)) == (99_999, 300_000)
    client_wide = options(stock_max_quantity=200_000)  # capped by each channel's limit
    assert (shown(client_wide, "tiktok_shop", 99_999), shown(client_wide, "shopee", 999_999)) == (
        99_999,
        200_000,
    )
    own = options(channel_rules={"shopee": {"stock_max_quantity": 250_000}})
    assert (shown(own, "tiktok_shop", 99_999), shown(own, "shopee", 999_999)) == (99_999, 250_000)


def test_a_channel_rule_above_the_channels_limit_is_refused_naming_both():
    above = options(channel_rules={"shopee": {"stock_max_quantity": 1_000_000}})
    with pytest.raises(StockPriceOptionsError) as refused:
        above.for_channel("shopee", stock_most=999_999)
    assert "shopee shows at most 999,999 units" in str(refused.value)
    assert "cannot be 1,000,000" in str(refused.value)
    assert above.for_channel("tiktok_shop", stock_most=99_999).stock_max_quantity == 99_999


def test_stock_target_sums_mapped_warehouses_and_lists_every_tiktok_warehouse():
    plan = {"1_1": "T1", "2_1": "T1", "3_1": "T2"}
    reading = {"1_1": WarehouseReading(4), "2_1": WarehouseReading(6), "9_9": WarehouseReading(50)}
    assert stock_target(reading, plan, ["T1", "T2", "T3"], options(stock_buffer=1)) == {
        "T1": 9,  # 4 + 6 − 1: the buffer is per TikTok warehouse
        "T2": 0,  # mapped, nothing read
        "T3": 0,  # no VTEX warehouse feeds it, still listed
    }
    unlimited = {"1_1": WarehouseReading(0, unlimited=True), "3_1": WarehouseReading(2)}
    assert stock_target(unlimited, plan, ["T1", "T2"], options()) == {"T1": 999, "T2": 2}


@pytest.mark.parametrize(
    ("amount", "ending", "direction", "rounded"),
    [
        ("47.23", "0.90", "up", "47.90"),
        ("47.23", "0.90", "down", "46.90"),
        ("47.23", "0.90", "nearest", "46.90"),
        ("47.60", "0.90", "nearest", "47.90"),
        ("47.95", "0.90", "up", "48.90"),
        ("47.90", "0.90", "up", "47.90"),
        ("0.50", "0.90", "down", "0.90"),  # never down to zero or below
        ("19.999", None, "up", "20.00"),
        ("19.991", "0.99", "up", "19.99"),
        ("20.00", "0.00", "down", "20.00"),
    ],
)
def test_round_price(amount, ending, direction, rounded):
    assert round_price(D(amount), D(ending) if ending else None, direction) == D(rounded)


def test_price_target_marks_up_rounds_and_keeps_the_list_price_above():
    target = price_target(D("100.00"), D("150.00"), options(price_markup_percent=10, price_ending="0.90"))
    assert (target.price, target.list_price, target.currency) == (D("110.90"), D("165.90"), "BRL")
    no_discount = price_target(D("59.90"), D("59.90"), options(price_markup_percent="5.5"))
    assert no_discount.price == no_discount.list_price == D("63.19")
    below = price_target(D("80.00"), D("70.00"), options())
    assert below.list_price == below.price == D("80.00")
    assert price_target(D("0"), None, options()) is None
    assert decode_target(target.encode()) == {"price": "110.90", "list_price": "165.90", "currency": "BRL"}


def test_price_drop_guard():
    shown = {"price": "100.00"}
    assert price_hold({"price": "75.00"}, shown, None, 0.3) is None
    assert price_hold({"price": "70.00"}, shown, None, 0.3) is None  # exactly the share
    reason = price_hold({"price": "50.00"}, shown, None, 0.3)
    assert reason == "price drop of 50% (100.00 → 50.00) is above the 30% guard"
    assert price_hold({"price": "50.00"}, shown, {"price": "50.00"}, 0.3) is None  # approved
    assert price_hold({"price": "55.00"}, shown, {"price": "50.00"}, 0.3) is None  # above the approved
    assert price_hold({"price": "40.00"}, shown, {"price": "50.00"}, 0.3)  # lower than approved: held again
    assert price_hold({"price": "10.00"}, None, None, 0.3) is None  # nothing shown yet
    assert price_hold({"price": "130.00"}, shown, None, 0.3) is None
