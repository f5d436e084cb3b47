"""Rules set per channel (`channel_rules`): one VTEX read, and each channel's target by its own buffer,
maximum, markup, rounding and price-drop guard; a rule a channel does not set is the client's."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from tiktok_pipelines.channels.mercado_livre.channel import capabilities as mercado_livre
from tiktok_pipelines.channels.shopee.channel import capabilities as shopee
from tiktok_pipelines.core.models.offers import decode_target
from tiktok_pipelines.core.stock_price import StockPriceOptions, StockPriceOptionsError
from tiktok_pipelines.core.synclog import SyncLog
from tiktok_pipelines.lanes.stock_price.pushes import PricePusher
from tiktok_pipelines.lanes.stock_price.vtex_reads import VtexRead
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines.stores.stock_price import ListedIds, SkuSyncStore
from tiktok_pipelines.vtex.client import BulkResult, SkuStock, WarehouseStock
from tiktok_pipelines_tests.lanes.stock_price.test_any_channel import MemoryChannel
from tiktok_pipelines_tests.stores.test_registry import FIELDS

C = FIELDS["client_id"]
CHANNELS = ("tiktok_shop", "mercado_livre", "shopee")
RULES = {
    "stock_buffer": 1,
    "price_markup_percent": 10,
    "channel_rules": {
        "shopee": {
            "stock_buffer": 3,
            "stock_max_quantity": 20,
            "price_markup_percent": 20,
            "price_ending": 0.9,
        },
        "mercado_livre": {"max_price_drop_share": 1},
    },
}


class Vtex:
    """One SKU (VTEX id 7): 30 units in warehouse 1_1, sold at 100.00."""

    def __init__(self):
        self.asked: list[str] = []

    def stock_many(self, ids, warehouse_ids=None):
        self.asked += ids
        return BulkResult({i: SkuStock(i, (WarehouseStock(i, "1_1", 30, 0),)) for i in ids})

    def computed_prices_many(self, ids, trade_policy):
        self.asked += ids
        return BulkResult({i: SimpleNamespace(selling_price=Decimal("100.00"), list_price=None) for i in ids})


@pytest.fixture
def stores(registry, state_db) -> dict[str, SkuSyncStore]:
    registry.add(build_client(**{**FIELDS, "tiktok_warehouse_ids": ["W1"], "options": RULES}))
    out = {}
    for channel in CHANNELS:
        out[channel] = SkuSyncStore(state_db, channel)
        out[channel].register(C, {"sku-7": ListedIds("7", f"{channel}-P", f"{channel}-S")})
    return out


def read(registry, stores, kind: str) -> dict[str, dict]:
    """One VTEX read of the SKU for the three channels; each channel's target after."""
    client = registry.get(C)
    options = StockPriceOptions.from_client_options(client.options)
    caps = {"mercado_livre": mercado_livre(), "shopee": shopee()}
    vtex = Vtex()
    reading = VtexRead(vtex, client, options, SyncLog(C, "stock_price"), caps, stores)
    rows = [r for store in stores.values() for r in store.rows(C, kind)]
    report = reading.stock(rows) if kind == "stock" else reading.prices(rows)
    report.save(stores, C, "run-1")
    assert vtex.asked == ["7"]  # one read for the three channels
    return {channel: decode_target(store.rows(C, kind)[0].target) for channel, store in stores.items()}


def test_each_channel_gets_its_stock_and_price_by_its_own_rules_from_one_read(registry, stores):
    assert read(registry, stores, "stock") == {
        "tiktok_shop": {"W1": 29},  # the client's buffer of 1
        "mercado_livre": {"": 29},
        "shopee": {"": 20},  # its buffer of 3, then its maximum of 20
    }
    prices = {c: t["price"] for c, t in read(registry, stores, "price").items()}
    assert prices == {"tiktok_shop": "110.00", "mercado_livre": "110.00", "shopee": "120.90"}


def test_the_price_drop_guard_is_the_channels_own(registry, stores):
    read(registry, stores, "price")
    options = StockPriceOptions.from_client_options(registry.get(C).options)
    for store in stores.values():  # each channel shows twice the price VTEX now gives
        store.confirm(C, "price", {"sku-7": '{"currency": "BRL", "list_price": "240.00", "price": "240.00"}'})
    pushed = {}
    for channel, store in stores.items():
        pusher = PricePusher(
            MemoryChannel({}),
            store,
            C,
            options.for_channel(channel),
            "incremental",
            SyncLog(C, "stock_price"),
        )
        pushed[channel] = pusher.push(store.to_push(C, "price")).confirmed
    # Mercado Livre's guard is off (`max_price_drop_share` 1); the others hold the drop.
    assert pushed == {"tiktok_shop": 0, "mercado_livre": 1, "shopee": 0}
    assert [bool(store.held(C)) for store in stores.values()] == [True, False, True]


@pytest.mark.parametrize(
    ("rules", "says"),
    [
        ({"amazon": {"stock_buffer": 1}}, "'amazon' is not a channel"),
        ({"shopee": {"currency": "USD"}}, "shopee: currency cannot be set per channel"),
        ({"shopee": {"stock_buffer": -1}}, "shopee: stock_buffer"),
        ({"shopee": {"stock_out_of_stock_threshold": 30, "stock_max_quantity": 20}}, "shopee: options"),
        # The client's threshold over the channel's maximum: refused when set, not at the next run.
        ({"shopee": {"stock_max_quantity": 20}, "threshold": 30}, "on shopee, stock_out_of_stock_threshold"),
        (["shopee"], "must be a JSON object of channel"),
    ],
)
def test_a_bad_channel_rule_is_refused_naming_the_channel_and_the_rule(rules, says):
    threshold = rules.pop("threshold", 0) if isinstance(rules, dict) else 0
    with pytest.raises(StockPriceOptionsError) as refused:
        StockPriceOptions.from_client_options(
            {"channel_rules": rules, "stock_out_of_stock_threshold": threshold}
        )
    assert says in str(refused.value)


def test_the_rules_in_effect_on_each_channel_are_shown(stores):
    from click.testing import CliRunner

    from tiktok_pipelines.cli.main import main

    shown = CliRunner().invoke(main, ["stock-price", "options", C])
    assert shown.exit_code == 0, shown.output
    lines = {line.split(": ", 1)[0]: line.split(": ", 1)[1] for line in shown.output.splitlines()}
    on_shopee = set(lines["on shopee"].split(", "))
    assert on_shopee == {
        "stock_buffer: 3",
        "stock_max_quantity: 20",
        "price_markup_percent: 20",
        "price_ending: 0.9",
    }
    assert lines["on mercado_livre"] == "max_price_drop_share: 1.0"
    assert lines["stock_buffer"] == "1"  # the client's own


def test_a_channel_rule_above_the_channels_own_limit_is_refused_when_set(stores, registry):
    import json

    from click.testing import CliRunner

    from tiktok_pipelines.cli.main import main

    def set_rules(rules: dict):
        option = f"channel_rules={json.dumps(rules)}"
        return CliRunner().invoke(main, ["clients", "set", C, "--option", option])

    refused = set_rules({"shopee": {"stock_max_quantity": 1_000_000}})
    assert refused.exit_code == 2
    assert (
        "shopee shows at most 999,999 units, so its stock_max_quantity cannot be 1,000,000" in refused.output
    )
    assert registry.get(C).options["channel_rules"] == RULES["channel_rules"]  # nothing changed
    assert (
        "tiktok_shop shows at most 99,999"
        in set_rules({"tiktok_shop": {"stock_max_quantity": 100_000}}).output
    )

    taken = set_rules({"shopee": {"stock_max_quantity": 500_000}})
    assert taken.exit_code == 0, taken.output
    shown = CliRunner().invoke(main, ["stock-price", "options", C]).output.splitlines()
    assert "most units shown on shopee: 500000" in shown
    assert "most units shown on tiktok_shop: 99999" in shown  # the client sets none: TikTok's own
