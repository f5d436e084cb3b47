import dagster as dg
import httpx
import pyarrow.parquet as pq
import pytest

from tiktok_pipelines.core import feed_table
from tiktok_pipelines.defs.catalog.feed import feed_products, feed_xml
from tiktok_pipelines.defs.resources.feeds import FeedDownloader
from tiktok_pipelines.defs.resources.storage import ParquetLake
from tiktok_pipelines.sandbox.world import SandboxWorld
from tiktok_pipelines.stores.feeds import FeedSnapshots
from tiktok_pipelines_tests.results import asset_metadata

pytestmark = pytest.mark.e2e


@pytest.fixture
def resources(resources):
    return {**resources, "feed_downloader": FeedDownloader(attempts=3, backoff_initial_seconds=0.05)}


def materialize(instance, resources, client_id="demo", raise_on_error=True):
    return dg.materialize(
        [feed_xml, feed_products],
        partition_key=client_id,
        instance=instance,
        resources=resources,
        raise_on_error=raise_on_error,
    )


def metadata(result, asset):
    return asset_metadata(result, asset)


def control(world: SandboxWorld, action: str, **kwargs):
    url = f"{world.urls()['feeds']}/_sandbox/feeds/demo/{action}"
    return httpx.request(kwargs.pop("method", "POST"), url, **kwargs).raise_for_status()


def lake_table(resources, client_id="demo", table="feed_products"):
    lake: ParquetLake = resources["lake"]
    with lake.local_copy(table, client_id) as path:
        return pq.read_table(path)


def test_feed_is_fetched_parsed_and_written_to_the_lake(sandbox, demo_client, instance, resources):
    result = materialize(instance, resources)
    assert result.success
    xml_meta, products_meta = metadata(result, "feed_xml"), metadata(result, "feed_products")
    catalog = sandbox.demo_catalog
    n_skus = sum(len(p.skus) for p in catalog.products)
    assert xml_meta["http_status"] == 200 and xml_meta["new_content"] is True
    assert products_meta["dagster/row_count"] == n_skus
    assert products_meta["products"] == len(catalog.products)
    table = lake_table(resources)
    assert table.num_rows == n_skus
    assert set(table.column("seller_sku").to_pylist()) == {str(s.sku_id) for s in catalog.skus()}
    assert str(table.schema.field("price").type) == "decimal128(14, 2)"


def test_feed_products_says_which_reader_read_the_feed(sandbox, demo_client, instance, resources):
    meta = metadata(materialize(instance, resources), "feed_products")
    assert meta["feed_reader"] == ("compiled" if feed_table.COMPILED else "python")
    first = sandbox.demo_catalog.products[0]
    assert str(first.skus[0].sku_id) in meta["preview"]


def test_unchanged_feed_is_a_304_and_no_new_snapshot(sandbox, demo_client, instance, resources, state_db):
    materialize(instance, resources)
    second = materialize(instance, resources)
    meta = metadata(second, "feed_xml")
    assert meta["http_status"] == 304 and meta["new_content"] is False
    snapshots = FeedSnapshots(state_db)
    assert snapshots.latest("demo").id == snapshots.current("demo").id


def test_a_changed_feed_makes_a_new_current_snapshot(sandbox, demo_client, instance, resources, state_db):
    materialize(instance, resources)
    first = FeedSnapshots(state_db).current("demo")
    control(sandbox, "change", json={"count": 5})
    result = materialize(instance, resources)
    assert metadata(result, "feed_xml")["new_content"] is True
    current = FeedSnapshots(state_db).current("demo")
    assert current.content_hash != first.content_hash


def test_a_malformed_feed_fails_and_the_last_good_catalog_stays(
    sandbox, demo_client, instance, resources, state_db
):
    materialize(instance, resources)
    good = FeedSnapshots(state_db).current("demo")
    rows_before = lake_table(resources).num_rows
    control(
        sandbox, "raw", content=b'<?xml version="1.0"?><rss><channel><item><g:id>1</item></channel></rss>'
    )
    result = materialize(instance, resources, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.step_failure_data.error.message + str(failure.step_failure_data.user_failure_data)
    assert "rejected" in message and "stays current" in message
    snapshots = FeedSnapshots(state_db)
    assert snapshots.current("demo").id == good.id
    assert snapshots.latest("demo").status == "rejected"
    assert lake_table(resources).num_rows == rows_before


def test_a_truncated_download_fails_without_a_new_snapshot(
    sandbox, demo_client, instance, resources, state_db
):
    materialize(instance, resources)
    control(sandbox, "change", json={"count": 3})
    control(sandbox, "fault", json={"truncate_at": 5000, "times": 10})
    result = materialize(instance, resources, raise_on_error=False)
    assert not result.success
    assert FeedSnapshots(state_db).latest("demo").status == "accepted"


def test_too_many_rejected_items_fail_the_feed(sandbox, demo_client, instance, resources, registry, state_db):
    body = (
        b'<?xml version="1.0"?><rss xmlns:g="http://base.google.com/ns/1.0"><channel>'
        + b"".join(
            b"<item><g:id>%d</g:id><title>T</title><g:price>%s</g:price></item>"
            % (i, b"abc" if i % 2 else b"1 BRL")
            for i in range(10)
        )
        + b"</channel></rss>"
    )
    control(sandbox, "raw", content=body)
    assert not materialize(instance, resources, raise_on_error=False).success
    registry.update("demo", options={"feed_max_rejected_share": 0.6})
    result = materialize(instance, resources)
    meta = metadata(result, "feed_products")
    assert meta["dagster/row_count"] == 5 and meta["rejected_items"] == 5
    problems = lake_table(resources, table="feed_problems")
    assert problems.num_rows == 5
    assert set(problems.column("field").to_pylist()) == {"price"}


def test_server_errors_are_retried(sandbox, demo_client, instance, resources):
    control(sandbox, "fault", json={"status": 503, "times": 2})
    result = materialize(instance, resources)
    assert metadata(result, "feed_xml")["http_status"] == 200


def feed_of(*items: bytes) -> bytes:
    return (
        b'<?xml version="1.0"?><rss xmlns:g="http://base.google.com/ns/1.0"><channel><title>Loja</title>'
        + b"".join(b"<item>%s</item>" % i for i in items)
        + b"</channel></rss>"
    )


def test_numbers_too_large_for_their_columns_cost_only_their_items(
    sandbox, demo_client, instance, resources, state_db
):
    good = [b"<g:id>%d</g:id><title>T</title><g:price>19.90 BRL</g:price>" % i for i in range(20)]
    bad = [
        b"<g:id>huge-price</g:id><title>T</title><g:price>1000000000000.00 BRL</g:price>",
        b"<g:id>huge-weight</g:id><title>T</title><g:price>19.90 BRL</g:price>"
        b"<g:shipping_weight>100000000 kg</g:shipping_weight>",
        b"<g:id>zero</g:id><title>T</title><g:price>0 BRL</g:price>",
        b"<g:id>thousands</g:id><title>T</title><g:price>1.299 BRL</g:price>",
    ]
    control(sandbox, "raw", content=feed_of(*good, *bad))
    result = materialize(instance, resources)
    meta = metadata(result, "feed_products")
    assert meta["dagster/row_count"] == 20 and meta["rejected_items"] == 4
    table = lake_table(resources)
    assert table.num_rows == 20 and "huge-price" not in table.column("seller_sku").to_pylist()
    problems = lake_table(resources, table="feed_problems").to_pylist()
    assert {p["seller_sku"]: p["field"] for p in problems} == {
        "huge-price": "price",
        "huge-weight": "shipping_weight",
        "zero": "price",
        "thousands": "price",
    }
    assert FeedSnapshots(state_db).current("demo").id == FeedSnapshots(state_db).latest("demo").id


def test_an_empty_feed_fails_and_the_last_good_catalog_stays(
    sandbox, demo_client, instance, resources, state_db
):
    materialize(instance, resources)
    good = FeedSnapshots(state_db).current("demo")
    rows_before = lake_table(resources).num_rows
    control(sandbox, "raw", content=feed_of())
    result = materialize(instance, resources, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "has no item" in failure.step_failure_data.error.message + str(
        failure.step_failure_data.user_failure_data
    )
    snapshots = FeedSnapshots(state_db)
    assert snapshots.current("demo").id == good.id
    assert snapshots.latest("demo").status == "rejected"
    assert lake_table(resources).num_rows == rows_before
