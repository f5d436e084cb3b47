"""The post queue end to end against the creator emulator: a scheduled post published once across a run
killed after its init, mid-upload, or before the init's answer came; cancelled posts; TikTok's limits
(the post waits); privacy and duration refusals; an unaudited app posting as SELF_ONLY; inbox drafts."""

from __future__ import annotations

import dataclasses
import time
from datetime import timedelta

import httpx
import pytest

from tiktok_pipelines.creator.app import CreatorApp
from tiktok_pipelines.creator.posting import PostingApi
from tiktok_pipelines.lanes.content.posts import publish_due
from tiktok_pipelines.lanes.content.schedule import PostInputError, schedule_post
from tiktok_pipelines.lanes.creators.access import CreatorContext
from tiktok_pipelines.sandbox.tiktok_creator import SANDBOX_CLIENT_KEY
from tiktok_pipelines.sandbox.tiktok_creator.media import sample_mp4
from tiktok_pipelines.sandbox.world import DEMO_CREATOR
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.db import utcnow
from tiktok_pipelines.stores.posts import PostQueue, PostStateError
from tiktok_pipelines_tests.clock import StoreClock, store_clock
from tiktok_pipelines_tests.creators.conftest import CREATOR_ID, connect_creator

MB = 1024 * 1024
POSTING_SCOPES = "user.info.basic,user.info.profile,user.info.stats,video.list,video.upload,video.publish"


class Killed(BaseException):
    """The run's process dies here: nothing after it runs, no handler sees it."""


@pytest.fixture
def clock(monkeypatch) -> StoreClock:
    """The post queue's clock: a run's lease runs out when the test moves it on, however long the steps
    before took on a busy machine."""
    return store_clock(monkeypatch, "tiktok_pipelines.stores.posts", "tiktok_pipelines.lanes.content.posts")


@pytest.fixture
def poster(sandbox, receiver, state_db, monkeypatch, clock) -> CreatorContext:
    monkeypatch.setenv("TIKTOK_CREATOR_SCOPES", POSTING_SCOPES)
    sandbox.creator.config.publish_processing_s = 0.3
    sandbox.creator.config.moderation_s = 0.3
    app = dataclasses.replace(
        CreatorApp.from_settings(Settings.load()),
        post_chunk_mb=5,
        post_lease_seconds=60,
        post_poll_seconds=10,
    )
    lane = CreatorContext(state_db, app)
    answer = connect_creator(lane)
    assert answer.status_code == 200, answer.text
    return lane


def video(tmp_path, seconds: float = 30, size: int = 12 * MB, name: str = "clip.mp4") -> str:
    path = tmp_path / name
    path.write_bytes(sample_mp4(seconds, size))
    return str(path)


def publishes(sandbox) -> list[dict]:
    url = f"{sandbox.urls()['creator']}/_sandbox/creators/{DEMO_CREATOR}/publishes"
    return httpx.get(url, timeout=10).json()["publishes"]


def run(lane: CreatorContext):
    return publish_due(lane, CREATOR_ID, poll_every=0.1)


def wait_until(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def rerun_after_lease(lane: CreatorContext, clock: StoreClock):
    clock.advance(lane.app.post_lease_seconds + 1)
    return run(lane)


def test_a_scheduled_post_is_published_on_the_emulator(poster, sandbox, tmp_path):
    post = schedule_post(poster.db, CREATOR_ID, video(tmp_path), "Novidade na loja #oferta", "SELF_ONLY")
    report = run(poster)
    assert [o["status"] for o in report.outcomes] == ["published"]
    done = PostQueue(poster.db).get(post.post_id)
    assert done.status == "published" and done.publish_status == "PUBLISH_COMPLETE"
    [publish] = publishes(sandbox)
    assert publish["kind"] == "direct" and publish["title"] == "Novidade na loja #oferta"
    assert publish["uploaded_bytes"] == 12 * MB  # two chunks of 5 MB, the last one taking the rest
    assert run(poster).outcomes == []  # nothing left to do: a second run publishes nothing


@pytest.mark.parametrize("killed_after_chunks", [0, 1])
def test_a_run_killed_after_init_or_mid_upload_is_resumed_and_the_post_published_once(
    poster, sandbox, tmp_path, monkeypatch, clock, killed_after_chunks
):
    post = schedule_post(poster.db, CREATOR_ID, video(tmp_path, size=17 * MB), "Uma vez só", "SELF_ONLY")
    real_upload = PostingApi.upload

    def dying_upload(self, *args, **kwargs):
        if killed_after_chunks == 0:  # right after the init's answer was kept
            raise Killed()
        for sent, progress in enumerate(real_upload(self, *args, **kwargs), start=1):
            yield progress
            if sent >= killed_after_chunks:
                raise Killed()

    monkeypatch.setattr(PostingApi, "upload", dying_upload)
    with pytest.raises(Killed):
        run(poster)
    interrupted = PostQueue(poster.db).get(post.post_id)
    assert interrupted.status == "publishing" and interrupted.publish_id  # kept before the upload
    assert len(publishes(sandbox)) == 1

    monkeypatch.setattr(PostingApi, "upload", real_upload)
    assert run(poster).outcomes == []  # the dead run's lease still holds: nobody takes the post
    report = rerun_after_lease(poster, clock)
    assert [o["status"] for o in report.outcomes] == ["published"]
    assert report.calls.get("/v2/post/publish/video/init/") is None  # followed, not initiated again
    [publish] = publishes(sandbox)
    assert publish["publish_id"] == interrupted.publish_id and publish["status"] == "PUBLISH_COMPLETE"
    assert publish["uploaded_bytes"] == 17 * MB


def test_a_post_whose_init_answer_was_lost_is_never_sent_again_on_its_own(
    poster, sandbox, tmp_path, monkeypatch, clock
):
    post = schedule_post(poster.db, CREATOR_ID, video(tmp_path), "Resposta perdida", "SELF_ONLY")
    real_init = PostingApi.init

    def answer_lost(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        raise Killed()

    monkeypatch.setattr(PostingApi, "init", answer_lost)
    with pytest.raises(Killed):
        run(poster)
    monkeypatch.setattr(PostingApi, "init", real_init)
    report = rerun_after_lease(poster, clock)
    assert [o["status"] for o in report.outcomes] == ["failed"]
    failed = PostQueue(poster.db).get(post.post_id)
    assert "never came back" in failed.reason and f"posts retry {post.post_id}" in failed.reason
    assert len(publishes(sandbox)) == 1  # TikTok's one, not a second

    PostQueue(poster.db).retry(post.post_id)  # a person checked: send it again
    assert [o["status"] for o in run(poster).outcomes] == ["published"]


def test_a_cancelled_post_is_not_published_and_a_published_one_cannot_be_cancelled(poster, sandbox, tmp_path):
    queue = PostQueue(poster.db)
    later = schedule_post(poster.db, CREATOR_ID, video(tmp_path), "Depois", at=utcnow() + timedelta(hours=2))
    now = schedule_post(poster.db, CREATOR_ID, video(tmp_path, name="b.mp4"), "Agora")
    assert queue.cancel(later.post_id).status == "cancelled"
    run(poster)
    assert queue.get(now.post_id).status == "published"
    with pytest.raises(PostStateError, match="only a scheduled or waiting post"):
        queue.cancel(now.post_id)
    assert [p["title"] for p in publishes(sandbox)] == ["Agora"]


def test_posts_over_the_daily_limit_wait_instead_of_failing(poster, sandbox, tmp_path):
    lane = dataclasses.replace(poster, app=dataclasses.replace(poster.app, posts_per_day=2))
    ids = [
        schedule_post(poster.db, CREATOR_ID, video(tmp_path, size=MB, name=f"{i}.mp4"), f"post {i}").post_id
        for i in range(3)
    ]
    report = publish_due(lane, CREATOR_ID, poll_every=0.1)
    assert [o["status"] for o in report.outcomes] == ["published", "published", "scheduled"]
    waiting = PostQueue(poster.db).get(ids[2])
    assert waiting.status == "scheduled" and "2 posts a day" in waiting.reason
    assert waiting.not_before > utcnow() + timedelta(hours=23)
    assert len(publishes(sandbox)) == 2

    # TikTok's own cap, met before ours: the post waits too
    sandbox.creator.config.posts_per_day = 2
    extra = schedule_post(poster.db, CREATOR_ID, video(tmp_path, size=MB, name="x.mp4"), "extra")
    assert [o["status"] for o in run(poster).outcomes] == ["scheduled"]
    told = PostQueue(poster.db).get(extra.post_id)
    assert told.status == "scheduled" and "spam_risk_too_many_posts" in told.reason
    assert len(publishes(sandbox)) == 2


def test_a_privacy_not_offered_and_a_video_too_long_are_refused_before_tiktok_has_them(
    poster, sandbox, tmp_path
):
    creator = sandbox.creator.creator(DEMO_CREATOR)
    creator.private_account, creator.max_video_post_duration_sec = True, 60
    public = schedule_post(poster.db, CREATOR_ID, video(tmp_path), "Para todos", "PUBLIC_TO_EVERYONE")
    long = schedule_post(
        poster.db, CREATOR_ID, video(tmp_path, seconds=95, name="l.mp4"), "Longo", "SELF_ONLY"
    )
    assert [o["status"] for o in run(poster).outcomes] == ["refused", "refused"]
    queue = PostQueue(poster.db)
    assert "PUBLIC_TO_EVERYONE is not offered" in queue.get(public.post_id).reason
    assert queue.get(long.post_id).reason == "the video lasts 95 s; this creator may post at most 60 s"
    assert publishes(sandbox) == []


def test_an_unaudited_app_posts_as_self_only_and_says_so(poster, sandbox, tmp_path):
    post = schedule_post(poster.db, CREATOR_ID, video(tmp_path), "Público?", "PUBLIC_TO_EVERYONE")
    run(poster)
    done = PostQueue(poster.db).get(post.post_id)
    assert done.status == "published" and done.posted_privacy == "SELF_ONLY"
    assert "TIKTOK_CREATOR_APP_AUDITED" in done.note
    assert publishes(sandbox)[0]["privacy_level"] == "SELF_ONLY"

    sandbox.creator.apps[SANDBOX_CLIENT_KEY].audited = True
    audited = dataclasses.replace(poster, app=dataclasses.replace(poster.app, audited=True))
    again = schedule_post(
        poster.db, CREATOR_ID, video(tmp_path, name="p.mp4"), "Público", "PUBLIC_TO_EVERYONE"
    )
    publish_due(audited, CREATOR_ID, poll_every=0.1)
    assert PostQueue(poster.db).get(again.post_id).posted_privacy == "PUBLIC_TO_EVERYONE"


def test_a_url_becomes_an_inbox_draft(poster, sandbox, tmp_path):
    url = f"{sandbox.urls()['feeds']}/videos/produto-1.mp4"
    post = schedule_post(poster.db, CREATOR_ID, url, "Rascunho", mode="inbox")
    assert [o["status"] for o in run(poster).outcomes] == ["sent_to_inbox"]
    assert PostQueue(poster.db).get(post.post_id).publish_status == "SEND_TO_USER_INBOX"
    [publish] = publishes(sandbox)
    assert publish["kind"] == "inbox" and publish["source"] == "PULL_FROM_URL"


def test_bad_input_is_refused_with_a_clear_error(poster, tmp_path):
    with pytest.raises(PostInputError, match="no video file"):
        schedule_post(poster.db, CREATOR_ID, str(tmp_path / "none.mp4"), "x")
    (tmp_path / "a.gif").write_bytes(b"GIF89a")
    with pytest.raises(PostInputError, match="MP4, MOV or WebM"):
        schedule_post(poster.db, CREATOR_ID, str(tmp_path / "a.gif"), "x")
    with pytest.raises(PostInputError, match="privacy is one of"):
        schedule_post(poster.db, CREATOR_ID, video(tmp_path), "x", "EVERYONE")
    assert PostQueue(poster.db).list() == []


def test_the_sensor_asks_a_run_for_a_due_post_and_the_asset_publishes_it(
    poster, sandbox, tmp_path, creator_resources, instance
):
    import dagster as dg

    from tiktok_pipelines.defs.content.post_automation import post_queue_sensor
    from tiktok_pipelines.defs.content.posts import creator_posts

    def tick():
        context = dg.build_sensor_context(instance=instance, resources={"state": creator_resources["state"]})
        return post_queue_sensor(context)

    later = schedule_post(
        poster.db, CREATOR_ID, video(tmp_path), "Mais tarde", at=utcnow() + timedelta(hours=1)
    )
    assert tick().skip_reason
    post = schedule_post(poster.db, CREATOR_ID, video(tmp_path, name="n.mp4"), "Agora", "SELF_ONLY")
    [request] = tick().run_requests
    assert request.partition_key == CREATOR_ID and request.job_name == "creator_posts_job"
    assert [r.run_key for r in tick().run_requests] == [request.run_key]  # asked once for the same posts

    result = dg.materialize(
        [creator_posts], partition_key=CREATOR_ID, instance=instance, resources=creator_resources
    )
    assert result.success
    [event] = result.get_asset_materialization_events()
    assert event.materialization.metadata["published"].value == 1
    queue = PostQueue(poster.db)
    assert queue.get(post.post_id).status == "published" and queue.get(later.post_id).status == "scheduled"
    assert tick().skip_reason

    schedule_post(poster.db, CREATOR_ID, video(tmp_path, name="d.mp4"), "Desconectado")
    poster.registry.mark_needs_reconnection(CREATOR_ID, "revoked")
    assert "connected" in tick().skip_reason.skip_message  # its posts wait for the creator to connect again


def test_the_demo_schedules_a_post_that_is_published_and_opts_its_client_in(
    sandbox, receiver, demo_client, state_db
):

    from tiktok_pipelines.sandbox.demo_creator import (
        DEMO_CREATOR_ID,
        _lane,
        connect_demo_creator,
        schedule_demo_posts,
    )
    from tiktok_pipelines.stores.posts import creator_posts
    from tiktok_pipelines.stores.registry import ClientRegistry

    assert connect_demo_creator(sandbox.config) == "connected"
    assert "scheduled" in schedule_demo_posts(sandbox.config)
    assert schedule_demo_posts(sandbox.config) == "a demo post is queued already"  # a second `make run`
    assert ClientRegistry(state_db).get("demo").option("product_posts_creator") == DEMO_CREATOR_ID
    [post] = PostQueue(state_db).list(DEMO_CREATOR_ID)
    assert post.status == "scheduled" and post.due_at > utcnow()
    with state_db.begin() as conn:  # the minute goes by
        conn.execute(creator_posts.update().values(due_at=utcnow()))
    sandbox.creator.config.publish_processing_s = 0.3
    lane, _ = _lane(sandbox.config)
    report = publish_due(lane, DEMO_CREATOR_ID, poll_every=0.2)
    assert [o["status"] for o in report.outcomes] == ["published"]
    assert PostQueue(state_db).get(post.post_id).note  # the sandbox app is not audited: SELF_ONLY, said
    [publish] = publishes(sandbox)
    assert publish["status"] == "PUBLISH_COMPLETE" and publish["uploaded_bytes"] == 23 * MB


def test_the_demo_adds_a_product_to_its_feed_once_the_product_posts_baseline_is_taken(
    sandbox, demo_client, state_db
):
    from tiktok_pipelines.sandbox.demo_creator import add_demo_product_when_watched
    from tiktok_pipelines.stores.product_posts import ProductPostWatch

    before = len(sandbox.demo_catalog.products)
    waiting = add_demo_product_when_watched(sandbox.config, poll_seconds=0.05, timeout=5)
    time.sleep(0.3)
    assert len(sandbox.demo_catalog.products) == before  # no baseline yet: the catalog is not out
    ProductPostWatch(state_db).start("demo", "anyone", ["p1"])
    waiting.join(5)
    assert len(sandbox.demo_catalog.products) == before + 1


def test_a_post_followed_longer_than_the_lease_is_not_taken_by_another_run(poster, sandbox, tmp_path, clock):
    import threading

    sandbox.creator.config.publish_processing_s = 2.0
    post = schedule_post(poster.db, CREATOR_ID, video(tmp_path, size=MB), "Devagar", "SELF_ONLY")
    first: list = []
    running = threading.Thread(target=lambda: first.append(publish_due(poster, CREATOR_ID, poll_every=0.3)))
    running.start()
    queue = PostQueue(poster.db)
    assert wait_until(lambda: queue.get(post.post_id).publish_status is not None)  # polling TikTok
    clock.advance(poster.app.post_lease_seconds * 2.5)  # longer than the lease it claimed the post for
    assert wait_until(lambda: queue.get(post.post_id).claimed_until > clock())  # held on while it polls
    second = run(poster)
    running.join(30)
    assert second.outcomes == []  # the first run's claim still held
    assert [o["status"] for o in first[0].outcomes] == ["published"]
    assert PostQueue(poster.db).get(post.post_id).attempts == 1
    assert len(publishes(sandbox)) == 1


def test_a_deleted_creators_posts_go_with_it(poster, sandbox, tmp_path, creator_resources):
    from tiktok_pipelines.lanes.creators.removal import delete_creator
    from tiktok_pipelines.stores.creator_lake import CreatorLake

    schedule_post(poster.db, CREATOR_ID, video(tmp_path), "Apagar", at=utcnow() + timedelta(hours=1))
    run(poster)
    delete_creator(poster, CreatorLake(creator_resources["lake"].objects), CREATOR_ID, "cli")
    assert PostQueue(poster.db).list() == []
