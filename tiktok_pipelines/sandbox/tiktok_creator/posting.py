"""The Content Posting API (reference §7): the creator's posting options, a direct post (`video.publish`)
or an inbox draft (`video.upload`) from a file uploaded in chunks or a URL pulled from a verified prefix,
the chunk rules, the upload itself (`PUT` with `Content-Range`, chunks in order), and the status of a
publish as it moves from processing to its end. A completed post joins the creator's videos (public
only on an audited app: an unaudited app's posts are forced to SELF_ONLY) and gains views from then on.
Per user token: creator info 20 calls a minute, each init 6, status 30.

Each creator has its own privacy options (a private account is not offered PUBLIC_TO_EVERYONE) and its
longest video: a post asking for a privacy it was not offered is refused at init, a video longer than
allowed (read from the uploaded MP4's `mvhd`) ends FAILED with `duration_check_failed`. A creator's posts
in any 24 hours are capped (`EmulatorConfig.posts_per_day`; the figure and the code
`spam_risk_too_many_posts` are UNCONFIRMED). Upload chunks carry a video Content-Type."""

from __future__ import annotations

import random
import re
import secrets
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tiktok_pipelines.sandbox.tiktok_creator.calls import Call, Endpoint
from tiktok_pipelines.sandbox.tiktok_creator.errors import ApiError, invalid_params
from tiktok_pipelines.sandbox.tiktok_creator.simulation import SimulatedCreator, Video

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.tiktok_creator.emulator import TikTokCreatorEmulator

MB = 1024 * 1024
MIN_CHUNK, MAX_CHUNK, MAX_LAST_CHUNK, MAX_CHUNKS = 5 * MB, 64 * MB, 128 * MB, 1000
PRIVACY_LEVELS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")
MAX_POST_DURATION_S = 600
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
VIDEO_TYPES = ("video/mp4", "video/quicktime", "video/webm")
_HEAD_BYTES = 64 * 1024  # what is kept of a file's start, to read its duration


def mvhd_seconds(head: bytes) -> float | None:
    """The duration an MP4 / MOV movie header declares, if its `mvhd` box is in `head`."""
    at = head.find(b"mvhd")
    if at < 4:
        return None
    body = head[at + 4 :]
    if not body:
        return None
    if body[0] == 1:  # version 1: 64-bit times
        if len(body) < 32:
            return None
        scale, length = struct.unpack(">IQ", body[20:32])
    else:
        if len(body) < 20:
            return None
        scale, length = struct.unpack(">II", body[12:20])
    return length / scale if scale else None


def privacy_options(creator: SimulatedCreator) -> list[str]:
    """What the creator may post as: everything but PUBLIC_TO_EVERYONE on a private account."""
    return [p for p in PRIVACY_LEVELS if not (creator.private_account and p == "PUBLIC_TO_EVERYONE")]


def chunk_problem(size: Any, chunk: Any, count: Any) -> str | None:
    """Why a FILE_UPLOAD's `video_size`, `chunk_size` and `total_chunk_count` break the rules, or None."""
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (size, chunk, count)):
        return "video_size, chunk_size and total_chunk_count are positive integers"
    if size < MIN_CHUNK:
        return None if chunk == size and count == 1 else "a video under 5 MB is uploaded whole"
    if not MIN_CHUNK <= chunk <= MAX_CHUNK:
        return "chunk_size is between 5 MB and 64 MB"
    if count != size // chunk or not 1 <= count <= MAX_CHUNKS:
        return "total_chunk_count is floor(video_size / chunk_size), 1 to 1000"
    if size - chunk * (count - 1) > MAX_LAST_CHUNK:
        return "the last chunk is at most 128 MB"
    return None


@dataclass
class Publish:
    id: str
    creator: str
    kind: str  # direct | inbox
    source: str  # FILE_UPLOAD | PULL_FROM_URL
    privacy_level: str
    title: str
    video_size: int = 0
    chunk_size: int = 0
    chunks: int = 0
    upload_token: str = ""
    received: int = 0  # bytes uploaded (or downloaded), in order
    done_at: float | None = None  # when the bytes were all there
    video_id: str | None = None
    created_at: float = 0.0
    max_duration_s: int = MAX_POST_DURATION_S
    head: bytes = b""  # the file's first bytes, for its duration
    fail_reason: str = ""

    def chunk_range(self, index: int) -> tuple[int, int]:
        first = index * self.chunk_size
        last = self.video_size - 1 if index == self.chunks - 1 else first + self.chunk_size - 1
        return first, last


class PostingMixin:
    """Publishes of `TikTokCreatorEmulator` (its `publishes`) and the posts they become."""

    def publish_view(self: TikTokCreatorEmulator, publish: Publish) -> dict[str, Any]:
        """The status of a publish now: processing, then its end a few seconds after the bytes are in."""
        now = self.now()
        status = "PROCESSING_UPLOAD" if publish.source == "FILE_UPLOAD" else "PROCESSING_DOWNLOAD"
        post_ids: list[int] = []
        if publish.done_at is not None and now >= publish.done_at + self.config.publish_processing_s:
            if publish.fail_reason:
                return {
                    "status": "FAILED",
                    "fail_reason": publish.fail_reason,
                    "publicaly_available_post_id": [],
                    "uploaded_bytes": publish.received if publish.source == "FILE_UPLOAD" else 0,
                    "downloaded_bytes": 0 if publish.source == "FILE_UPLOAD" else publish.received,
                }
            status = "PUBLISH_COMPLETE" if publish.kind == "direct" else "SEND_TO_USER_INBOX"
            if publish.kind == "direct" and publish.video_id is None:
                publish.video_id = self._post(
                    publish, int(publish.done_at + self.config.publish_processing_s)
                )
            public = publish.privacy_level == "PUBLIC_TO_EVERYONE"
            moderated = now >= publish.done_at + self.config.publish_processing_s + self.config.moderation_s
            if publish.video_id and public and moderated:
                post_ids = [int(publish.video_id)]
        uploaded = publish.received if publish.source == "FILE_UPLOAD" else 0
        return {
            "status": status,
            "fail_reason": "",
            "publicaly_available_post_id": post_ids,
            "uploaded_bytes": uploaded,
            "downloaded_bytes": publish.received - uploaded,
        }

    def _post(self: TikTokCreatorEmulator, publish: Publish, create_time: int) -> str:
        creator = self.creator(publish.creator)
        rng = random.Random(publish.id)
        reach = creator.base_followers * rng.uniform(0.3, 1.0)
        while any(v.create_time == create_time for v in creator.videos):
            create_time += 1
        video = Video(
            id=str(rng.randrange(7 * 10**18, 8 * 10**18)),
            create_time=create_time,
            title=publish.title[:150],
            description=publish.title[:150],
            duration=rng.randint(10, 60),
            width=1080,
            height=1920,
            public=publish.privacy_level == "PUBLIC_TO_EVERYONE",
            is_aigc=False,
            peak_views=reach,
            burst_hours=rng.uniform(12, 48),
            tail_per_day=reach * 0.005,
            like_rate=rng.uniform(0.04, 0.12),
            comment_rate=rng.uniform(0.002, 0.01),
            share_rate=rng.uniform(0.001, 0.008),
        )
        creator.videos.append(video)
        return video.id

    def receive_chunk(
        self: TikTokCreatorEmulator,
        upload_id: str,
        token: str,
        content_range: str,
        body: bytes,
        content_type: str = "video/mp4",
    ) -> tuple[int, str]:
        """One PUT of an upload: (HTTP status, message). Chunks come in order, each the size the init
        declared, as a video type; 206 while chunks remain, 201 once the file is whole (codes
        UNCONFIRMED). A whole file longer than the creator may post fails its publish."""
        with self.lock:
            publish = self.publishes.get(upload_id)
            if publish is None or publish.source != "FILE_UPLOAD" or publish.upload_token != token:
                return 404, "unknown upload_id or upload_token"
            if publish.done_at is not None:
                return 400, "the upload is complete"
            if content_type.split(";")[0].strip().lower() not in VIDEO_TYPES:
                return 400, f"Content-Type must be one of {', '.join(VIDEO_TYPES)}"
            match = _RANGE.match(content_range)
            index = publish.received // publish.chunk_size if publish.chunk_size else 0
            expected = publish.chunk_range(min(index, publish.chunks - 1))
            if not match or (int(match[1]), int(match[2]), int(match[3])) != (*expected, publish.video_size):
                return 416, f"Content-Range must be bytes {expected[0]}-{expected[1]}/{publish.video_size}"
            if len(body) != expected[1] - expected[0] + 1:
                return 400, "the chunk's length does not match its Content-Range"
            if publish.received == 0:
                publish.head = body[:_HEAD_BYTES]
            publish.received += len(body)
            if publish.received < publish.video_size:
                return 206, "chunk received"
            publish.done_at = self.now()
            duration = mvhd_seconds(publish.head)
            if duration is not None and duration > publish.max_duration_s:
                publish.fail_reason = "duration_check_failed"
            return 201, "upload complete"


def _init(call: Call, kind: str) -> dict[str, Any]:
    emu = call.emulator
    app = emu.apps[call.token.client_key]
    post = call.body.get("post_info") or {}
    source = call.body.get("source_info")
    if not isinstance(source, dict) or not isinstance(post, dict):
        raise invalid_params("source_info (and post_info for a direct post) are JSON objects")
    privacy = post.get("privacy_level", "SELF_ONLY")
    if kind == "direct":
        if privacy not in privacy_options(call.creator):
            raise ApiError(
                "privacy_level_option_mismatch", "privacy_level is not one of the creator's options", 400
            )
        if not app.audited:
            privacy = "SELF_ONLY"  # an unaudited app's posts stay private
    now = emu.now()
    recent = [
        p for p in emu.publishes.values() if p.creator == call.creator.username and p.created_at > now - 86400
    ]
    if len(recent) >= emu.config.posts_per_day:
        raise ApiError(
            "spam_risk_too_many_posts", "The user has reached the number of posts allowed a day.", 403
        )
    publish = Publish(
        id="v_pub_file~v2-1." + secrets.token_hex(9),
        creator=call.creator.username,
        kind=kind,
        source=str(source.get("source")),
        privacy_level=privacy if kind == "direct" else "SELF_ONLY",
        title=str(post.get("title", "")),
        created_at=now,
        max_duration_s=call.creator.max_video_post_duration_sec,
    )
    answer: dict[str, Any] = {"publish_id": publish.id}
    if publish.source == "FILE_UPLOAD":
        size, chunk, count = (source.get(k) for k in ("video_size", "chunk_size", "total_chunk_count"))
        problem = chunk_problem(size, chunk, count)
        if problem:
            raise invalid_params(problem)
        publish.video_size, publish.chunk_size, publish.chunks = size, chunk, count
        publish.upload_token = secrets.token_urlsafe(16)
        base = emu.config.upload_base_url or emu.config.base_url
        answer["upload_url"] = (
            f"{base}/upload/video/?upload_id={publish.id}&upload_token={publish.upload_token}"
        )
    elif publish.source == "PULL_FROM_URL":
        url = source.get("video_url")
        if not isinstance(url, str) or not any(url.startswith(p) for p in app.verified_url_prefixes):
            raise ApiError(
                "url_ownership_unverified", "video_url is not on a verified domain or URL prefix", 403
            )
        publish.received, publish.done_at = 1, emu.now()  # pulled at once
    else:
        raise invalid_params("source_info.source is FILE_UPLOAD or PULL_FROM_URL")
    emu.publishes[publish.id] = publish
    return answer


def h_creator_info(call: Call) -> dict[str, Any]:
    creator = call.creator
    return {
        "creator_avatar_url": call.emulator.cdn_url(f"avatar/{creator.union_id}.jpeg", 2 * 3600.0),
        "creator_username": creator.username,
        "creator_nickname": creator.display_name,
        "privacy_level_options": privacy_options(creator),
        "comment_disabled": False,
        "duet_disabled": False,
        "stitch_disabled": True,
        "max_video_post_duration_sec": creator.max_video_post_duration_sec,
    }


def h_direct_init(call: Call) -> dict[str, Any]:
    return _init(call, "direct")


def h_inbox_init(call: Call) -> dict[str, Any]:
    return _init(call, "inbox")


def h_status(call: Call) -> dict[str, Any]:
    publish = call.emulator.publishes.get(str(call.body.get("publish_id", "")))
    if publish is None or publish.creator != call.creator.username:
        raise invalid_params("publish_id is unknown")
    return call.emulator.publish_view(publish)


ROUTES: tuple[Endpoint, ...] = (
    Endpoint("POST", "/v2/post/publish/creator_info/query/", h_creator_info, ("video.publish",), 20),
    Endpoint("POST", "/v2/post/publish/video/init/", h_direct_init, ("video.publish",), 6),
    Endpoint("POST", "/v2/post/publish/inbox/video/init/", h_inbox_init, ("video.upload",), 6),
    Endpoint("POST", "/v2/post/publish/status/fetch/", h_status, ("video.upload", "video.publish"), 30),
)
