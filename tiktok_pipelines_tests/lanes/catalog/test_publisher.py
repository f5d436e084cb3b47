"""The publisher over any channel: what it asks the channel through the Channel interface, and what it
records in the listing map of the outcome. The channel here is a plain fake implementing the catalog
calls, with limits of its own: the lane needs nothing else of it."""

from dataclasses import dataclass, field, replace

import pytest

from tiktok_pipelines.channels.base import ChannelAuthError
from tiktok_pipelines.channels.tiktok_shop.channel import capabilities
from tiktok_pipelines.core.models.listings import ChannelListing, ListingDraft, ListingResult
from tiktok_pipelines.http import map_concurrently
from tiktok_pipelines.lanes.catalog.listings import ListingPublisher
from tiktok_pipelines.stores.listings import ListingMap
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.stores.test_registry import FIELDS

CLIENT = FIELDS["client_id"]


@dataclass
class Draft(ListingDraft):
    """A valid draft of a channel whose payload is its product key."""

    product_key: str
    skus: tuple[str, ...]
    problems: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    prices: dict = field(default_factory=dict)
    vtex_sku_ids: dict = field(default_factory=dict)

    def __post_init__(self):
        self.vtex_sku_ids = {s: f"V{s}" for s in self.skus}

    @property
    def payload_hash(self) -> str:
        return "h-" + self.product_key

    def part_hashes(self) -> dict[str, str]:
        return {"all": self.payload_hash}

    @property
    def seller_skus(self) -> list[str]:
        return list(self.skus)

    @property
    def title(self) -> str:
        return self.product_key

    @property
    def category_id(self) -> str:
        return "leaf"


class FakeChannel:
    """A marketplace that deletes three listings a call and refuses product "bad"."""

    capabilities = replace(capabilities(), display_name="Fake Market", products_per_delete_call=3)

    def __init__(self, existing: dict[str, list[str]] | None = None):
        self.existing = existing or {}
        self.deleted: list[list[str]] = []
        self.created: list[tuple[str, dict, str | None]] = []

    def run_many(self, call, items):
        return map_concurrently(call, items, max_workers=2)

    def find_listings(self, seller_skus):
        return [ChannelListing(pid, tuple(skus)) for pid, skus in self.existing.items()]

    def create_listing(self, draft, write, *, adopt=None):
        self.created.append((draft.product_key, {s: write.units(s) for s in write.stock}, adopt))
        if draft.product_key == "bad":
            return ListingResult("bad", "create", False, message="77: refused", calls=["create"])
        pid = adopt or f"M-{draft.product_key}"
        skus = {s: f"{pid}-{s}" for s in draft.seller_skus}
        return ListingResult(draft.product_key, "create", True, pid, skus, calls=["create"])

    def delete_listings(self, products):
        assert len(products) <= self.capabilities.products_per_delete_call
        self.deleted.append(sorted(products.values()))
        return [
            ListingResult(key, "delete", pid != "M-keep", pid, message=None if pid != "M-keep" else "9: held")
            for key, pid in products.items()
        ]

    def listing_statuses(self, since, product_ids):
        return {pid: "LIVE" for pid in product_ids}


@pytest.fixture
def listings(registry, state_db) -> ListingMap:
    registry.add(build_client(**FIELDS))
    return ListingMap(state_db)


def publisher(channel, listings, stock=None, pause_after=3) -> ListingPublisher:
    return ListingPublisher(
        channel,
        images=None,
        listings=listings,
        target_client_id=CLIENT,
        warehouse_ids=["W1"],
        stock=stock or (lambda vtex_ids: ({v: {"W1": 4} for v in vtex_ids}, [])),
        prices=lambda draft: {},
        pause_after=pause_after,
    )


def test_new_products_are_created_with_their_stock_or_adopted_and_recorded(listings):
    channel = FakeChannel(existing={"M-old": ["a-1", "elsewhere"]})
    report = publisher(channel, listings).push(
        [Draft("a", ("a-1", "a-2")), Draft("b", ("b-1",)), Draft("bad", ("x",))], [], {}, {}, {"a": "src-a"}
    )
    assert report.adopted == {"a": "M-old"}
    created = {key: (stock, adopt) for key, stock, adopt in channel.created}
    assert created["a"] == ({"a-1": 4, "a-2": 4, "b-1": 4, "x": 4}, "M-old")
    assert created["b"][1] is None
    assert listings.product(CLIENT, "a").channel_product_id == "M-old"
    assert listings.product(CLIENT, "a").status == "PENDING"
    assert listings.skus(CLIENT)["b-1"].channel_sku_id == "M-b-b-1"
    assert listings.payload_states(CLIENT)["a"].source_hash == "src-a"
    bad = listings.product(CLIENT, "bad")
    assert (bad.failures, bad.last_error, bad.paused) == (1, "77: refused", False)
    assert report.count("create", True) == 2 and [r.product_key for r in report.failed] == ["bad"]


def test_a_channel_refusing_the_credentials_stops_the_push_naming_the_channel(listings):
    class Refusing(FakeChannel):
        def create_listing(self, draft, write, **options):
            return ListingResult(draft.product_key, "create", False, message="105 bad token", systemic=True)

    with pytest.raises(ChannelAuthError, match="Fake Market refused the shop's credentials: 105 bad token"):
        publisher(Refusing(), listings, pause_after=1).push([Draft("a", ("a-1",))], [], {}, {}, {})
    # Recorded, and never towards a pause (here after one failure): the product is not at fault.
    assert listings.product(CLIENT, "a").failures == 1 and not listings.product(CLIENT, "a").paused


def test_deletions_go_a_call_at_a_time_by_the_channels_limit_and_are_recorded_as_they_come(listings):
    for key in ("p1", "p2", "p3", "p4", "keep"):
        listings.save_listing(CLIENT, key, f"M-{key}", "LIVE", "h", {f"{key}-1": f"S-{key}"})
    listed = listings.products(CLIENT)
    channel = FakeChannel()
    results = publisher(channel, listings).delete(["p1", "p2", "p3", "p4", "keep"], listed)
    assert channel.deleted == [["M-keep", "M-p1", "M-p2"], ["M-p3", "M-p4"]]
    assert [r.product_key for r in results if r.ok] == ["p1", "p2", "p3", "p4"]
    after = listings.products(CLIENT)
    assert after["p1"].status == "deleted" and "p1-1" not in listings.skus(CLIENT)
    kept = after["keep"]  # refused: still listed, retried next run
    assert (kept.status, kept.last_error, kept.failures, kept.paused) == ("LIVE", "9: held", 1, False)


def test_statuses_are_read_only_for_products_pushed(listings):
    listings.save_listing(CLIENT, "a", "M-a", "PENDING", "h", {"a-1": "S-a"})
    assert publisher(FakeChannel(), listings).refresh_statuses(0, []) == 0
    assert publisher(FakeChannel(), listings).refresh_statuses(0, ["M-a"]) == 1
    assert listings.product(CLIENT, "a").status == "LIVE"
