"""The order map's claims: one holder at a time, taken over after the lease, on SQLite and PostgreSQL."""

import threading

import pytest

from tiktok_pipelines.stores.orders import ClaimLost, OrderStore
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.clock import store_clock

pytestmark = pytest.mark.each_database


@pytest.fixture
def store(state_db, registry, settings) -> OrderStore:
    assert state_db.engine.dialect.name == (
        "postgresql" if "postgresql" in settings.database_url else "sqlite"
    )
    registry.add(
        build_client(
            client_id="loja",
            feed_url="https://loja.example/feed.xml",
            vtex_account="loja",
            vtex_app_key="k",
            vtex_app_token="t",
            vtex_warehouse_ids=("1_1",),
        )
    )
    orders = OrderStore(state_db)
    orders.mark_for_sync("loja", ["A", "B"], "order_status")
    return orders


def test_of_many_runs_claiming_an_order_at_once_exactly_one_gets_it(store):
    contenders = 12
    start = threading.Barrier(contenders)
    won: list[str] = []

    def contend(owner: str) -> None:
        start.wait()
        if store.claim("loja", "A", owner, lease_seconds=60) is not None:
            won.append(owner)

    threads = [threading.Thread(target=contend, args=(f"run-{i}",)) for i in range(contenders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(won) == 1
    assert store.get("loja", "A").claimed_by == won[0]
    assert store.claim("loja", "B", "run-0", lease_seconds=60) is not None  # other orders stay free


def test_a_claim_is_taken_over_only_after_its_lease_and_the_old_holder_can_no_longer_place(
    store, monkeypatch
):
    clock = store_clock(monkeypatch, "tiktok_pipelines.stores.orders")
    assert store.claim("loja", "A", "dead-run", lease_seconds=30) is not None
    assert store.claim("loja", "A", "next-run", lease_seconds=60) is None
    clock.advance(20)
    assert store.claim("loja", "A", "dead-run", lease_seconds=30) is not None  # its own: renewed
    clock.advance(20)
    assert store.claim("loja", "A", "next-run", lease_seconds=60) is None  # 40 s on, within the renewal
    clock.advance(11)
    taken = store.claim("loja", "A", "next-run", lease_seconds=60)
    assert taken is not None and taken.claimed_by == "next-run"
    with pytest.raises(ClaimLost):
        store.claim_placement("loja", "A", "dead-run", lease_seconds=60)
    store.release("loja", "A", "dead-run")  # not its claim any more: nothing changes
    assert store.get("loja", "A").claimed_by == "next-run"
    before = store.claim_placement("loja", "A", "next-run", lease_seconds=60)
    assert before.state == "pending" and store.get("loja", "A").state == "placing"
    store.release("loja", "A", "next-run")
    assert store.get("loja", "A").claimed_by is None


def test_an_order_that_no_longer_needs_syncing_is_not_claimed(store):
    store.done_syncing("loja", "A")
    assert store.claim("loja", "A", "run-1", lease_seconds=60) is None


def test_an_order_flagged_again_while_a_run_works_on_it_stays_flagged_for_the_next_run(store):
    held = store.claim("loja", "A", "run-1", lease_seconds=60)
    store.mark_for_sync("loja", ["A"], "cancellation")  # a webhook while the run places it
    assert not store.done_syncing("loja", "A", held.sync_generation)
    store.release("loja", "A", "run-1")
    again = store.claim("loja", "A", "run-2", lease_seconds=60)
    assert again is not None and again.reasons == {"order_status", "cancellation"}
    assert store.done_syncing("loja", "A", again.sync_generation)
    assert not store.get("loja", "A").needs_sync
