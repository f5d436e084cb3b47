"""The Display API (reference §6): the creator's profile, their videos page by page (cursor in
milliseconds, at most 20 a page), and videos by id."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tiktok_pipelines.creator.errors import CreatorApiError
from tiktok_pipelines.creator.scopes import VIDEO_FIELDS, user_fields
from tiktok_pipelines.creator.transport import Transport

MAX_PAGE = 20
MAX_QUERY_IDS = 20


@dataclass(frozen=True)
class VideoPage:
    videos: list[dict[str, Any]]
    cursor: int | None
    has_more: bool


class DisplayApi:
    """One creator's reads, with their access token and granted scopes."""

    def __init__(self, transport: Transport, access_token: str, granted: tuple[str, ...]):
        self.transport = transport
        self.token = access_token
        self.granted = granted

    def user_info(self) -> dict[str, Any]:
        """The profile fields the granted scopes allow (and only those are asked for)."""
        fields = user_fields(self.granted)
        if not fields:
            raise CreatorApiError("scope_not_authorized", "no user.info scope was granted")
        data = self.transport.api("GET", "/v2/user/info/", self.token, fields)
        user = data.get("user")
        if not isinstance(user, dict):
            raise CreatorApiError("malformed_answer", "user info without `user`")
        return user

    def video_page(self, cursor: int | None = None, max_count: int = MAX_PAGE) -> VideoPage:
        body: dict[str, Any] = {"max_count": min(max(1, max_count), MAX_PAGE)}
        if cursor is not None:
            body["cursor"] = cursor
        data = self.transport.api("POST", "/v2/video/list/", self.token, VIDEO_FIELDS, json=body)
        videos = data.get("videos") or []
        next_cursor = data.get("cursor")
        return VideoPage(
            videos=[v for v in videos if isinstance(v, dict)],
            cursor=int(next_cursor) if next_cursor is not None else None,
            has_more=bool(data.get("has_more")),
        )

    def videos(self, max_pages: int = 500) -> Iterator[dict[str, Any]]:
        """Every video, newest first, following the cursor while `has_more` (bounded by `max_pages`)."""
        cursor: int | None = None
        for _ in range(max_pages):
            page = self.video_page(cursor)
            yield from page.videos
            if not page.has_more or page.cursor is None or page.cursor == cursor:
                return
            cursor = page.cursor

    def query(self, video_ids: list[str]) -> list[dict[str, Any]]:
        """Videos by id (their fresh cover links and counts), 20 ids a call."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(video_ids), MAX_QUERY_IDS):
            ids = video_ids[start : start + MAX_QUERY_IDS]
            data = self.transport.api(
                "POST", "/v2/video/query/", self.token, VIDEO_FIELDS, json={"filters": {"video_ids": ids}}
            )
            found.extend(v for v in data.get("videos") or [] if isinstance(v, dict))
        return found
