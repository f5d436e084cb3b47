"""Which scope each Display API field needs (reference §4): a field whose scope the creator did not
grant is never asked for, so a partial grant gives a partial profile instead of an error."""

from __future__ import annotations

from collections.abc import Iterable

USER_FIELDS: dict[str, str] = {
    "open_id": "user.info.basic",
    "union_id": "user.info.basic",
    "avatar_url": "user.info.basic",
    "display_name": "user.info.basic",
    "bio_description": "user.info.profile",
    "profile_deep_link": "user.info.profile",
    "is_verified": "user.info.profile",
    "username": "user.info.profile",
    "follower_count": "user.info.stats",
    "following_count": "user.info.stats",
    "likes_count": "user.info.stats",
    "video_count": "user.info.stats",
}

VIDEO_SCOPE = "video.list"
VIDEO_FIELDS = (
    "id",
    "create_time",
    "title",
    "video_description",
    "duration",
    "cover_image_url",
    "share_url",
    "like_count",
    "comment_count",
    "share_count",
    "view_count",
)


def parse_scopes(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Scopes from TikTok's comma-separated list (or any iterable), de-duplicated, in order."""
    items = value.split(",") if isinstance(value, str) else list(value or ())
    seen: dict[str, None] = {}
    for item in items:
        scope = item.strip()
        if scope:
            seen.setdefault(scope, None)
    return tuple(seen)


def user_fields(granted: Iterable[str]) -> tuple[str, ...]:
    """The user info fields the granted scopes allow."""
    allowed = set(granted)
    return tuple(name for name, scope in USER_FIELDS.items() if scope in allowed)


def can_list_videos(granted: Iterable[str]) -> bool:
    return VIDEO_SCOPE in set(granted)
