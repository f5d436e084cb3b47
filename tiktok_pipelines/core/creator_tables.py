"""The creator lake tables: profile snapshots, videos, and video metric snapshots, one folder per creator
(`<table>/creator_id=<creator_id>/part-*.parquet`), and the rows a sync writes into them. Pure: the
Display API's answers in, Arrow tables out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

_TS = pa.timestamp("us", tz="UTC")

CREATOR_PROFILES = pa.schema(
    [
        ("creator_id", pa.string()),
        ("snapshot_at", _TS),
        ("open_id", pa.string()),
        ("display_name", pa.string()),
        ("username", pa.string()),
        ("avatar_url", pa.string()),
        ("follower_count", pa.int64()),
        ("following_count", pa.int64()),
        ("likes_count", pa.int64()),
        ("video_count", pa.int64()),
        ("granted_scopes", pa.string()),
        ("timezone", pa.string()),
    ]
)

CREATOR_VIDEOS = pa.schema(
    [
        ("creator_id", pa.string()),
        ("video_id", pa.string()),
        ("created_at", _TS),
        ("title", pa.string()),
        ("description", pa.string()),
        ("duration_seconds", pa.int32()),
        ("cover_image_url", pa.string()),
        ("share_url", pa.string()),
        ("ingested_at", _TS),
    ]
)

CREATOR_VIDEO_METRICS = pa.schema(
    [
        ("creator_id", pa.string()),
        ("video_id", pa.string()),
        ("snapshot_at", _TS),
        ("views", pa.int64()),
        ("likes", pa.int64()),
        ("comments", pa.int64()),
        ("shares", pa.int64()),
    ]
)

# One part per run of `creator/recommendations`: every row of a run shares its `generated_at`; the newest
# run is the creator's current advice, the older ones its history.
CREATOR_RECOMMENDATIONS = pa.schema(
    [
        ("creator_id", pa.string()),
        ("generated_at", _TS),
        ("source", pa.string()),  # rules | llm
        ("kind", pa.string()),  # posting_hour, posting_slot, hashtag, format, product, idea
        ("rank", pa.int32()),
        ("subject", pa.string()),
        ("text", pa.string()),
        ("metric", pa.string()),
        ("value", pa.float64()),
        ("baseline", pa.float64()),
        ("sample_size", pa.int64()),
        ("details", pa.string()),  # JSON
        ("llm_status", pa.string()),  # ok, or why the ideas are the rules' (no_key, timeout, ...)
        ("model", pa.string()),
        ("prompt_tokens", pa.int64()),
        ("completion_tokens", pa.int64()),
        ("cost", pa.float64()),
    ]
)

CREATOR_TABLES = {
    "creator_profiles": CREATOR_PROFILES,
    "creator_videos": CREATOR_VIDEOS,
    "creator_video_metrics": CREATOR_VIDEO_METRICS,
    "creator_recommendations": CREATOR_RECOMMENDATIONS,
}


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def profile_table(
    creator_id: str, user: Mapping[str, Any], scopes: Iterable[str], timezone: str, at: datetime
) -> pa.Table:
    """One profile snapshot, with the creator's time zone (the analytics' local days and hours); a field
    whose scope was not granted stays NULL."""
    row = {
        "creator_id": creator_id,
        "snapshot_at": at,
        "open_id": _text(user.get("open_id")),
        "display_name": _text(user.get("display_name")),
        "username": _text(user.get("username")),
        "avatar_url": _text(user.get("avatar_url")),
        "follower_count": _int(user.get("follower_count")),
        "following_count": _int(user.get("following_count")),
        "likes_count": _int(user.get("likes_count")),
        "video_count": _int(user.get("video_count")),
        "granted_scopes": ",".join(scopes),
        "timezone": timezone,
    }
    return pa.Table.from_pylist([row], schema=CREATOR_PROFILES)


def video_created_at(video: Mapping[str, Any]) -> datetime | None:
    seconds = _int(video.get("create_time"))
    return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None


def videos_table(creator_id: str, videos: Iterable[Mapping[str, Any]], at: datetime) -> pa.Table:
    rows = [
        {
            "creator_id": creator_id,
            "video_id": str(v["id"]),
            "created_at": video_created_at(v),
            "title": _text(v.get("title")),
            "description": _text(v.get("video_description")),
            "duration_seconds": _int(v.get("duration")),
            "cover_image_url": _text(v.get("cover_image_url")),
            "share_url": _text(v.get("share_url")),
            "ingested_at": at,
        }
        for v in videos
        if v.get("id") not in (None, "")
    ]
    return pa.Table.from_pylist(rows, schema=CREATOR_VIDEOS)


def metrics_table(creator_id: str, videos: Iterable[Mapping[str, Any]], at: datetime) -> pa.Table:
    rows = [
        {
            "creator_id": creator_id,
            "video_id": str(v["id"]),
            "snapshot_at": at,
            "views": _int(v.get("view_count")),
            "likes": _int(v.get("like_count")),
            "comments": _int(v.get("comment_count")),
            "shares": _int(v.get("share_count")),
        }
        for v in videos
        if v.get("id") not in (None, "")
    ]
    return pa.Table.from_pylist(rows, schema=CREATOR_VIDEO_METRICS)
