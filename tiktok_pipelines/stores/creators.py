"""The creator registry: one row per TikTok creator account (the merchant's own, or one an agency
manages), optionally linked to a client, with what its last sync saw of the profile.

`creator_id` is a slug chosen by the operator and the partition key of the creator assets. Tokens,
consent states and sync requests are in `stores/creator_auth.py`; the deletion audit keeps no personal
data (`CreatorAudit`).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from tiktok_pipelines.stores.db import StateDB, UTCDateTime, metadata, utcnow
from tiktok_pipelines.stores.registry import (
    CLIENT_ID_PATTERN,
    ClientExistsError,
    ClientNotFoundError,
    InvalidClientError,
    KeyedRegistry,
)

# not_connected: registered, never connected; connected; needs_reconnection: TikTok refused the grant
# (revoked by the creator, expired, a rotated refresh token replayed); disconnected: revoked here.
CREATOR_STATUSES = ("not_connected", "connected", "needs_reconnection", "disconnected")
PROFILE_FIELDS = (
    "display_name",
    "username",
    "avatar_url",
    "follower_count",
    "following_count",
    "likes_count",
    "video_count",
)

creators_table = sa.Table(
    "creators",
    metadata,
    sa.Column("creator_id", sa.String(63), primary_key=True),
    sa.Column("client_id", sa.String(63), sa.ForeignKey("clients.client_id", ondelete="SET NULL")),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("open_id", sa.String(200)),
    sa.Column("granted_scopes", sa.Text, nullable=False, default="[]"),
    sa.Column("display_name", sa.String(300)),
    sa.Column("username", sa.String(300)),
    sa.Column("avatar_url", sa.Text),
    sa.Column("follower_count", sa.BigInteger),
    sa.Column("following_count", sa.BigInteger),
    sa.Column("likes_count", sa.BigInteger),
    sa.Column("video_count", sa.BigInteger),
    sa.Column("connected_at", UTCDateTime),
    sa.Column("disconnected_at", UTCDateTime),
    sa.Column("last_sync_at", UTCDateTime),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_creators_client", "client_id"),
)

creator_audit = sa.Table(
    "creator_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("receipt", sa.String(40), nullable=False, unique=True),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("requested_via", sa.String(20), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),  # counts only: never an id, a name or a token
    sa.Column("at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True)
class Creator:
    creator_id: str
    client_id: str | None
    timezone: str
    status: str
    open_id: str | None
    granted_scopes: tuple[str, ...]
    display_name: str | None
    username: str | None
    avatar_url: str | None
    follower_count: int | None
    following_count: int | None
    likes_count: int | None
    video_count: int | None
    connected_at: datetime | None
    disconnected_at: datetime | None
    last_sync_at: datetime | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime

    def public_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["granted_scopes"] = list(self.granted_scopes)
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in out.items()}


def check_creator_id(creator_id: str) -> str:
    if not creator_id or len(creator_id) > 63 or not CLIENT_ID_PATTERN.match(creator_id):
        raise InvalidClientError(
            f"creator_id must be a slug ([a-z0-9][a-z0-9_-]*, at most 63 characters), got {creator_id!r}"
        )
    return creator_id


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidClientError(
            f"timezone must be an IANA time zone such as America/Sao_Paulo, got {name!r}"
        ) from None
    return name


class CreatorRegistry(KeyedRegistry[Creator]):
    """Creators: registered, connected, synced, disconnected, deleted."""

    table = creators_table
    key = "creator_id"
    missing = "no creator {}"

    def _from_row(self, row: Any) -> Creator:
        values = dict(row._mapping)
        values["granted_scopes"] = tuple(json.loads(values.get("granted_scopes") or "[]"))
        return Creator(**values)

    def add(
        self, creator_id: str, client_id: str | None = None, timezone: str = "America/Sao_Paulo"
    ) -> Creator:
        check_creator_id(creator_id)
        check_timezone(timezone)
        now = utcnow()
        with self.db.begin() as conn:
            if conn.execute(
                sa.select(creators_table.c.creator_id).where(creators_table.c.creator_id == creator_id)
            ).first():
                raise ClientExistsError(f"creator {creator_id} already exists")
            if (
                client_id is not None
                and not conn.execute(
                    sa.text("SELECT 1 FROM clients WHERE client_id = :c"), {"c": client_id}
                ).first()
            ):
                raise ClientNotFoundError(f"no client {client_id}")
            conn.execute(
                creators_table.insert().values(
                    creator_id=creator_id,
                    client_id=client_id,
                    timezone=timezone,
                    status="not_connected",
                    granted_scopes="[]",
                    created_at=now,
                    updated_at=now,
                )
            )
        return self.get(creator_id)

    def _update(self, creator_id: str, **values: Any) -> None:
        with self.db.begin() as conn:
            done = conn.execute(
                creators_table.update()
                .where(creators_table.c.creator_id == creator_id)
                .values(updated_at=utcnow(), **values)
            )
        if not done.rowcount:
            raise self.not_found(creator_id)

    def mark_connected(self, creator_id: str, open_id: str, scopes: tuple[str, ...]) -> None:
        self._update(
            creator_id,
            status="connected",
            open_id=open_id,
            granted_scopes=json.dumps(list(scopes)),
            connected_at=utcnow(),
            disconnected_at=None,
            last_error=None,
        )

    def set_scopes(self, creator_id: str, scopes: tuple[str, ...]) -> None:
        self._update(creator_id, granted_scopes=json.dumps(list(scopes)))

    def mark_needs_reconnection(self, creator_id: str, reason: str) -> None:
        self._update(creator_id, status="needs_reconnection", last_error=reason[:500])

    def mark_disconnected(self, creator_id: str) -> None:
        self._update(creator_id, status="disconnected", disconnected_at=utcnow())

    def record_sync(
        self, creator_id: str, profile: dict[str, Any] | None = None, error: str | None = None
    ) -> None:
        values: dict[str, Any] = {"last_error": error[:500] if error else None}
        if error is None:
            values["last_sync_at"] = utcnow()
        if profile is not None:
            values |= {name: profile.get(name) for name in PROFILE_FIELDS}
        self._update(creator_id, **values)

    def connected(self) -> list[Creator]:
        return [c for c in self.list() if c.status == "connected"]


class CreatorAudit:
    """What was done to whom is not kept: an entry says what was done, when, through what, and how many
    rows went, under a random receipt given to whoever asked."""

    def __init__(self, db: StateDB):
        self.db = db

    def add(self, action: str, requested_via: str, detail: dict[str, int]) -> str:
        receipt = uuid.uuid4().hex
        with self.db.begin() as conn:
            conn.execute(
                creator_audit.insert().values(
                    receipt=receipt,
                    action=action,
                    requested_via=requested_via,
                    detail=json.dumps(detail, sort_keys=True),
                    at=utcnow(),
                )
            )
        return receipt

    def entries(self, limit: int = 100) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(creator_audit).order_by(creator_audit.c.id.desc()).limit(limit)
            ).all()
        return [
            {
                "receipt": r.receipt,
                "action": r.action,
                "requested_via": r.requested_via,
                "detail": json.loads(r.detail),
                "at": r.at.isoformat(),
            }
            for r in rows
        ]
