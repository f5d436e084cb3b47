"""Publishing a creator's due posts, each exactly once.

For each post this run claims: the creator's posting options first (`creator_info`: privacy offered,
longest video), then TikTok's init (a direct post, or a draft sent to the creator's inbox), the file
uploaded in the reference's chunks (or pulled by TikTok from a URL), and the publish's status polled to
its end (PUBLISH_COMPLETE, SEND_TO_USER_INBOX, FAILED with TikTok's reason).

Exactly once: the claim comes before anything is sent, `init_sent_at` before the init, the publish id
before the upload (`stores/posts.py`). A post that has a publish id is followed (its status, the rest of
its upload), never initiated again; one whose init was sent but whose answer never came is failed with
that reason for a person to check (`posts retry`), never sent again on its own.

TikTok's per-user limits are kept before the init (`TIKTOK_CREATOR_POST_INITS_PER_MINUTE` posts a
minute, `TIKTOK_CREATOR_POSTS_PER_DAY` a day) and TikTok's own refusals of them (429,
`spam_risk_too_many_posts`) are read the same way: the post waits, it does not fail. An app not audited
yet posts as SELF_ONLY, and the post says so.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tiktok_pipelines.core.media import video_content_type
from tiktok_pipelines.creator.errors import CreatorApiError, CreatorAuthError, CreatorRetryableError
from tiktok_pipelines.creator.posting import (
    MB,
    MODE_SCOPES,
    PUBLISH_SCOPE,
    ChunkPlan,
    CreatorInfo,
    PostingApi,
    chunk_plan,
)
from tiktok_pipelines.lanes.creators.access import CreatorContext, valid_tokens
from tiktok_pipelines.stores.db import utcnow
from tiktok_pipelines.stores.posts import Post, PostQueue

POLL_EVERY_S = 3.0  # TikTok allows 30 status calls a minute per user
LIMIT_WAIT = timedelta(minutes=1)
SELF_ONLY_NOTE = "posted as SELF_ONLY: the app has not passed TikTok's audit (TIKTOK_CREATOR_APP_AUDITED)"
# Failures of an init that happen before TikTok can have received it: the post may simply wait.
_NOT_SENT = {"ConnectError", "ConnectTimeout"}


@dataclass
class PublishReport:
    creator_id: str
    outcomes: list[dict[str, Any]] = field(default_factory=list)  # post_id, status, reason
    calls: dict[str, int] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o["status"] == status)


class _Wait(Exception):
    """The post is not sent now: it waits until `until`."""

    def __init__(self, until: datetime, reason: str):
        super().__init__(reason)
        self.until = until
        self.reason = reason


class _Refuse(Exception):
    """The post cannot be sent as it is; it is refused with the reason (nothing reached TikTok)."""


@dataclass
class _Publisher:
    ctx: CreatorContext
    queue: PostQueue
    api: PostingApi
    granted: tuple[str, ...]
    claim: str
    poll_every: float
    sleep: Callable[[float], None]
    _info: CreatorInfo | None = None

    @property
    def app(self):
        return self.ctx.app

    def creator_info(self) -> CreatorInfo | None:
        """The creator's posting options, asked once a run (None without `video.publish`)."""
        if self._info is None and PUBLISH_SCOPE in self.granted:
            self._info = self.api.creator_info()
        return self._info

    # -- one post
    def publish(self, post: Post) -> tuple[str, str | None]:
        """Takes a claimed post as far as it goes this run; returns its status and reason."""
        if post.publish_id:
            return self.follow(self.queue.get(post.post_id))
        if post.init_sent_at:
            reason = (
                "the post's init was sent but its answer never came back: TikTok may have the post. "
                f"Check the creator's profile and inbox, then `tiktok-pipelines posts retry {post.post_id}` "
                "to send it again"
            )
            self.queue.finish(post.post_id, self.claim, "failed", reason)
            return "failed", reason
        try:
            self.start(post)
        except _Wait as wait:
            self.queue.wait(post.post_id, self.claim, wait.until, wait.reason)
            return "scheduled", wait.reason
        except _Refuse as refusal:
            self.queue.finish(post.post_id, self.claim, "refused", str(refusal))
            return "refused", str(refusal)
        return self.follow(self.queue.get(post.post_id))

    def check_limits(self, post: Post) -> None:
        now = utcnow()
        minute = self.queue.inits_since(post.creator_id, now - timedelta(minutes=1))
        if len(minute) >= self.app.post_inits_per_minute:
            raise _Wait(
                minute[0] + timedelta(minutes=1),
                f"TikTok's limit of {self.app.post_inits_per_minute} posts a minute per creator: waits",
            )
        day = self.queue.inits_since(post.creator_id, now - timedelta(days=1))
        if len(day) >= self.app.posts_per_day:
            raise _Wait(
                day[0] + timedelta(days=1),
                f"the limit of {self.app.posts_per_day} posts a day per creator "
                "(TIKTOK_CREATOR_POSTS_PER_DAY): waits until the oldest is a day old",
            )

    def privacy(self, post: Post, info: CreatorInfo | None) -> tuple[str, str | None]:
        """The privacy the post goes out with, and the note when it is not the one asked for."""
        if post.mode != "direct":
            return "SELF_ONLY", None  # a draft is the creator's to finish
        if info is not None and post.privacy_level not in info.privacy_level_options:
            raise _Refuse(
                f"privacy {post.privacy_level} is not offered to this creator "
                f"(offered: {', '.join(info.privacy_level_options)})"
            )
        if not self.app.audited and post.privacy_level != "SELF_ONLY":
            return "SELF_ONLY", SELF_ONLY_NOTE
        return post.privacy_level, None

    def source(self, post: Post) -> tuple[dict[str, Any], ChunkPlan | None]:
        if post.media_kind == "url":
            return {"source": "PULL_FROM_URL", "video_url": post.media}, None
        path = Path(post.media or "")
        if not path.is_file():
            raise _Refuse(f"the video file {path} is not there")
        if video_content_type(path) is None:
            raise _Refuse(f"{path.name} is not a video TikTok takes (MP4, MOV or WebM)")
        try:
            plan = chunk_plan(path.stat().st_size, self.app.post_chunk_mb * MB)
        except ValueError as exc:
            raise _Refuse(str(exc)) from None
        return plan.source_info(), plan

    def start(self, post: Post) -> None:
        """Checks, then TikTok's init, then the upload; the publish id is stored before the upload."""
        scope = MODE_SCOPES[post.mode]
        if scope not in self.granted:
            raise _Refuse(
                f"a {post.mode} post needs the scope {scope}, which the creator did not grant "
                f"(`tiktok-pipelines creators connect {post.creator_id}` with it in TIKTOK_CREATOR_SCOPES)"
            )
        self.check_limits(post)
        info = self.creator_info()
        longest = info.max_video_post_duration_sec if info else None
        if longest and post.duration_s and post.duration_s > longest:
            raise _Refuse(
                f"the video lasts {post.duration_s:.0f} s; this creator may post at most {longest} s"
            )
        privacy, note = self.privacy(post, info)
        source_info, plan = self.source(post)
        post_info = None
        if post.mode == "direct":
            post_info = {
                "title": post.caption,
                "privacy_level": privacy,
                "disable_comment": bool(info and info.comment_disabled),
                "disable_duet": bool(info and info.duet_disabled),
                "disable_stitch": bool(info and info.stitch_disabled),
            }
        self.queue.init_sent(post.post_id, self.claim, privacy, note)
        try:
            initiated = self.api.init(post.mode, source_info, post_info)
        except CreatorRetryableError as exc:
            if exc.status == 429 or exc.code == "rate_limit_exceeded" or exc.message in _NOT_SENT:
                raise _Wait(
                    utcnow() + LIMIT_WAIT, f"TikTok did not take the post now ({exc.code}): waits"
                ) from exc
            raise  # a 5xx or a lost answer: init_sent_at stays, the post is never sent blindly again
        except CreatorAuthError as exc:
            raise _Wait(
                utcnow() + LIMIT_WAIT, f"TikTok refused the creator's token ({exc.code}): waits"
            ) from exc
        except CreatorApiError as exc:
            if exc.code == "spam_risk_too_many_posts":
                raise _Wait(
                    utcnow() + timedelta(hours=1),
                    f"TikTok says the creator posted enough for now ({exc.code}): waits",
                ) from exc
            raise _Refuse(f"TikTok refused the post: {exc}") from exc
        sizes = (plan.video_size, plan.chunk_size, plan.total_chunk_count) if plan else None
        self.queue.initiated(post.post_id, self.claim, initiated.publish_id, initiated.upload_url, sizes)
        if plan is not None:
            self.upload(post, plan, 0)

    def upload(self, post: Post, plan: ChunkPlan, start_byte: int) -> None:
        url = self.queue.upload_url(post.post_id)
        if url is None:
            raise CreatorApiError("upload_url_missing", "the post's upload URL was not kept")
        path = Path(post.media or "")
        with path.open("rb") as file:
            for _ in self.api.upload(url, plan, file, video_content_type(path) or "video/mp4", start_byte):
                self.queue.extend(post.post_id, self.claim, self.app.post_lease_seconds)

    def follow(self, post: Post) -> tuple[str, str | None]:
        """Polls the publish to its end (within the run's polling time), finishing an interrupted upload
        from the bytes TikTok says it has."""
        deadline = time.monotonic() + self.app.post_poll_seconds
        while True:
            status = self.api.status(post.publish_id or "")
            self.queue.seen(post.post_id, self.claim, status.status, self.app.post_lease_seconds)
            if status.status == "PUBLISH_COMPLETE":
                self.queue.finish(post.post_id, self.claim, "published", None, status.status, status.post_ids)
                return "published", None
            if status.status == "SEND_TO_USER_INBOX":
                self.queue.finish(post.post_id, self.claim, "sent_to_inbox", None, status.status)
                return "sent_to_inbox", None
            if status.status == "FAILED":
                reason = f"TikTok failed the post: {status.fail_reason or 'no reason given'}"
                self.queue.finish(post.post_id, self.claim, "failed", reason, status.status)
                return "failed", reason
            if (
                post.media_kind == "file"
                and post.video_size
                and status.uploaded_bytes < post.video_size
                and status.status == "PROCESSING_UPLOAD"
            ):
                plan = ChunkPlan(post.video_size, post.chunk_size or post.video_size, post.chunks or 1)
                self.upload(post, plan, status.uploaded_bytes)
                continue
            if time.monotonic() >= deadline:
                reason = f"TikTok is still processing ({status.status}); the next run follows it"
                self.queue.release(post.post_id, self.claim, reason, utcnow() + timedelta(seconds=30))
                return "publishing", reason
            self.sleep(self.poll_every)


def publish_due(
    ctx: CreatorContext,
    creator_id: str,
    poll_every: float = POLL_EVERY_S,
    sleep: Callable[[float], None] = time.sleep,
) -> PublishReport:
    """Publishes the creator's due posts (and follows those a previous run left); one post's failure is
    recorded on it and the others go on."""
    queue = PostQueue(ctx.db)
    claim = uuid.uuid4().hex
    report = PublishReport(creator_id)
    posts = queue.claim_due(creator_id, claim, ctx.app.post_lease_seconds)
    if not posts:
        return report
    with ctx.transport() as transport:
        try:
            tokens = valid_tokens(ctx, transport, creator_id)
        except Exception as exc:
            for post in posts:
                queue.release(post.post_id, claim, f"{type(exc).__name__}: {exc}", utcnow() + LIMIT_WAIT)
            raise
        granted = ctx.registry.get(creator_id).granted_scopes
        api = PostingApi(transport, tokens.access_token.get_secret_value())
        publisher = _Publisher(ctx, queue, api, granted, claim, poll_every, sleep)
        for post in posts:
            try:
                status, reason = publisher.publish(post)
            except Exception as exc:  # recorded on the post; the next run takes it from where it is
                reason = f"{type(exc).__name__}: {exc}"
                queue.release(post.post_id, claim, reason, utcnow() + LIMIT_WAIT)
                status = "error"
            report.outcomes.append({"post_id": post.post_id, "status": status, "reason": reason or ""})
        report.calls = dict(transport.calls)
    return report
