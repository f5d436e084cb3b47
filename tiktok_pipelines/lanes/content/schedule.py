"""Putting a post in a creator's queue: the video (a file here, or a URL TikTok pulls from a verified
prefix), the caption, the privacy, the mode (a direct post, or a draft sent to the creator's inbox) and
when. What can be checked before TikTok is asked is checked here, with a clear error: a missing or
unknown file, a URL that is not http(s), a privacy TikTok does not know, a time without a zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from tiktok_pipelines.core.media import mp4_duration_seconds, video_content_type
from tiktok_pipelines.creator.posting import MODES, PRIVACY_LEVELS
from tiktok_pipelines.stores.creators import CreatorRegistry
from tiktok_pipelines.stores.db import StateDB, utcnow
from tiktok_pipelines.stores.posts import Post, PostQueue


class PostInputError(ValueError):
    """A post cannot be queued as given; the message says why."""


def video_of(video: str) -> tuple[str, str, float | None]:
    """(media kind, media, duration) of a video given as a path or an http(s) URL."""
    if video.startswith(("http://", "https://")):
        if not urlsplit(video).netloc:
            raise PostInputError(f"{video!r} is not a URL")
        return "url", video, None
    path = Path(video).expanduser()
    if not path.is_file():
        raise PostInputError(f"no video file {video}")
    if video_content_type(path) is None:
        raise PostInputError(f"{path.name}: TikTok takes MP4, MOV or WebM videos")
    duration = mp4_duration_seconds(path) if path.suffix.lower() != ".webm" else None
    return "file", str(path.resolve()), duration


def schedule_post(
    db: StateDB,
    creator_id: str,
    video: str,
    caption: str,
    privacy_level: str = "SELF_ONLY",
    at: datetime | None = None,
    mode: str = "direct",
) -> Post:
    """Queues a post; `at` (aware) is when it goes out, now when None."""
    CreatorRegistry(db).get(creator_id)
    if mode not in MODES:
        raise PostInputError(f"mode is one of {', '.join(MODES)}, got {mode!r}")
    privacy = privacy_level.strip().upper()
    if privacy not in PRIVACY_LEVELS:
        raise PostInputError(f"privacy is one of {', '.join(PRIVACY_LEVELS)}, got {privacy_level!r}")
    if at is not None and at.tzinfo is None:
        raise PostInputError("the time needs its zone (e.g. 2026-12-05T18:00-03:00)")
    kind, media, duration = video_of(video)
    post = PostQueue(db).add(
        creator_id,
        mode=mode,
        caption=caption.strip(),
        privacy_level=privacy,
        due_at=(at or utcnow()).astimezone(UTC),
        media_kind=kind,
        media=media,
        duration_s=duration,
        client_id=CreatorRegistry(db).get(creator_id).client_id,
    )
    assert post is not None
    return post


def parse_when(value: str | None, now: datetime | None = None) -> datetime | None:
    """`now`, an ISO time with its zone, or `+<minutes>m` / `+<hours>h` from now."""
    if value is None or value.strip().lower() == "now":
        return None
    text = value.strip()
    now = now or utcnow()
    if text.startswith("+") and text[-1:] in ("m", "h") and text[1:-1].isdigit():
        amount = int(text[1:-1])
        return now + (timedelta(minutes=amount) if text[-1] == "m" else timedelta(hours=amount))
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise PostInputError(
            f"{value!r} is not a time: give now, +30m, +2h or 2026-12-05T18:00-03:00"
        ) from None
    if when.tzinfo is None:
        raise PostInputError("the time needs its zone (e.g. 2026-12-05T18:00-03:00)")
    return when
