"""The demo's creator account: registered beside the demo client and connected through the creator
emulator's consent → the receiver's callback → the code exchange, as a real creator's connection goes.
Its first sync is then requested, and `creator_sync_sensor` starts it."""

from __future__ import annotations

import os
from datetime import timedelta

import httpx

from tiktok_pipelines.creator.app import CreatorApp
from tiktok_pipelines.lanes.creators.access import CreatorContext
from tiktok_pipelines.lanes.creators.connect import consent_link
from tiktok_pipelines.sandbox.world import DEMO_CLIENT_ID, DEMO_CREATOR, SandboxConfig, SandboxWorld
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.db import open_state_db

DEMO_CREATOR_ID = "demo-creator"


def connect_demo_creator(config: SandboxConfig) -> str:
    """Registers the demo creator (once) and connects it unless it is connected; returns its status.
    The receiver must be serving on the configured port."""
    world = SandboxWorld(config)
    settings = Settings.load({**os.environ, **world.environment()})
    lane = CreatorContext(open_state_db(settings, create=True), CreatorApp.from_settings(settings))
    creator = lane.registry.find(DEMO_CREATOR_ID)
    if creator is None:
        creator = lane.registry.add(DEMO_CREATOR_ID, DEMO_CLIENT_ID, settings.analytics_timezone)
    if creator.status == "connected":
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
