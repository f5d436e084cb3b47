"""feed_change_sensor: conditional GETs over a rotating slice of clients, a run only on change."""

import dagster as dg
import httpx
import pytest

from tiktok_pipelines.defs.catalog import sensors as feed_sensor_module
from tiktok_pipelines.defs.catalog.feed import feed_products, feed_xml
from tiktok_pipelines.defs.catalog.sensors import feed_change_sensor
from tiktok_pipelines.defs.resources.feeds import FeedDownloader
from tiktok_pipelines.partitions import CLIENT_WRITES_TAG, CLIENTS_PARTITION, client_write_tags
from tiktok_pipelines.stores.registry import build_client

pytestmark = pytest.mark.e2e


@pytest.fixture
def three_clients(sandbox, registry, instance):
    """Clients a, b, c: a and c read the demo RSS feed, b its Atom twin (same catalog); d is paused."""
    base = sandbox.demo_client_fields()
    feeds = sandbox.urls()["feeds"]
    for client_id, feed in (("a", "demo"), ("b", "demo-atom"), ("c", "demo"), ("d", "demo")):
        registry.add(
            build_client(**{**base, "client_id": client_id, "feed_url": f"{feeds}/feeds/{feed}.xml"})
        )
    registry.set_status("d", "paused")
    instance.add_dynamic_partitions(CLIENTS_PARTITION, ["a", "b", "c", "d"])
    return ["a", "b", "c"]


def tick(instance, resources, cursor):
    wanted = {k: resources[k] for k in ("state", "feed_downloader")}
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=wanted) as context:
        result = feed_change_sensor(context)
    return result, result.cursor


def test_runs_only_on_change_and_rotates_through_clients(
    sandbox, three_clients, instance, resources, monkeypatch
):
    monkeypatch.setattr(feed_sensor_module, "CLIENTS_PER_TICK", 2)
    resources = {**resources, "feed_downloader": FeedDownloader(attempts=1)}
    feed_stats = f"{sandbox.urls()['feeds']}/_sandbox/feeds/demo/stats"

    first, cursor = tick(instance, resources, None)
    assert sorted(r.partition_key for r in first.run_requests) == ["a", "b"]
    request = next(r for r in first.run_requests if r.partition_key == "a")
    assert request.run_key.startswith("feed:a:") and len(request.run_key) == len("feed:a:") + 64
    assert request.tags[CLIENT_WRITES_TAG] == "a/catalog"

    second, cursor = tick(instance, resources, cursor)  # c is new; a answers 304
    assert [r.partition_key for r in second.run_requests] == ["c"]
    requests_before = httpx.get(feed_stats).json()["requests"]
    third, cursor = tick(instance, resources, cursor)  # b and c: both 304
    assert third.run_requests == [] and "none changed" in third.skip_reason.skip_message
    assert httpx.get(feed_stats).json()["requests"] == requests_before + 1  # only c reads the RSS feed

    httpx.post(f"{sandbox.urls()['feeds']}/_sandbox/feeds/demo/change", json={"count": 2}).raise_for_status()
    fourth, cursor = tick(instance, resources, cursor)  # a and b
    assert sorted(r.partition_key for r in fourth.run_requests) == ["a", "b"]
    assert fourth.run_requests[0].run_key != request.run_key
    assert not any(r.partition_key == "d" for r in [*first.run_requests, *second.run_requests])


def test_no_run_when_the_feed_is_the_latest_snapshot(sandbox, demo_client, instance, resources):
    dg.materialize([feed_xml, feed_products], partition_key="demo", instance=instance, resources=resources)
    result, cursor = tick(instance, resources, None)
    assert result.run_requests == [] and cursor
    # A server without validators: the body's hash says it is the same content.
    body = httpx.get(demo_client.feed_url).content
    httpx.put(f"{sandbox.urls()['feeds']}/_sandbox/feeds/demo/raw", content=body).raise_for_status()
    again, _ = tick(instance, resources, None)
    assert again.run_requests == []


def test_an_unreachable_feed_is_skipped_and_logged(sandbox, registry, instance, resources):
    registry.add(build_client(**{**sandbox.demo_client_fields(), "feed_url": "http://127.0.0.1:9/feed.xml"}))
    instance.add_dynamic_partitions(CLIENTS_PARTITION, ["demo"])
    result, _ = tick(instance, {**resources, "feed_downloader": FeedDownloader(attempts=1)}, None)
    assert result.run_requests == [] and "unreachable" in result.skip_reason.skip_message


def test_a_client_whose_catalog_run_is_in_flight_is_not_probed(sandbox, three_clients, instance, resources):
    from dagster._core.test_utils import create_run_for_test

    run = create_run_for_test(
        instance,
        job_name="catalog_job",
        tags={"dagster/partition": "a", **client_write_tags("a", "catalog")},
        status=dg.DagsterRunStatus.STARTED,
    )
    first, cursor = tick(instance, resources, None)
    assert sorted(r.partition_key for r in first.run_requests) == ["b", "c"]

    instance.report_run_failed(run)  # the run is over: a's feed is probed again
    second, _ = tick(instance, resources, cursor)
    assert [r.partition_key for r in second.run_requests] == ["a"]


def test_a_change_only_in_prices_or_stock_starts_no_catalog_run(sandbox, demo_client, instance, resources):
    """The stock and price lane owns prices and availability: the catalog runs only for what it
    publishes (the demo's live store moves prices every minute)."""
    feeds = sandbox.urls()["feeds"]
    dg.materialize([feed_xml, feed_products], partition_key="demo", instance=instance, resources=resources)
    first, cursor = tick(instance, resources, None)
    assert first.run_requests == []

    httpx.post(f"{feeds}/_sandbox/feeds/demo/change", json={"count": 5}).raise_for_status()
    prices, cursor = tick(instance, resources, cursor)
    assert prices.run_requests == []
    assert "only in prices or availability" in prices.skip_reason.skip_message

    body = httpx.get(demo_client.feed_url).text
    assert "<g:availability>in_stock</g:availability>" in body
    stock = body.replace(
        "<g:availability>in_stock</g:availability>", "<g:availability>out_of_stock</g:availability>", 7
    )
    httpx.put(f"{feeds}/_sandbox/feeds/demo/raw", content=stock.encode()).raise_for_status()
    availability, cursor = tick(instance, resources, cursor)
    assert availability.run_requests == []
    again, cursor = tick(instance, resources, cursor)  # the same bytes again: nothing to read or run
    assert again.run_requests == []

    first_item = stock.index("<item>")
    retitled = stock[:first_item] + stock[first_item:].replace("<title>", "<title>Novo ", 1)
    httpx.put(f"{feeds}/_sandbox/feeds/demo/raw", content=retitled.encode()).raise_for_status()
    catalog, cursor = tick(instance, resources, cursor)
    assert [r.partition_key for r in catalog.run_requests] == ["demo"]
    assert catalog.run_requests[0].run_key.startswith("feed:demo:")


def test_a_catalog_change_hidden_behind_a_price_change_still_runs(sandbox, demo_client, instance, resources):
    feeds = sandbox.urls()["feeds"]
    dg.materialize([feed_xml, feed_products], partition_key="demo", instance=instance, resources=resources)
    httpx.post(f"{feeds}/_sandbox/feeds/demo/change", json={"count": 2, "titles": True}).raise_for_status()
    result, _ = tick(instance, resources, None)
    assert [r.partition_key for r in result.run_requests] == ["demo"]
    httpx.post(f"{feeds}/_sandbox/feeds/demo/remove", json={"count": 1}).raise_for_status()
    removed, _ = tick(instance, resources, None)
    assert [r.partition_key for r in removed.run_requests] == ["demo"]
