from datetime import UTC, datetime

from tiktok_pipelines.channels.tiktok_shop.listing import TikTokListingDraft, plan_edit
from tiktok_pipelines.lanes.catalog.listings import DraftSummary, idempotency_key, plan_listings
from tiktok_pipelines.stores.listings import ListedProduct, PayloadState

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def draft(key, title="T", problems=()):
    parts = {"title": title, "skus": [{"seller_sku": key + "-1", "sales_attributes": []}]}
    return TikTokListingDraft(key, parts, {}, list(problems))


def listed(key, payload_hash, status="ACTIVATE", paused=False, pid="TP"):
    return ListedProduct("c", "tiktok_shop", key, pid, status, payload_hash, NOW, 0, None, paused, NOW)


def test_plan_creates_edits_deletes_and_leaves_the_rest():
    drafts = {k: draft(k) for k in ("new", "same", "edited", "bad", "paused", "gone-deleted")}
    drafts["edited"] = draft("edited", title="new title")
    drafts["bad"] = draft("bad", problems=[("category", "x")])
    same, edited_before = drafts["same"], draft("edited")
    state = {
        "same": PayloadState("same", "h-same", same.part_hashes(), None),
        "edited": PayloadState("edited", "h-edit", edited_before.part_hashes(), None),
        "paused": PayloadState("paused", None, None, drafts["paused"].payload_hash),
    }
    current = {
        "same": listed("same", same.payload_hash),
        "edited": listed("edited", edited_before.payload_hash),
        "paused": listed("paused", None, status="failed", paused=True, pid=None),
        "removed": listed("removed", "x"),
        "gone-deleted": listed("gone-deleted", "x", status="deleted"),
    }
    plan = plan_listings(drafts, {"same": "h-same", "edited": "h-edit2"}, current, state)
    assert plan.creates == ["gone-deleted", "new"]
    assert plan.edits == ["edited"]
    assert plan_edit(drafts["edited"], state["edited"].part_hashes).fields == ("title",)
    assert plan.unchanged == ["same"] and plan.feed_only_changes == []
    assert plan.invalid == ["bad"] and plan.paused == ["paused"] and plan.deletes == ["removed"]


def test_a_paused_product_is_tried_again_once_its_payload_changes():
    d = draft("p")
    current = {"p": listed("p", None, status="failed", paused=True, pid=None)}
    assert plan_listings({"p": d}, {}, current, {"p": PayloadState("p", None, None, "older")}).creates == [
        "p"
    ]
    assert plan_listings(
        {"p": d}, {}, current, {"p": PayloadState("p", None, None, d.payload_hash)}, retry_paused=True
    ).creates == ["p"]


def test_a_feed_change_the_listing_does_not_show_updates_only_the_baseline():
    d = draft("p")
    state = {"p": PayloadState("p", "old-feed-hash", d.part_hashes(), None)}
    plan = plan_listings({"p": d}, {"p": "new-feed-hash"}, {"p": listed("p", d.payload_hash)}, state)
    assert plan.unchanged == ["p"] and plan.feed_only_changes == ["p"]


def test_max_products_defers_the_rest():
    drafts = {k: draft(k) for k in ("a", "b", "c")}
    plan = plan_listings(drafts, {}, {}, {}, max_products=2)
    assert plan.creates == ["a", "b"] and plan.deferred == ["c"]


def test_idempotency_key_is_stable_per_payload():
    assert idempotency_key("c", "p", "h") == idempotency_key("c", "p", "h") != idempotency_key("c", "p", "h2")


def test_planning_needs_only_hashes():
    summaries = {"a": DraftSummary(True, "h1"), "b": DraftSummary(False, "h2")}
    plan = plan_listings(summaries, {}, {"a": listed("a", "h0")}, {})
    assert (plan.edits, plan.invalid) == (["a"], ["b"])


def test_a_product_the_seller_deleted_on_tiktok_is_created_again():
    d = draft("p")
    gone = {"p": listed("p", d.payload_hash, status="DELETED")}
    plan = plan_listings({"p": d}, {}, gone, {})
    assert plan.creates == ["p"] and plan.deletes == []


def test_a_listed_product_still_in_the_feed_is_never_deleted_even_when_invalid():
    bad = draft("p", problems=[("validation", "the product has no title")])
    plan = plan_listings({"p": bad}, {}, {"p": listed("p", "h")}, {})
    assert plan.invalid == ["p"] and plan.deletes == [] and plan.edits == []


def test_max_products_takes_edits_first_then_creates():
    drafts = {k: draft(k) for k in ("e1", "e2", "c1")}
    current = {k: listed(k, "old") for k in ("e1", "e2")}
    plan = plan_listings(drafts, {}, current, {}, max_products=1)
    assert (plan.edits, plan.creates, plan.deferred) == (["e1"], [], ["e2", "c1"])
    assert plan_listings(drafts, {}, current, {}, max_products=0).deferred == ["e1", "e2", "c1"]


def test_an_unchanged_product_with_no_recorded_feed_hash_takes_the_current_one():
    d = draft("p")
    plan = plan_listings({"p": d}, {"p": "src"}, {"p": listed("p", d.payload_hash)}, {})
    assert plan.unchanged == ["p"] and plan.feed_only_changes == ["p"]
