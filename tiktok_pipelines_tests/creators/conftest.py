"""Creators against the sandbox's TikTok for Developers emulator: a registered creator, connected through
the real consent → the receiver's callback → code exchange."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import dagster as dg
import httpx
import pytest

from tiktok_pipelines.creator.app import CreatorApp
from tiktok_pipelines.lanes.creators.access import CreatorContext
from tiktok_pipelines.lanes.creators.connect import consent_link
from tiktok_pipelines.partitions import CREATORS_PARTITION
from tiktok_pipelines.sandbox.world import DEMO_CREATOR
from tiktok_pipelines.settings import Settings

CREATOR_ID = "maria"
API_KEY = "test-api-key-0123456789"


@pytest.fixture
def lane(sandbox, receiver, state_db) -> CreatorContext:
    return CreatorContext(state_db, CreatorApp.from_settings(Settings.load()))


def consent(link: str, scopes: tuple[str, ...] | None = None, creator: str = DEMO_CREATOR) -> httpx.Response:
    """The creator's consent on the emulator's page (the form a browser would post), then the redirect
    to the receiver's callback; returns the callback's answer."""
    page = httpx.get(link, headers={"Accept": "application/json"}, timeout=10)
    assert page.status_code == 200, page.text
    form = {"session": page.json()["session"], "creator": creator}
    if scopes is not None:
        form["scopes"] = ",".join(scopes)
    consent_url = link.split("?", 1)[0] + "consent/"
    return httpx.post(consent_url, data=form, follow_redirects=True, timeout=30)


def connect_creator(lane: CreatorContext, creator_id: str = CREATOR_ID, scopes=None) -> httpx.Response:
    if lane.registry.find(creator_id) is None:
        lane.registry.add(creator_id, timezone="America/Sao_Paulo")
    return consent(consent_link(lane, creator_id, timedelta(minutes=5)), scopes)


@pytest.fixture
def connected(lane) -> CreatorContext:
    answer = connect_creator(lane)
    assert answer.status_code == 200, answer.text
    return lane


@pytest.fixture
def creator_resources(sandbox, settings, instance) -> Iterator[dict]:
    from tiktok_pipelines.defs.resources import build_resources

    instance.add_dynamic_partitions(CREATORS_PARTITION, [CREATOR_ID])
    yield build_resources(Settings.load())


def sync(resources: dict, instance, creator_id: str = CREATOR_ID) -> dg.ExecuteInProcessResult:
    from tiktok_pipelines.defs.creators.assets import creator_profile, creator_video_metrics, creator_videos

    return dg.materialize(
        [creator_profile, creator_videos, creator_video_metrics],
        partition_key=creator_id,
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )


def metadata(result: dg.ExecuteInProcessResult, name: str) -> dict:
    key = dg.AssetKey(["creator", name])
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == key]
    return {k: v.value for k, v in event.materialization.metadata.items()}
