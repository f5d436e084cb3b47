"""The post queue: each creator's posts to TikTok (a video file or URL, a caption, a privacy, a time, a
mode: a direct post or a draft sent to the creator's inbox), scheduled by hand or prepared from a new
product, and their way to TikTok.

Exactly once rests here. A run claims a post (a random claim with a lease) before anything is sent;
`init_sent_at` is written before TikTok's init is called and the `publish_id` it answers before a byte is
uploaded, so a run that dies at any point leaves the post with what its successor needs: a publish id to
follow (its status, the rest of its upload) instead of a second init. Every write of a claimed post
names its claim: a run whose lease another run took over changes nothing. The upload URL carries an
upload token, so it is kept encrypted.

Statuses: `waiting_media` (a draft without a video yet), `scheduled`, `publishing` (claimed, or followed
across runs), `published` (PUBLISH_COMPLETE), `sent_to_inbox` (SEND_TO_USER_INBOX), `failed` (TikTok's
FAILED, or an init whose answer was lost), `refused` (not sent: a privacy not offered, a video too long,
a scope not granted), `cancelled`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tiktok_pipelines.stores.db import StateDB, UTCDateTime, metadata, utcnow

POST_STATUSES = (
    "waiting_media",
    "scheduled",
    "publishing",
    "published",
    "sent_to_inbox",
    "failed",
    "refused",
    "cancelled",
)
OPEN_STATUSES = ("waiting_media", "scheduled", "publishing")

creator_posts = sa.Table(
    "creator_posts",
    metadata,
    sa.Column("post_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "creator_id",
        sa.String(63),
        sa.ForeignKey("creators.creator_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("client_id", sa.String(63), sa.ForeignKey("clients.client_id", ondelete="SET NULL")),
    sa.Column("origin", sa.String(20), nullable=False),  # cli | product
    sa.Column("source_key", sa.String(250), unique=True),  # product:<client>:<product_key>: once a product
    sa.Column("mode", sa.String(10), nullable=False),  # direct | inbox
    sa.Column("media_kind", sa.String(10)),  # file | url
    sa.Column("media", sa.Text),
    sa.Column("duration_s", sa.Float),
    sa.Column("caption", sa.Text, nullable=False),
    sa.Column("privacy_level", sa.String(30), nullable=False),
    sa.Column("posted_privacy", sa.String(30)),
    sa.Column("due_at", UTCDateTime, nullable=False),
    sa.Column("not_before", UTCDateTime),  # a wait (TikTok's limits) after due_at
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("reason", sa.Text),  # why it waits, was refused or failed
    sa.Column("note", sa.Text),  # what was done differently (posted as SELF_ONLY...)
    sa.Column("claim", sa.String(40)),
    sa.Column("claimed_until", UTCDateTime),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("init_sent_at", UTCDateTime),
    sa.Column("publish_id", sa.String(200)),
    sa.Column("upload_url_enc", sa.Text),
    sa.Column("video_size", sa.BigInteger),
    sa.Column("chunk_size", sa.BigInteger),
    sa.Column("chunks", sa.Integer),
    sa.Column("publish_status", sa.String(40)),  # TikTok's last status of the publish
    sa.Column("post_ids", sa.Text),  # JSON list: the public post ids, once moderated
    sa.Column("initiated_at", UTCDateTime),
    sa.Column("finished_at", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_creator_posts_due", "creator_id", "status", "due_at"),
)


class PostNotFound(LookupError):
    pass


class PostStateError(ValueError):
    """The post cannot do that in its status (cancel a published post...)."""


@dataclass(frozen=True)
class Post:
    post_id: int
    creator_id: str
    client_id: str | None
    origin: str
    source_key: str | None
    mode: str
    media_kind: str | None
    media: str | None
    duration_s: float | None
    caption: str
    privacy_level: str
    posted_privacy: str | None
    due_at: datetime
    not_before: datetime | None
    status: str
    reason: str | None
    note: str | None
    claim: str | None
    claimed_until: datetime | None
    attempts: int
    init_sent_at: datetime | None
    publish_id: str | None
    video_size: int | None
    chunk_size: int | None
    chunks: int | None
    publish_status: str | None
    post_ids: tuple[str, ...]
    initiated_at: datetime | None
    finished_at: datetime | None
    created_at: datetime
    updated_at: datetime

    def public_dict(self) -> dict[str, Any]:
        """The post as the CLI shows it (no claim, no upload URL)."""
        out = {k: v for k, v in self.__dict__.items() if k not in ("claim",)}
        out["post_ids"] = list(self.post_ids)
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in out.items()}


class PostQueue:
    """The `creator_posts` table: adds, claims and the steps of a claimed post."""

    def __init__(self, db: StateDB):
        self.db = db

    @staticmethod
    def _post(row: Any) -> Post:
        values = dict(row._mapping)
        values.pop("upload_url_enc", None)
        values["post_ids"] = tuple(json.loads(values.get("post_ids") or "[]"))
        return Post(**values)

    # -- adds and reads
    def add(
        self,
        creator_id: str,
        *,
        mode: str,
        caption: str,
        privacy_level: str,
        due_at: datetime,
        media_kind: str | None,
        media: str | None,
        duration_s: float | None = None,
        client_id: str | None = None,
        origin: str = "cli",
        source_key: str | None = None,
        reason: str | None = None,
    ) -> Post | None:
        """A new post, `scheduled` (or `waiting_media` without media, with the reason); None when a post
        with the same `source_key` is there already (a product is posted at most once)."""
        now = utcnow()
        values = dict(
            creator_id=creator_id,
            client_id=client_id,
            origin=origin,
            source_key=source_key,
            mode=mode,
            media_kind=media_kind,
            media=media,
            duration_s=duration_s,
            caption=caption,
            privacy_level=privacy_level,
            due_at=due_at,
            status="scheduled" if media else "waiting_media",
            reason=None if media else reason,
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        with self.db.begin() as conn:
            if (
                source_key is not None
                and conn.execute(
                    sa.select(creator_posts.c.post_id).where(creator_posts.c.source_key == source_key)
                ).first()
            ):
                return None
            post_id = conn.execute(creator_posts.insert().values(**values)).inserted_primary_key[0]
        return self.get(post_id)

    def find(self, post_id: int) -> Post | None:
        with self.db.read() as conn:
            row = conn.execute(sa.select(creator_posts).where(creator_posts.c.post_id == post_id)).first()
        return self._post(row) if row else None

    def get(self, post_id: int) -> Post:
        post = self.find(post_id)
        if post is None:
            raise PostNotFound(f"no post {post_id}")
        return post

    def by_source_key(self, source_key: str) -> Post | None:
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(creator_posts).where(creator_posts.c.source_key == source_key)
            ).first()
        return self._post(row) if row else None

    def list(self, creator_id: str | None = None, statuses: tuple[str, ...] = ()) -> list[Post]:
        query = sa.select(creator_posts).order_by(creator_posts.c.due_at, creator_posts.c.post_id)
        if creator_id:
            query = query.where(creator_posts.c.creator_id == creator_id)
        if statuses:
            query = query.where(creator_posts.c.status.in_(statuses))
        with self.db.read() as conn:
            return [self._post(r) for r in conn.execute(query)]

    # -- what a person does
    def _move(
        self, post_id: int, statuses: tuple[str, ...], refusal: str, *where: Any, **values: Any
    ) -> Post:
        """Changes a post in one of `statuses` (and `where`); PostStateError with `refusal` otherwise."""
        with self.db.begin() as conn:
            done = conn.execute(
                creator_posts.update()
                .where(creator_posts.c.post_id == post_id, creator_posts.c.status.in_(statuses), *where)
                .values(updated_at=utcnow(), **values)
            )
        post = self.get(post_id)
        if not done.rowcount:
            raise PostStateError(f"post {post_id} is {post.status}: {refusal}")
        return post

    def cancel(self, post_id: int) -> Post:
        """A scheduled or waiting post is cancelled; one TikTok has (or may have) is not."""
        return self._move(
            post_id,
            ("scheduled", "waiting_media"),
            "only a scheduled or waiting post is cancelled",
            creator_posts.c.init_sent_at.is_(None),
            status="cancelled",
            reason="cancelled",
            finished_at=utcnow(),
        )

    def attach_media(self, post_id: int, media_kind: str, media: str, duration_s: float | None) -> Post:
        """A waiting draft gets its video and is scheduled."""
        return self._move(
            post_id,
            ("waiting_media",),
            "only a draft waiting for its video takes one",
            media_kind=media_kind,
            media=media,
            duration_s=duration_s,
            status="scheduled",
            reason=None,
        )

    def retry(self, post_id: int) -> Post:
        """A failed or refused post is scheduled again, from a new init (a person checked TikTok first)."""
        return self._move(
            post_id,
            ("failed", "refused"),
            "only a failed or refused post is retried",
            status="scheduled",
            reason=None,
            init_sent_at=None,
            publish_id=None,
            upload_url_enc=None,
            publish_status=None,
            not_before=None,
            finished_at=None,
        )

    # -- claims
    def _due_clause(self, now: datetime):
        c = creator_posts.c
        return sa.or_(
            sa.and_(
                c.status == "scheduled", c.due_at <= now, sa.or_(c.not_before.is_(None), c.not_before <= now)
            ),
            sa.and_(c.status == "publishing", sa.or_(c.claimed_until.is_(None), c.claimed_until <= now)),
        )

    def due(self, now: datetime | None = None) -> dict[str, list[tuple[int, int]]]:
        """Creator → (post_id, attempts) of the posts a run should take now: scheduled and due, or being
        published without a live claim (a run died, or left it to be followed)."""
        now = now or utcnow()
        query = (
            sa.select(creator_posts.c.creator_id, creator_posts.c.post_id, creator_posts.c.attempts)
            .where(self._due_clause(now))
            .order_by(creator_posts.c.due_at, creator_posts.c.post_id)
        )
        out: dict[str, list[tuple[int, int]]] = {}
        with self.db.read() as conn:
            for creator_id, post_id, attempts in conn.execute(query):
                out.setdefault(creator_id, []).append((post_id, attempts))
        return out

    def claim_due(self, creator_id: str, claim: str, lease_seconds: float, limit: int = 20) -> list[Post]:
        """Claims the creator's due posts for `lease_seconds`: each is taken by one run only."""
        now = utcnow()
        with self.db.read() as conn:
            ids = list(
                conn.execute(
                    sa.select(creator_posts.c.post_id)
                    .where(creator_posts.c.creator_id == creator_id, self._due_clause(now))
                    .order_by(creator_posts.c.due_at, creator_posts.c.post_id)
                    .limit(limit)
                ).scalars()
            )
        claimed = []
        for post_id in ids:
            with self.db.begin() as conn:
                done = conn.execute(
                    creator_posts.update()
                    .where(creator_posts.c.post_id == post_id, self._due_clause(now))
                    .values(
                        status="publishing",
                        claim=claim,
                        claimed_until=now + timedelta(seconds=lease_seconds),
                        attempts=creator_posts.c.attempts + 1,
                        updated_at=now,
                    )
                )
            if done.rowcount:
                claimed.append(self.get(post_id))
        return claimed

    def _claimed(self, post_id: int, owner: str, **values: Any) -> bool:
        """Writes `values` on the post if `owner` still holds its claim."""
        with self.db.begin() as conn:
            done = conn.execute(
                creator_posts.update()
                .where(creator_posts.c.post_id == post_id, creator_posts.c.claim == owner)
                .values(updated_at=utcnow(), **values)
            )
        return bool(done.rowcount)

    def extend(self, post_id: int, claim: str, lease_seconds: float) -> bool:
        return self._claimed(post_id, claim, claimed_until=utcnow() + timedelta(seconds=lease_seconds))

    def wait(self, post_id: int, claim: str, until: datetime, reason: str) -> bool:
        """Not sent yet: scheduled again, not before `until`, with the reason."""
        return self._claimed(
            post_id,
            claim,
            status="scheduled",
            not_before=until,
            reason=reason,
            claim=None,
            claimed_until=None,
            init_sent_at=None,
        )

    def release(self, post_id: int, claim: str, reason: str | None, retry_at: datetime | None = None) -> bool:
        """Left for the next run to follow (still publishing), from `retry_at` (now by default)."""
        return self._claimed(post_id, claim, reason=reason, claim=None, claimed_until=retry_at or utcnow())

    def init_sent(self, post_id: int, claim: str, posted_privacy: str | None, note: str | None) -> bool:
        """Written before TikTok's init is called: from now on the post is never initiated again blindly."""
        return self._claimed(
            post_id, claim, init_sent_at=utcnow(), posted_privacy=posted_privacy, note=note, reason=None
        )

    def initiated(
        self,
        post_id: int,
        claim: str,
        publish_id: str,
        upload_url: str | None,
        sizes: tuple[int, int, int] | None,
    ) -> bool:
        """TikTok's publish id (and upload URL, encrypted) kept before the upload starts."""
        size, chunk, count = sizes or (None, None, None)
        return self._claimed(
            post_id,
            claim,
            publish_id=publish_id,
            upload_url_enc=self.db.secrets.encrypt(upload_url) if upload_url else None,
            video_size=size,
            chunk_size=chunk,
            chunks=count,
            initiated_at=utcnow(),
        )

    def upload_url(self, post_id: int) -> str | None:
        with self.db.read() as conn:
            enc = conn.execute(
                sa.select(creator_posts.c.upload_url_enc).where(creator_posts.c.post_id == post_id)
            ).scalar()
        return self.db.secrets.decrypt(enc) if enc else None

    def seen(self, post_id: int, claim: str, publish_status: str, lease_seconds: float) -> bool:
        """TikTok's status of the publish, kept; the claim held `lease_seconds` more while it is followed."""
        until = utcnow() + timedelta(seconds=lease_seconds)
        return self._claimed(post_id, claim, publish_status=publish_status, claimed_until=until)

    def finish(
        self,
        post_id: int,
        claim: str,
        status: str,
        reason: str | None = None,
        publish_status: str | None = None,
        post_ids: tuple[str, ...] = (),
    ) -> bool:
        """The end of a post: published, sent to the inbox, failed or refused."""
        values: dict[str, Any] = dict(
            status=status, reason=reason, claim=None, claimed_until=None, finished_at=utcnow()
        )
        if publish_status:
            values["publish_status"] = publish_status
        if post_ids:
            values["post_ids"] = json.dumps(list(post_ids))
        return self._claimed(post_id, claim, **values)

    # -- limits
    def inits_since(self, creator_id: str, since: datetime) -> list[datetime]:
        """When the creator's posts were sent to TikTok since `since`, oldest first."""
        with self.db.read() as conn:
            return list(
                conn.execute(
                    sa.select(creator_posts.c.init_sent_at)
                    .where(creator_posts.c.creator_id == creator_id, creator_posts.c.init_sent_at >= since)
                    .order_by(creator_posts.c.init_sent_at)
                ).scalars()
            )
