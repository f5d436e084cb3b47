"""The Display API (reference §6): `/v2/user/info/` (only the fields asked for, each needing its scope),
`/v2/video/list/` (the creator's public videos, newest first, a millisecond cursor, at most 20 a page)
and `/v2/video/query/` (at most 20 ids, only the token's creator's own public videos)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tiktok_pipelines.sandbox.tiktok_creator.calls import MAX_COUNT, Call, Endpoint
from tiktok_pipelines.sandbox.tiktok_creator.errors import MSG_SCOPE_MISSED, ApiError, invalid_params
from tiktok_pipelines.sandbox.tiktok_creator.simulation import SimulatedCreator, Video
from tiktok_pipelines.sandbox.tiktok_creator.state import USER_FIELD_SCOPES

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.tiktok_creator.emulator import TikTokCreatorEmulator

VIDEO_FIELDS = (
    "id",
    "create_time",
    "cover_image_url",
    "share_url",
    "video_description",
    "duration",
    "height",
    "width",
    "title",
    "embed_html",
    "embed_link",
    "like_count",
    "comment_count",
    "share_count",
    "view_count",
    "is_aigc",
)
DEFAULT_COUNT = 10
COVER_TTL = 6 * 3600.0


class DisplayMixin:
    """The Display API's views of a simulated creator in `TikTokCreatorEmulator`."""

    def user_view(self: TikTokCreatorEmulator, creator: SimulatedCreator, client_key: str) -> dict[str, Any]:
        avatar = f"avatar/{creator.union_id}"
        return {
            "open_id": creator.open_id(client_key),
            "union_id": creator.union_id,
            "avatar_url": self.cdn_url(avatar + ".jpeg", COVER_TTL),
            "avatar_url_100": self.cdn_url(avatar + "-100.jpeg", COVER_TTL),
            "avatar_large_url": self.cdn_url(avatar + "-large.jpeg", COVER_TTL),
            "display_name": creator.display_name,
            "bio_description": creator.bio_description,
            "profile_deep_link": f"https://vm.tiktok.com/@{creator.username}",
            "is_verified": creator.is_verified,
            "username": creator.username,
            **creator.stats(self.now(), self.config.growth_speedup),
        }

    def video_view(
        self: TikTokCreatorEmulator, creator: SimulatedCreator, video: Video, fields: list[str]
    ) -> dict:
        share_url = f"https://www.tiktok.com/@{creator.username}/video/{video.id}"
        values: dict[str, Any] = {
            "id": video.id,
            "create_time": video.create_time,
            "share_url": share_url,
            "video_description": video.description,
            "duration": video.duration,
            "height": video.height,
            "width": video.width,
            "title": video.title,
            "embed_link": f"https://www.tiktok.com/player/v1/{video.id}",
            "is_aigc": video.is_aigc,
            **video.counts(self.now(), self.config.growth_speedup),
        }
        if "embed_html" in fields:
            values["embed_html"] = (
                f'<blockquote class="tiktok-embed" cite="{share_url}" data-video-id="{video.id}">'
                f'<section><a href="https://www.tiktok.com/@{creator.username}">@{creator.username}</a>'
                '</section></blockquote><script async src="https://www.tiktok.com/embed.js"></script>'
            )
        if "cover_image_url" in fields:
            values["cover_image_url"] = self.cdn_url(f"cover/{video.id}.jpeg", COVER_TTL)
        return {f: values[f] for f in fields}


def h_user_info(call: Call) -> dict[str, Any]:
    fields = call.fields(tuple(USER_FIELD_SCOPES))
    assert call.token.authorization is not None
    granted = call.token.authorization.scopes
    if any(USER_FIELD_SCOPES[f] not in granted for f in fields):
        raise ApiError("scope_permission_missed", MSG_SCOPE_MISSED, 401)
    user = call.emulator.user_view(call.creator, call.token.client_key)
    return {"user": {f: user[f] for f in fields}}


def h_video_list(call: Call) -> dict[str, Any]:
    fields = call.fields(VIDEO_FIELDS)
    cursor = call.int_param("cursor", 0)
    count = call.int_param("max_count", 1, MAX_COUNT) or DEFAULT_COUNT
    creator = call.creator
    videos = creator.published(call.emulator.now())
    if cursor is not None:
        videos = [v for v in videos if v.create_time * 1000 < cursor]
    page = videos[:count]
    next_cursor = page[-1].create_time * 1000 if page else (cursor if cursor is not None else 0)
    return {
        "videos": [call.emulator.video_view(creator, v, fields) for v in page],
        "cursor": next_cursor,
        "has_more": len(videos) > count,
    }


def h_video_query(call: Call) -> dict[str, Any]:
    fields = call.fields(VIDEO_FIELDS)
    filters = call.body.get("filters")
    ids = filters.get("video_ids") if isinstance(filters, dict) else None
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
        raise invalid_params("filters.video_ids is a list of 1 to 20 video ids (strings)")
    if len(ids) > MAX_COUNT:
        raise invalid_params(f"filters.video_ids has at most {MAX_COUNT} ids")
    creator = call.creator
    own = {v.id: v for v in creator.published(call.emulator.now())}
    found = [own[i] for i in dict.fromkeys(ids) if i in own]
    return {
        "videos": [call.emulator.video_view(creator, v, fields) for v in found],
        "cursor": 0,
        "has_more": False,
    }


ROUTES: tuple[Endpoint, ...] = (
    Endpoint("GET", "/v2/user/info/", h_user_info),
    Endpoint("POST", "/v2/video/list/", h_video_list, ("video.list",)),
    Endpoint("POST", "/v2/video/query/", h_video_query, ("video.list",)),
)
