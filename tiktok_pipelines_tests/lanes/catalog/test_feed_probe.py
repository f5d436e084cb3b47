"""What a probe of a feed says to the feed-change sensor: new content or not, and whether it changes what
the catalog publishes or only what the stock and price lane owns."""

from datetime import UTC, datetime

from tiktok_pipelines.lanes.catalog.feed import UNREADABLE, FeedProbe, catalog_digest
from tiktok_pipelines.stores.feeds import FeedSnapshot
from tiktok_pipelines.vtex.feed_download import FeedFetch

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def snapshot(content_hash: str, catalog_hash: str | None = "digest-1") -> FeedSnapshot:
    return FeedSnapshot(
        1, "c", content_hash, "k", 10, '"e1"', None, "accepted", None, 1, 0, catalog_hash, NOW, NOW, NOW
    )


def answer(content_hash: str | None, not_modified: bool = False) -> FeedFetch:
    return FeedFetch(not_modified, 304 if not_modified else 200, '"e2"', None, content_hash, 10)


def test_a_304_or_the_latest_content_again_is_no_news():
    latest = snapshot("h1")
    assert not FeedProbe(latest, latest, answer(None, not_modified=True), None).new_content
    assert not FeedProbe(latest, latest, answer("h1"), None).new_content


def test_new_content_with_the_current_catalog_digest_changed_only_prices_or_stock():
    latest = snapshot("h1")
    prices_only = FeedProbe(latest, latest, answer("h2"), "digest-1")
    assert prices_only.new_content and not prices_only.catalog_changed
    assert prices_only.memo() == ['"e2"', None, "h2", "digest-1"]
    assert FeedProbe(latest, latest, answer("h2"), "digest-2").catalog_changed
    # Without a digest to compare (a first feed, or one never accepted) new content is a catalog change.
    assert FeedProbe(None, None, answer("h2"), None).catalog_changed
    assert FeedProbe(latest, snapshot("h1", catalog_hash=None), answer("h2"), None).catalog_changed


def test_a_feed_that_cannot_be_read_has_a_digest_no_catalog_has(tmp_path):
    broken = tmp_path / "feed.xml"
    broken.write_bytes(b'<?xml version="1.0"?><rss><channel><item><g:id>1</item></channel></rss>')
    assert catalog_digest(broken, "BRL") == UNREADABLE
