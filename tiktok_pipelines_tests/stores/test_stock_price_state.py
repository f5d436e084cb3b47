import json
from datetime import timedelta

from tiktok_pipelines.core.events import InboundEvent
from tiktok_pipelines.lanes.stock_price.skus import claim_events, kinds_of_notification
from tiktok_pipelines.stores.db import utcnow
from tiktok_pipelines.stores.events import EventLog
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines.stores.stock_price import ListedIds, Observation, SkuSyncStore
from tiktok_pipelines_tests.stores.test_registry import FIELDS

C = "loja-1"


def store_with(registry, state_db, skus=("S1", "S2", "S3")) -> SkuSyncStore:
    registry.add(build_client(**FIELDS))
    store = SkuSyncStore(state_db)
    store.register(C, {s: ListedIds(f"V{s}", f"P{s[-1]}", f"T{s}") for s in skus})
    return store


def stock(**quantities) -> str:
    return json.dumps(quantities, sort_keys=True, separators=(",", ":"))


def test_register_adds_moves_and_removes(registry, state_db):
    store = store_with(registry, state_db)
    assert len(store.rows(C, "stock")) == len(store.rows(C, "price")) == 3
    store.save_observations(C, "stock", [Observation("S1", "{}", stock(W=1))], utcnow(), "r1")
    store.confirm(C, "stock", {"S1": stock(W=1)})
    changes = store.register(
        C,
        {
            "S1": ListedIds("VS1", "P9", "T9"),
            "S2": ListedIds("VS2", "P2", "TS2"),
            "S4": ListedIds(None, "P4", "T4"),
        },
    )
    assert (changes.added, changes.moved, changes.removed) == (1, 1, 1)
    moved = store.rows(C, "stock", ["S1"])[0]
    # Another TikTok SKU: what the old one confirmed does not count for it.
    assert (moved.channel_sku_id, moved.confirmed, moved.target) == ("T9", None, stock(W=1))
    assert sorted(r.seller_sku for r in store.rows(C, "price")) == ["S1", "S2", "S4"]
    assert store.seller_skus_of(C, ["VS2", "nope"]) == {"VS2": ["S2"]}


def test_an_older_read_never_overwrites_a_newer_one_and_a_new_target_clears_failures(registry, state_db):
    store = store_with(registry, state_db)
    now = utcnow()
    store.mark_dirty(C, {"S1": ["stock"]})
    store.save_observations(C, "stock", [Observation("S1", '{"a":5}', stock(W=5))], now, "new")
    store.save_observations(
        C, "stock", [Observation("S1", '{"a":9}', stock(W=9))], now - timedelta(seconds=3), "old"
    )
    row = store.rows(C, "stock", ["S1"])[0]
    assert (row.target, row.observed_run, row.dirty) == (stock(W=5), "new", False)

    store.record_failures(C, "stock", {"S1": ("12052990", "bad")})
    store.record_failures(C, "stock", {"S1": ("36009003", "5xx")}, count=False)  # not the SKU's fault
    row = store.rows(C, "stock", ["S1"])[0]
    assert (row.attempts, row.error_code) == (1, "36009003")
    store.save_observations(C, "stock", [Observation("S1", '{"a":5}', stock(W=5))], utcnow(), "same")
    assert store.rows(C, "stock", ["S1"])[0].attempts == 1  # same target: still failing
    store.save_observations(C, "stock", [Observation("S1", '{"a":6}', stock(W=6))], utcnow(), "other")
    assert store.rows(C, "stock", ["S1"])[0].attempts == 0


def test_what_each_mode_reads(registry, state_db):
    store = store_with(registry, state_db, skus=[f"S{i}" for i in range(6)])
    start = utcnow() - timedelta(hours=1)
    for i in range(4):  # S0..S3 read, S0 longest ago; S4, S5 never
        store.save_observations(
            C, "stock", [Observation(f"S{i}", "{}", stock(W=i))], start + timedelta(minutes=i), "r"
        )
    store.mark_dirty(C, {"S3": ["stock"], "S2": ["price"]})

    assert [r.seller_sku for r in store.to_read(C, "stock", "realtime")] == ["S3"]
    incremental = [r.seller_sku for r in store.to_read(C, "stock", "incremental", refresh_limit=3)]
    assert incremental == ["S3", "S4", "S5", "S0"]  # notified, then never read, then read longest ago
    assert [r.seller_sku for r in store.to_read(C, "stock", "incremental", refresh_limit=0)] == ["S3"]
    assert len(store.to_read(C, "stock", "full")) == 6
    assert [r.seller_sku for r in store.to_read(C, "price", "realtime")] == ["S2"]


def test_what_is_pushed_the_dead_letter_and_retry(registry, state_db):
    store = store_with(registry, state_db)
    now = utcnow()
    store.save_observations(
        C, "stock", [Observation(s, "{}", stock(W=1)) for s in ("S1", "S2", "S3")], now, "run-1"
    )
    store.confirm(C, "stock", {"S3": stock(W=1)})
    assert [r.seller_sku for r in store.to_push(C, "stock", max_attempts=2)] == ["S1", "S2"]
    assert [r.seller_sku for r in store.to_push(C, "stock", observed_run="run-2")] == []
    assert [r.seller_sku for r in store.to_push(C, "stock", forced=["S3"])] == ["S1", "S2", "S3"]

    for _ in range(2):
        store.record_failures(C, "stock", {"S2": ("12052032", "product not found")})
    assert [r.seller_sku for r in store.to_push(C, "stock", max_attempts=2)] == ["S1"]
    assert [r.seller_sku for r in store.dead_letter(C, 2)] == ["S2"]
    summary = {s.kind: s for s in store.summary(C, 2)}["stock"]
    assert (summary.skus, summary.in_sync, summary.pending, summary.dead) == (3, 1, 2, 1)
    assert store.retry(C, "stock", ["S2"]) == 1
    assert store.dead_letter(C, 2) == []


def test_held_prices_are_approved_at_their_price(registry, state_db):
    store = store_with(registry, state_db)
    store.set_held(C, {"S1": "price drop of 50%", "S2": "price drop of 40%"})
    store.save_observations(C, "price", [Observation("S1", "{}", '{"price":"5.00"}')], utcnow(), "r")
    approved = store.approve(C, ["S1"], "cli:ana")
    assert [r.seller_sku for r in approved] == ["S1"]
    row = store.rows(C, "price", ["S1"])[0]
    assert (row.held, row.approved, row.approved_by) == (None, '{"price":"5.00"}', "cli:ana")
    assert [r.seller_sku for r in store.held(C)] == ["S2"]


def test_extra_warehouses_join_the_target_at_zero(registry, state_db):
    store = store_with(registry, state_db)
    store.save_observations(C, "stock", [Observation("S1", "{}", stock(A=4))], utcnow(), "r")
    store.add_warehouses(C, {"S1": ["B"]})
    row = store.rows(C, "stock", ["S1"])[0]
    assert (row.warehouses, json.loads(row.target)) == (["B"], {"A": 4, "B": 0})


def _event(log: EventLog, sku: str, flags: dict, n: int) -> None:
    body = json.dumps({"idSKU": sku, "an": "loja", **flags})
    event = InboundEvent("vtex", f"e{n}", "vtex:sku_changed", "loja", utcnow(), body)
    log.record(event, C, "stock_price", "sku_changed", (sku,), "pending")


def test_notifications_become_dirty_skus_once(registry, state_db):
    store = store_with(registry, state_db)
    log = EventLog(state_db)
    _event(log, "VS1", {"StockModified": True, "PriceModified": False}, 1)
    _event(log, "VS2", {}, 2)
    _event(log, "V404", {"StockModified": True}, 3)
    refreshed = []

    report = claim_events(log, store, C, refresh=lambda: refreshed.append(1))

    assert (report.events, report.marked, report.not_listed, refreshed) == (3, 3, ["V404"], [1])
    assert [r.seller_sku for r in store.rows(C, "stock") if r.dirty] == ["S1", "S2"]
    assert [r.seller_sku for r in store.rows(C, "price") if r.dirty] == ["S2"]
    assert log.count(status="handled") == 2 and log.count(status="ignored") == 1
    assert claim_events(log, store, C).events == 0
    assert kinds_of_notification({"PriceModified": True}) == {"price"}
