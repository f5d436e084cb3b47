"""The Content Posting API (reference §7): the creator's posting options, a post's init (a direct post
with `video.publish`, or a draft sent to the creator's inbox with `video.upload`), the upload of a file in
the chunks the reference's rules allow (`PUT` with `Content-Range`, in order), and a publish's status.

A post's init is sent once, never retried blindly: a second init is a second post. Its 429 or 5xx goes
to the caller, which knows whether the post may be tried again."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import httpx

from tiktok_pipelines.creator.errors import CreatorApiError, CreatorRetryableError
from tiktok_pipelines.creator.transport import Transport

MB = 1024 * 1024
MIN_CHUNK, MAX_CHUNK, MAX_CHUNKS = 5 * MB, 64 * MB, 1000
PUBLISH_SCOPE, UPLOAD_SCOPE = "video.publish", "video.upload"
PRIVACY_LEVELS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")
MODES = ("direct", "inbox")
TERMINAL_STATUSES = ("PUBLISH_COMPLETE", "SEND_TO_USER_INBOX", "FAILED")
INIT_PATHS = {"direct": "/v2/post/publish/video/init/", "inbox": "/v2/post/publish/inbox/video/init/"}
MODE_SCOPES = {"direct": PUBLISH_SCOPE, "inbox": UPLOAD_SCOPE}


@dataclass(frozen=True)
class ChunkPlan:
    """How a file of `video_size` bytes is uploaded: `total_chunk_count` chunks of `chunk_size`, the
    last one absorbing the trailing bytes."""

    video_size: int
    chunk_size: int
    total_chunk_count: int

    def chunk_range(self, index: int) -> tuple[int, int]:
        first = index * self.chunk_size
        last = self.video_size - 1 if index == self.total_chunk_count - 1 else first + self.chunk_size - 1
        return first, last

    def source_info(self) -> dict[str, Any]:
        return {
            "source": "FILE_UPLOAD",
            "video_size": self.video_size,
            "chunk_size": self.chunk_size,
            "total_chunk_count": self.total_chunk_count,
        }


def chunk_plan(video_size: int, chunk_size: int = 10 * MB) -> ChunkPlan:
    """The chunks of a file by the reference's rules: under 5 MB whole; otherwise chunks of 5–64 MB
    (`chunk_size` kept within them), `floor(video_size / chunk_size)` of them, 1 to 1000, the last one
    taking the rest (so at most twice a chunk, under 128 MB)."""
    if video_size <= 0:
        raise ValueError("the video file is empty")
    if video_size < MIN_CHUNK:
        return ChunkPlan(video_size, video_size, 1)
    chunk = min(max(chunk_size, MIN_CHUNK), MAX_CHUNK, video_size)
    count = video_size // chunk
    if count > MAX_CHUNKS:
        raise ValueError(f"a video of {video_size} bytes needs more than {MAX_CHUNKS} chunks of 64 MB")
    return ChunkPlan(video_size, chunk, count)


@dataclass(frozen=True)
class CreatorInfo:
    """What the creator may post now: privacy options, longest video, interactions they turned off."""

    username: str
    nickname: str
    privacy_level_options: tuple[str, ...]
    max_video_post_duration_sec: int | None
    comment_disabled: bool
    duet_disabled: bool
    stitch_disabled: bool


@dataclass(frozen=True)
class PublishStatus:
    status: str
    fail_reason: str
    post_ids: tuple[str, ...]
    uploaded_bytes: int
    downloaded_bytes: int

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


@dataclass(frozen=True)
class Initiated:
    publish_id: str
    upload_url: str | None


class PostingApi:
    """One creator's posting calls, with their access token."""

    def __init__(self, transport: Transport, access_token: str):
        self.transport = transport
        self.token = access_token

    def creator_info(self) -> CreatorInfo:
        data = self.transport.api("POST", "/v2/post/publish/creator_info/query/", self.token)
        options = data.get("privacy_level_options")
        if not isinstance(options, list):
            raise CreatorApiError("malformed_answer", "creator info without privacy_level_options")
        longest = data.get("max_video_post_duration_sec")
        return CreatorInfo(
            username=str(data.get("creator_username") or ""),
            nickname=str(data.get("creator_nickname") or ""),
            privacy_level_options=tuple(str(o) for o in options),
            max_video_post_duration_sec=int(longest) if isinstance(longest, int | float) else None,
            comment_disabled=bool(data.get("comment_disabled")),
            duet_disabled=bool(data.get("duet_disabled")),
            stitch_disabled=bool(data.get("stitch_disabled")),
        )

    def init(self, mode: str, source_info: dict[str, Any], post_info: dict[str, Any] | None) -> Initiated:
        """A direct post (`post_info` and `source_info`) or an inbox draft (`source_info` only), sent once."""
        body: dict[str, Any] = {"source_info": source_info}
        if mode == "direct":
            body["post_info"] = post_info or {}
        data = self.transport.api("POST", INIT_PATHS[mode], self.token, json=body, retry=False)
        publish_id = data.get("publish_id")
        if not isinstance(publish_id, str) or not publish_id:
            raise CreatorApiError("malformed_answer", "init without publish_id")
        upload_url = data.get("upload_url")
        return Initiated(publish_id, upload_url if isinstance(upload_url, str) else None)

    def upload(
        self,
        upload_url: str,
        plan: ChunkPlan,
        file: BinaryIO,
        content_type: str,
        start_byte: int = 0,
    ) -> Iterator[int]:
        """PUTs the chunks from the one holding `start_byte` on, in order; yields the bytes sent so far
        after each chunk (a caller stopped half way resumes from what the status says arrived)."""
        first_chunk = start_byte // plan.chunk_size if plan.chunk_size else 0
        for index in range(min(first_chunk, plan.total_chunk_count - 1), plan.total_chunk_count):
            first, last = plan.chunk_range(index)
            file.seek(first)
            data = file.read(last - first + 1)
            headers = {
                "Content-Type": content_type,
                "Content-Range": f"bytes {first}-{last}/{plan.video_size}",
            }
            try:
                response = self.transport.http.put(upload_url, content=data, headers=headers)
            except httpx.TransportError as exc:
                raise CreatorRetryableError("network_error", type(exc).__name__) from exc
            if response.status_code >= 500 or response.status_code == 429:
                raise CreatorRetryableError(
                    f"http_{response.status_code}", response.text[:200], response.status_code
                )
            if response.status_code >= 400:
                raise CreatorApiError("upload_refused", response.text[:200], response.status_code)
            yield last + 1

    def status(self, publish_id: str) -> PublishStatus:
        data = self.transport.api(
            "POST", "/v2/post/publish/status/fetch/", self.token, json={"publish_id": publish_id}
        )
        ids = data.get("publicaly_available_post_id") or []  # sic, TikTok's spelling
        return PublishStatus(
            status=str(data.get("status") or ""),
            fail_reason=str(data.get("fail_reason") or ""),
            post_ids=tuple(str(i) for i in ids) if isinstance(ids, list) else (),
            uploaded_bytes=int(data.get("uploaded_bytes") or 0),
            downloaded_bytes=int(data.get("downloaded_bytes") or 0),
        )
