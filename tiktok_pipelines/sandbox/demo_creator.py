"""The demo's creator account: registered beside the demo client and connected through the creator
emulator's consent → the receiver's callback → the code exchange, as a real creator's connection goes.
Its first sync is then requested, and `creator_sync_sensor` starts it.

Its posts: a video scheduled a minute after the start (`post_queue_sensor` publishes it on the emulator),
the demo client opted in to product posts for it, and a product added to the store's feed once the
product posts' baseline is taken, which the catalog lists and `product_posts` turns into a draft."""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta

import httpx

from tiktok_pipelines.creator.app import CreatorApp
from tiktok_pipelines.lanes.creators.access import CreatorContext
from tiktok_pipelines.lanes.creators.connect import consent_link
from tiktok_pipelines.sandbox.tiktok_creator.media import sample_mp4
from tiktok_pipelines.sandbox.world import DEMO_CLIENT_ID, DEMO_CREATOR, SandboxConfig, SandboxWorld
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.db import open_state_db, utcnow

DEMO_CREATOR_ID = "demo-creator"
# The demo creator grants the Display API and the Content Posting API (direct posts and inbox drafts).
DEMO_CREATOR_SCOPES = (
    "user.info.basic,user.info.profile,user.info.stats,video.list,video.upload,video.publish"
)
DEMO_POST_CAPTION = "Bem-vindos à loja demo! Novidades toda semana #novidade #lojademo"
DEMO_VIDEO_BYTES = 23 * 1024 * 1024  # two chunks of the default 10 MB, the last one taking the rest


def _lane(config: SandboxConfig) -> tuple[CreatorContext, Settings]:
    world = SandboxWorld(config)
    settings = Settings.load(
        {**os.environ, **world.environment(), "TIKTOK_CREATOR_SCOPES": DEMO_CREATOR_SCOPES}
    )
    return CreatorContext(open_state_db(settings, create=True), CreatorApp.from_settings(settings)), settings


def connect_demo_creator(config: SandboxConfig) -> str:
    """Registers the demo creator (once) and connects it unless it is connected with the posting scopes;
    returns its status. The receiver must be serving on the configured port."""
    lane, settings = _lane(config)
    creator = lane.registry.find(DEMO_CREATOR_ID)
    if creator is None:
        creator = lane.registry.add(DEMO_CREATOR_ID, DEMO_CLIENT_ID, settings.analytics_timezone)
    if creator.status == "connected" and set(lane.app.scopes) <= set(creator.granted_scopes):
        return creator.status
    link = consent_link(lane, DEMO_CREATOR_ID, timedelta(minutes=10))
    page = httpx.get(link, headers={"Accept": "application/json"}, timeout=10.0)
    page.raise_for_status()
    answer = httpx.post(
        link.split("?", 1)[0] + "consent/",
        data={"session": page.json()["session"], "creator": DEMO_CREATOR},
        follow_redirects=True,
        timeout=30.0,
    )
    if answer.status_code != 200:
        raise RuntimeError(
            f"the creator's consent callback answered {answer.status_code}: {answer.text[:200]}"
        )
    return lane.registry.get(DEMO_CREATOR_ID).status


def schedule_demo_posts(config: SandboxConfig) -> str:
    """A demo video scheduled a minute from now (once), and the demo client opted in to product posts for
    the demo creator (videos from the sandbox's verified prefix). Returns what was done."""
    from tiktok_pipelines.lanes.content.schedule import schedule_post
    from tiktok_pipelines.stores.posts import PostQueue
    from tiktok_pipelines.stores.registry import ClientRegistry

    lane, settings = _lane(config)
    registry = ClientRegistry(lane.db)
    client = registry.get(DEMO_CLIENT_ID)
    videos = SandboxWorld(config).urls()["feeds"] + "/videos/{product_key}.mp4"
    registry.update(
        DEMO_CLIENT_ID,
        options={
            **client.options,
            "product_posts_creator": DEMO_CREATOR_ID,
            "product_posts_video_url": videos,
        },
    )
    if any(p.origin == "cli" for p in PostQueue(lane.db).list(DEMO_CREATOR_ID)):
        return "a demo post is queued already"
    path = settings.data_dir / "demo" / "demo-post.mp4"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(sample_mp4(28, DEMO_VIDEO_BYTES))
    post = schedule_post(
        lane.db,
        DEMO_CREATOR_ID,
        str(path),
        DEMO_POST_CAPTION,
        "PUBLIC_TO_EVERYONE",
        utcnow() + timedelta(minutes=1),
    )
    return f"post {post.post_id} scheduled for {post.due_at:%H:%M} UTC"


def add_demo_product_when_watched(
    config: SandboxConfig, poll_seconds: float = 10.0, timeout: float = 1800.0
) -> threading.Thread:
    """Adds one product to the demo store's feed once `product_posts` has taken its baseline (the
    catalog's first publication), in the background: the catalog lists it, and it becomes a draft."""
    from tiktok_pipelines.stores.product_posts import ProductPostWatch

    lane, _ = _lane(config)
    feeds = SandboxWorld(config).urls()["feeds"]

    def wait_then_add() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ProductPostWatch(lane.db).started(DEMO_CLIENT_ID) is not None:
                httpx.post(f"{feeds}/_sandbox/feeds/demo/add", json={"count": 1}, timeout=10.0)
                return
            time.sleep(poll_seconds)

    thread = threading.Thread(target=wait_then_add, name="demo-new-product", daemon=True)
    thread.start()
    return thread
