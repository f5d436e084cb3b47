"""Syncing a creator into the lake: the profile (a snapshot per sync), the videos (every page, newest
first), and a snapshot of every video's metrics (views, likes, comments, shares). A field whose scope
was not granted is never asked for; without `video.list` the video steps say so and write nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow.parquet as pq

from tiktok_pipelines.core.creator_tables import metrics_table, profile_table, videos_table
from tiktok_pipelines.creator.display import DisplayApi
from tiktok_pipelines.creator.scopes import can_list_videos, user_fields
from tiktok_pipelines.lanes.creators.access import CreatorContext, call_with_renewal
from tiktok_pipelines.stores.creator_lake import CreatorLake, creator_prefix


@dataclass
class SyncReport:
    creator_id: str
    rows: int = 0
    calls: dict[str, int] = field(default_factory=dict)
    throttled: int = 0
    skipped: str | None = None  # why nothing was asked (a scope not granted)
    fields: tuple[str, ...] = ()
    part: str | None = None


def _failing(ctx: CreatorContext, creator_id: str, fn):
    """Runs a sync step; a failure is recorded on the creator's row before it propagates."""
    try:
        return fn()
    except Exception as exc:
        if ctx.registry.find(creator_id) is not None:
            ctx.registry.record_sync(creator_id, error=f"{type(exc).__name__}: {exc}")
        raise


def sync_profile(ctx: CreatorContext, lake: CreatorLake, creator_id: str) -> SyncReport:
    def run() -> SyncReport:
        called = call_with_renewal(ctx, creator_id, DisplayApi.user_info)
        user = called.value
        creator = ctx.registry.get(creator_id)
        at = datetime.now(UTC)
        part = lake.append(
            "creator_profiles",
            creator_id,
            profile_table(creator_id, user, creator.granted_scopes, creator.timezone, at),
        )
        ctx.registry.record_sync(creator_id, profile=user)
        return SyncReport(
            creator_id,
            1,
            called.calls,
            called.throttled,
            fields=user_fields(creator.granted_scopes),
            part=part,
        )

    return _failing(ctx, creator_id, run)


def sync_videos(ctx: CreatorContext, lake: CreatorLake, creator_id: str) -> SyncReport:
    """Every video of the creator, one part holding the whole list (the newest part is the current list)."""

    def run() -> SyncReport:
        if not can_list_videos(ctx.registry.get(creator_id).granted_scopes):
            return SyncReport(creator_id, skipped="the creator did not grant video.list")
        called = call_with_renewal(ctx, creator_id, lambda api: list(api.videos()))
        at = datetime.now(UTC)
        table = videos_table(creator_id, called.value, at)
        part = lake.append("creator_videos", creator_id, table)
        return SyncReport(creator_id, table.num_rows, called.calls, called.throttled, part=part)

    return _failing(ctx, creator_id, run)


def current_video_ids(lake: CreatorLake, creator_id: str) -> list[str]:
    """The ids of the newest video list written for the creator."""
    parts = sorted(
        k for k in lake.objects.list_keys(creator_prefix("creator_videos", creator_id)) if "/part-" in k
    )
    if not parts:
        return []
    with lake.objects.local_copy(parts[-1]) as path:
        return [str(v) for v in pq.read_table(path, columns=["video_id"]).column("video_id").to_pylist()]


def snapshot_metrics(ctx: CreatorContext, lake: CreatorLake, creator_id: str) -> SyncReport:
    """Today's counts of every current video, read by id (20 a call)."""

    def run() -> SyncReport:
        if not can_list_videos(ctx.registry.get(creator_id).granted_scopes):
            return SyncReport(creator_id, skipped="the creator did not grant video.list")
        ids = current_video_ids(lake, creator_id)
        if not ids:
            return SyncReport(creator_id, skipped="no video listed yet")
        called = call_with_renewal(ctx, creator_id, lambda api: api.query(ids))
        table = metrics_table(creator_id, called.value, datetime.now(UTC))
        part = lake.append("creator_video_metrics", creator_id, table)
        return SyncReport(creator_id, table.num_rows, called.calls, called.throttled, part=part)

    return _failing(ctx, creator_id, run)
