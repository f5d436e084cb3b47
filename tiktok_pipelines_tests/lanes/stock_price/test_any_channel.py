"""The lane over any channel that implements `OfferApi`, here one kept in memory: it wants every warehouse
of a SKU in a stock push (and names the ones left out), and answers a price push per SKU, refusing the
SKUs whose price it locked (where TikTok refuses the whole product). The lane names no channel."""

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from decimal import Decimal
from types import SimpleNamespace

import pyarrow as pa
import pytest

from tiktok_pipelines.channels.base import ChannelNotFoundError, OfferApi
from tiktok_pipelines.core.models.offers import (
    ListedOffer,
    PriceTarget,
    PriceUpdate,
    ProductOffers,
    PushResult,
    SkuRefusal,
    StockUpdate,
    decode_target,
    encode_target,
)
from tiktok_pipelines.core.stock_price import StockPriceOptions
from tiktok_pipelines.http import Outcome
from tiktok_pipelines.lanes.stock_price.service import (
    MIN_SKUS_FOR_STOCKOUT_GUARD,
    StockPriceLane,
    StockPriceRun,
    stockout_guard,
)
from tiktok_pipelines.lanes.stock_price.vtex_reads import ReadReport
from tiktok_pipelines.stores.db import utcnow
from tiktok_pipelines.stores.listings import ListingMap
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines.stores.stock_price import Observation
from tiktok_pipelines_tests.stores.test_registry import FIELDS

C = FIELDS["client_id"]


class MemoryChannel(OfferApi):
    """A shop in memory: SKU id → its warehouses, units per warehouse and price."""

    capabilities = SimpleNamespace(api_name="memory")

    def __init__(self, warehouses: dict[str, tuple[str, ...]], locked: set[str] = frozenset(), gone=()):
        self.warehouses = warehouses
        self.locked = locked
        self.gone = set(gone)  # products deleted on the channel
        self.stock: dict[str, dict[str, int]] = {}
        self.prices: dict[str, PriceTarget] = {}
        self.calls: Counter[str] = Counter()

    def run_many(self, call, items) -> Iterator[Outcome]:
        for item in items:
            try:
                yield Outcome(item, value=call(item))
            except Exception as exc:
                yield Outcome(item, error=exc)

    def call_counts(self) -> dict[str, int]:
        return {"api_calls": sum(self.calls.values())}

    def push_inventory(self, channel_product_id: str, updates: Sequence[StockUpdate]) -> PushResult:
        self.calls["inventory"] += 1
        if channel_product_id in self.gone:
            raise ChannelNotFoundError(f"product {channel_product_id} does not exist")
        refused = {}
        for u in updates:
            left_out = tuple(w for w in self.warehouses[u.channel_sku_id] if w not in u.quantities)
            if left_out:
                refused[u.channel_sku_id] = SkuRefusal(u.channel_sku_id, "W", "every warehouse", left_out)
            else:
                self.stock[u.channel_sku_id] = dict(u.quantities)
        return PushResult(refused)

    def push_prices(self, channel_product_id: str, updates: Sequence[PriceUpdate]) -> PushResult:
        self.calls["prices"] += 1
        refused = {}
        for u in updates:
            if u.channel_sku_id in self.locked:
                refused[u.channel_sku_id] = SkuRefusal(u.channel_sku_id, "LOCKED", "price locked")
            else:
                self.prices[u.channel_sku_id] = u.target
        return PushResult(refused)

    def listed_offers(self) -> Iterator[ProductOffers]:
        yield ProductOffers(
            "P1",
            tuple(
                ListedOffer("P1", sku, None, self.stock.get(sku, {}), None, None)
                for sku in sorted(self.warehouses)
            ),
        )


class MemoryLake:
    def __init__(self):
        self.parts: dict[str, list[pa.Table]] = {}

    def read_table(self, table, client_id, columns=None):
        return None

    def write_table(self, table, client_id, data):
        self.parts[table] = [data]

    def append_part(self, table, client_id, data):
        self.parts.setdefault(table, []).append(data)
        return table


@pytest.fixture
def lane(registry, state_db) -> StockPriceLane:
    """Three listed SKUs of product P1 (channel SKU ids S1-S3) whose targets wait to be pushed."""
    client = registry.add(build_client(**FIELDS))
    ListingMap(state_db).save_listing(
        C, "g:1", "P1", "ACTIVATE", None, {f"sku-{i}": f"S{i}" for i in (1, 2, 3)}
    )
    lane = StockPriceLane(C, state_db, MemoryLake())
    assert lane.register(client).added == 3
    price = PriceTarget(Decimal("19.90"), Decimal("29.90"), "BRL").encode()
    for kind, target in (("stock", encode_target({"W1": 5})), ("price", price)):
        observations = [Observation(f"sku-{i}", "{}", target) for i in (1, 2, 3)]
        lane.store.save_observations(C, kind, observations, utcnow(), "r0")
    return lane


def opener(channel: MemoryChannel):
    return lambda client_id: nullcontext(channel)


def test_prices_a_channel_refuses_per_sku_cost_only_those_skus(lane):
    channel = MemoryChannel({f"S{i}": ("W1",) for i in (1, 2, 3)}, locked={"S2"})

    outcome = lane.push("price", StockPriceRun("r1"), opener(channel))

    assert set(channel.prices) == {"S1", "S3"} and channel.calls["prices"] == 1
    assert outcome.report.confirmed == 2 and outcome.report.refused == {"sku-2": ("LOCKED", "price locked")}
    rows = {r.seller_sku: r for r in lane.store.rows(C, "price")}
    assert rows["sku-2"].attempts == 1 and rows["sku-1"].confirmed == rows["sku-1"].target
    history = pa.concat_tables(lane.lake.parts["price_history"]).to_pylist()
    assert sorted((h["seller_sku"], h["result"]) for h in history) == [
        ("sku-1", "ok"),
        ("sku-2", "failed"),
        ("sku-3", "ok"),
    ]
    log = pa.concat_tables(lane.lake.parts["sync_log"]).to_pylist()
    assert [(r["api"], r["result"], r["error_message"]) for r in log] == [
        ("memory", "failed", "1 SKU(s) refused")
    ]


def test_warehouses_the_channel_says_a_sku_has_are_added_at_zero_and_sent_again(lane):
    channel = MemoryChannel({"S1": ("W1",), "S2": ("W1", "W7"), "S3": ("W1",)})

    outcome = lane.push("stock", StockPriceRun("r1"), opener(channel))

    assert channel.stock == {"S1": {"W1": 5}, "S2": {"W1": 5, "W7": 0}, "S3": {"W1": 5}}
    assert outcome.report.repaired_warehouses == 1 and outcome.report.failed == 0
    assert channel.calls["inventory"] == 2  # the product, then the repaired SKU again
    assert outcome.report.calls == 2


def test_a_product_gone_from_the_channel_counts_against_its_skus_until_the_dead_letter(lane, registry):
    registry.update(C, options={"stock_price_max_attempts": 2})
    channel = MemoryChannel({f"S{i}": ("W1",) for i in (1, 2, 3)}, gone={"P1"})

    first = lane.push("stock", StockPriceRun("r1"), opener(channel))
    second = lane.push("stock", StockPriceRun("r2"), opener(channel))
    third = lane.push("stock", StockPriceRun("r3"), opener(channel))

    assert len(first.report.refused) == 3 and first.dead_letter == []
    assert len(second.dead_letter) == 3
    assert third.report.calls == 0 and channel.calls["inventory"] == 2


def test_what_the_channel_shows_becomes_confirmed(lane):
    channel = MemoryChannel({f"S{i}": ("W1",) for i in (1, 2, 3)})
    lane.push("stock", StockPriceRun("r1"), opener(channel))
    channel.stock["S3"] = {"W1": 40}  # edited on the channel

    outcome = lane.read_channel_state(opener(channel))

    assert outcome.report.stock_drift == [
        {"seller_sku": "sku-3", "believed": '{"W1":5}', "shown": '{"W1":40}'}
    ]
    rows = {r.seller_sku: r for r in lane.store.rows(C, "stock")}
    assert decode_target(rows["sku-3"].confirmed) == {"W1": 40} and rows["sku-3"].confirmed_source == "memory"
    assert lane.store.to_push(C, "stock")[0].seller_sku == "sku-3"  # pushed again


@pytest.mark.parametrize(
    ("in_stock", "to_zero", "allow", "blocked"),
    [
        (MIN_SKUS_FOR_STOCKOUT_GUARD, MIN_SKUS_FOR_STOCKOUT_GUARD // 2, False, False),  # 50 %: at the share
        (MIN_SKUS_FOR_STOCKOUT_GUARD, MIN_SKUS_FOR_STOCKOUT_GUARD // 2 + 1, False, True),
        (MIN_SKUS_FOR_STOCKOUT_GUARD, MIN_SKUS_FOR_STOCKOUT_GUARD // 2 + 1, True, False),
        (MIN_SKUS_FOR_STOCKOUT_GUARD - 1, MIN_SKUS_FOR_STOCKOUT_GUARD - 1, False, False),  # too few to judge
    ],
)
def test_the_mass_stockout_guard(in_stock, to_zero, allow, blocked):
    report = ReadReport("stock", in_stock_before=in_stock, stockouts=to_zero)
    options = StockPriceOptions.from_client_options({})
    guard = stockout_guard(report, options, StockPriceRun("r1", allow_mass_stockout=allow))
    assert guard.blocked is blocked
    assert guard.allowed is (allow and guard.guarded)
