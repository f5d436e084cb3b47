"""The guards of a feed's publication, and the shrink guard's one decision, which feed_diff's check and
the publication of listings share."""

from decimal import Decimal

import pyarrow as pa
import pytest

from tiktok_pipelines.lanes.catalog import guards
from tiktok_pipelines.lanes.catalog.guards import ERROR, WARN, ShrinkGuard
from tiktok_pipelines.stores.catalog import ShrinkGuardStore
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.stores.test_registry import FIELDS

CLIENT = FIELDS["client_id"]
SNAPSHOT = "3f2a9c1b0d4e" + "7" * 52


@pytest.fixture
def shrink(registry, state_db) -> ShrinkGuard:
    registry.add(build_client(**FIELDS))
    return ShrinkGuard(ShrinkGuardStore(state_db), CLIENT, max_share=0.2)


def test_deletions_within_the_share_go_ahead_without_a_record(shrink, state_db):
    decision = shrink.judge(SNAPSHOT, listed=10, removed=2)
    assert decision.passed and decision.allows_deletions(products=8)
    assert ShrinkGuardStore(state_db).pending(CLIENT) == []
    check = guards.shrink(decision)
    assert check.passed and check.metadata["share"] == 0.2 and "confirmed" not in check.metadata


def test_a_large_shrink_is_held_until_this_snapshot_is_confirmed(shrink, state_db):
    held = shrink.judge(SNAPSHOT, listed=10, removed=9)
    assert not held.passed and not held.allows_deletions(products=1)
    check = guards.shrink(held)
    assert not check.passed and check.severity == ERROR
    assert f"confirm-shrink {CLIENT} --snapshot {SNAPSHOT[:12]}" in check.description
    (pending,) = ShrinkGuardStore(state_db).pending(CLIENT)
    assert (pending.snapshot_hash, pending.removed, pending.listed) == (SNAPSHOT, 9, 10)
    # The publication asks the same guard, read-only: still held.
    assert not shrink.decide(SNAPSHOT, listed=10, removed=9).passed
    assert held.blocked(9) == (
        f"9 of 10 listed products (90%) would be deleted, above 20%: no deletion until "
        f"`tiktok-pipelines catalog confirm-shrink {CLIENT}`"
    )


def test_a_confirmation_counts_only_for_the_snapshot_it_names(shrink):
    other = shrink.judge(SNAPSHOT, listed=10, removed=9, confirm="0123456789abcdef")
    assert not other.passed and "is not this snapshot" in other.ignored_confirmation
    assert "confirmation_ignored" in guards.shrink(other).metadata
    too_short = shrink.judge(SNAPSHOT, listed=10, removed=9, confirm=SNAPSHOT[:11])
    assert not too_short.passed
    confirmed = shrink.judge(SNAPSHOT, listed=10, removed=9, confirm=SNAPSHOT[:12])
    assert confirmed.passed and confirmed.record.confirmed_by == "run config of feed_diff"
    check = guards.shrink(confirmed)
    assert check.passed and check.description.startswith("confirmed: 9 of 10")
    # The publication sees the confirmation; another content is judged again.
    assert shrink.decide(SNAPSHOT, listed=10, removed=9).allows_deletions(products=1)
    assert not shrink.decide("9" * 64, listed=10, removed=9).passed


def test_an_empty_feed_never_deletes_even_when_confirmed(shrink):
    shrink.judge(SNAPSHOT, listed=4, removed=4)
    confirmed = shrink.judge(SNAPSHOT, listed=4, removed=4, confirm=SNAPSHOT)
    assert confirmed.passed and not confirmed.allows_deletions(products=0)


def test_nothing_listed_is_no_shrink():
    decision = guards.ShrinkDecision(CLIENT, SNAPSHOT, removed=0, listed=0, max_share=0.0)
    assert decision.share == 0.0 and decision.passed


def test_an_empty_feed_fails_its_check():
    assert guards.not_empty(items=0, products=0).description.startswith("the feed has no usable item")
    assert not guards.not_empty(0, 0).passed and guards.not_empty(3, 2).passed


def test_seller_skus_repeat_ignoring_case_and_spaces():
    check = guards.unique_seller_skus(["AB-1", " ab-1", "C"])
    assert not check.passed and check.metadata["duplicates"] == 1 and check.metadata["examples"] == "ab-1"
    assert guards.unique_seller_skus(["A", "B"]).passed


def test_prices_not_above_zero_warn_and_above_the_share_stop_the_push():
    def table(prices):
        return pa.table(
            {
                "seller_sku": [str(i) for i in range(len(prices))],
                "price": [p[0] for p in prices],
                "sale_price": [p[1] for p in prices],
            }
        )

    good = (Decimal("10.00"), None)
    few = guards.prices_positive(table([good] * 99 + [(Decimal("0.00"), None)]), max_share=0.01)
    assert not few.passed and few.severity == WARN and few.metadata["examples"] == "99"
    many = guards.prices_positive(table([good] * 9 + [(Decimal("5.00"), Decimal("0"))]), max_share=0.01)
    assert not many.passed and many.severity == ERROR and many.metadata["share"] == 0.1
    assert guards.prices_positive(table([good, (None, None)]), 0.5).metadata["not_positive"] == 1
    assert guards.prices_positive(table([good]), 0.01).passed
