"""Automatic product posts end to end: the demo client opted in, its catalog published on the TikTok Shop
emulator (the baseline: no post), then a product added to the store's feed and published becomes one
draft post (caption with title and R$ price, hashtags, the video link of the template), once however
often the asset runs, and the draft reaches the creator's inbox on the creator emulator; its caption
polished by the chat-completions emulator, or the rules' own when the model's answer is malformed."""

import dagster as dg
import httpx
import pytest

from tiktok_pipelines.defs.content.post_automation import product_posts_sensor
from tiktok_pipelines.defs.content.posts import product_posts
from tiktok_pipelines.lanes.content.posts import publish_due
from tiktok_pipelines.sandbox.world import DEMO_CREATOR
from tiktok_pipelines.stores.listings import ListingMap
from tiktok_pipelines.stores.posts import PostQueue
from tiktok_pipelines_tests.creators.conftest import CREATOR_ID
from tiktok_pipelines_tests.creators.test_posts_e2e import clock, poster  # noqa: F401 (fixtures)
from tiktok_pipelines_tests.defs.test_catalog_e2e import (  # noqa: F401 (fixtures)
    catalog_resources,
    feed_control,
    run,
    sandbox_world,
)
from tiktok_pipelines_tests.results import asset_metadata

pytestmark = pytest.mark.e2e


def prepare(instance, resources):
    return dg.materialize([product_posts], partition_key="demo", instance=instance, resources=resources)


def test_a_new_product_becomes_one_draft_post_in_the_creators_inbox(
    sandbox,
    catalog_resources,  # noqa: F811
    poster,  # noqa: F811
    instance,
    registry,
    state_db,
):
    video_prefix = f"{sandbox.urls()['feeds']}/videos/"
    options = registry.get("demo").options
    registry.update(
        "demo",
        options={
            **options,
            "product_posts_creator": CREATOR_ID,
            "product_posts_video_url": video_prefix + "{product_key}.mp4",
        },
    )
    sensor_context = dg.build_sensor_context(
        instance=instance, resources={"state": catalog_resources["state"]}
    )
    assert product_posts_sensor(sensor_context).skip_reason  # no listings yet: nothing to watch

    run(instance, catalog_resources)
    [request] = product_posts_sensor(sensor_context).run_requests
    assert request.partition_key == "demo"
    listed = len(ListingMap(state_db).products("demo"))
    first = asset_metadata(prepare(instance, catalog_resources), "product_posts")
    assert (first["baseline_products"], first["posts_prepared"]) == (listed, 0)  # what was there: no post

    [added] = feed_control(sandbox, "add", json={"count": 1})["added_product_ids"]
    run(instance, catalog_resources)
    second = asset_metadata(prepare(instance, catalog_resources), "product_posts")
    assert second["posts_prepared"] == 1 and second["scheduled"] == 1
    assert second["llm_tokens"] > 0 and "| llm |" in second["posts"]  # the sandbox's model polished it
    [post] = PostQueue(state_db).list(CREATOR_ID)
    product = next(p for p in sandbox.demo_catalog.products if p.product_id == added)
    assert post.origin == "product" and post.mode == "inbox" and post.status == "scheduled"
    assert post.caption.startswith(product.name) and "R$ " in post.caption and "#" in post.caption
    assert post.media == f"{video_prefix}{post.source_key.rsplit(':', 1)[1]}.mp4"

    assert asset_metadata(prepare(instance, catalog_resources), "product_posts")["posts_prepared"] == 0
    assert len(PostQueue(state_db).list(CREATOR_ID)) == 1  # once a product

    report = publish_due(poster, CREATOR_ID, poll_every=0.1)
    assert [o["status"] for o in report.outcomes] == ["sent_to_inbox"]
    url = f"{sandbox.urls()['creator']}/_sandbox/creators/{DEMO_CREATOR}/publishes"
    [draft] = httpx.get(url, timeout=10).json()["publishes"]
    assert draft["kind"] == "inbox" and draft["status"] == "SEND_TO_USER_INBOX"


def test_a_new_product_without_a_video_waits_with_the_reason(
    sandbox,
    catalog_resources,  # noqa: F811
    instance,
    registry,
    state_db,
):
    from tiktok_pipelines.stores.creators import CreatorRegistry

    CreatorRegistry(state_db).add("ana", "demo")
    registry.update("demo", options={**registry.get("demo").options, "product_posts_creator": "ana"})
    run(instance, catalog_resources)
    prepare(instance, catalog_resources)
    feed_control(sandbox, "add", json={"count": 1})
    run(instance, catalog_resources)
    httpx.post(f"{sandbox.urls()['llm']}/_sandbox/next", json={"fault": "malformed"}, timeout=5)
    meta = asset_metadata(prepare(instance, catalog_resources), "product_posts")
    assert meta["waiting_media"] == 1 and "rules (malformed)" in meta["posts"]  # the model failed: the rules'
    [post] = PostQueue(state_db).list("ana")
    assert post.status == "waiting_media" and "posts attach" in post.reason
    assert post.caption.splitlines()[1].startswith("Por R$ ")
