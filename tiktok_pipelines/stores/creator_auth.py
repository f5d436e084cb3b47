"""Creators' authorization: consent states (single use, expiring, stored as SHA-256 hashes, with the
PKCE verifier encrypted), tokens (encrypted, with the lifetimes their answer gave), and the sync
requests the receiver queues for `creator_sync_sensor`.

Nothing here is ever logged in clear: tokens and verifiers are encrypted with the state DB's SecretBox
and print as `**********`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import SecretStr

from tiktok_pipelines.stores.db import StateDB, UTCDateTime, metadata, take_oldest, utcnow
from tiktok_pipelines.stores.oauth_states import consume_state, issue_state, state_table


def _creator_fk() -> sa.ForeignKey:
    return sa.ForeignKey("creators.creator_id", ondelete="CASCADE")


creator_oauth_states = state_table(
    "creator_oauth_states",
    sa.Column("creator_id", sa.String(63), _creator_fk(), nullable=False),
    sa.Column("verifier_enc", sa.Text),  # the PKCE code verifier, encrypted
)

creator_tokens = sa.Table(
    "creator_tokens",
    metadata,
    sa.Column("creator_id", sa.String(63), _creator_fk(), primary_key=True),
    sa.Column("access_token_enc", sa.Text, nullable=False),
    sa.Column("access_expires_at", UTCDateTime, nullable=False),
    sa.Column("access_lifetime_seconds", sa.Integer, nullable=False),
    sa.Column("refresh_token_enc", sa.Text, nullable=False),
    sa.Column("refresh_expires_at", UTCDateTime, nullable=False),
    sa.Column("obtained_at", UTCDateTime, nullable=False),
    sa.Column("refreshed_at", UTCDateTime),
    sa.Column("refreshes", sa.Integer, nullable=False, default=0),
)

creator_sync_requests = sa.Table(
    "creator_sync_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("creator_id", sa.String(63), _creator_fk(), nullable=False),
    sa.Column("requested_via", sa.String(20), nullable=False),
    sa.Column("requested_at", UTCDateTime, nullable=False),
    sa.Column("taken_at", UTCDateTime),
    sa.Index("ix_creator_sync_requests_taken", "taken_at", "id"),
)


class CreatorStateError(Exception):
    """The `state` of a callback is unknown, expired or already used."""


@dataclass(frozen=True)
class ConsentState:
    creator_id: str
    code_verifier: SecretStr | None


@dataclass(frozen=True)
class CreatorTokens:
    creator_id: str
    access_token: SecretStr
    access_expires_at: datetime
    access_lifetime_seconds: int
    refresh_token: SecretStr
    refresh_expires_at: datetime
    obtained_at: datetime
    refreshed_at: datetime | None
    refreshes: int

    def due(self, share: float, now: datetime | None = None) -> bool:
        """Whether less than `share` of the access token's lifetime (as its answer gave it) is left."""
        left = (self.access_expires_at - (now or utcnow())).total_seconds()
        return left < self.access_lifetime_seconds * share


class CreatorAuthStore:
    def __init__(self, db: StateDB):
        self.db = db

    # -- consent states
    def issue_state(self, creator_id: str, ttl: timedelta, code_verifier: str | None = None) -> str:
        enc = self.db.secrets.encrypt(code_verifier) if code_verifier else None
        return issue_state(
            self.db, creator_oauth_states, ttl, timedelta(days=1), creator_id=creator_id, verifier_enc=enc
        )

    def consume_state(self, state: str) -> ConsentState:
        """The creator and PKCE verifier the state was issued with; it cannot be used again."""
        row = consume_state(
            self.db, creator_oauth_states, state, CreatorStateError, "consent link", "ask for a new one"
        )
        verifier = SecretStr(self.db.secrets.decrypt(row.verifier_enc)) if row.verifier_enc else None
        return ConsentState(row.creator_id, verifier)

    # -- tokens
    def save_tokens(self, creator_id: str, answer: Any, refreshed: bool = False) -> None:
        """Stores a token answer (`creator.oauth.TokenAnswer`) encrypted: both tokens, the refresh token
        being always the answer's own (it rotates), and the lifetimes it gave."""
        enc = self.db.secrets.encrypt
        values = {
            "access_token_enc": enc(answer.access_token.get_secret_value()),
            "access_expires_at": answer.access_expires_at,
            "access_lifetime_seconds": int(answer.expires_in),
            "refresh_token_enc": enc(answer.refresh_token.get_secret_value()),
            "refresh_expires_at": answer.refresh_expires_at,
        }
        with self.db.begin() as conn:
            exists = conn.execute(
                sa.select(creator_tokens.c.refreshes).where(creator_tokens.c.creator_id == creator_id)
            ).first()
            if exists and refreshed:
                conn.execute(
                    creator_tokens.update()
                    .where(creator_tokens.c.creator_id == creator_id)
                    .values(refreshed_at=answer.received_at, refreshes=exists.refreshes + 1, **values)
                )
                return
            conn.execute(creator_tokens.delete().where(creator_tokens.c.creator_id == creator_id))
            conn.execute(
                creator_tokens.insert().values(
                    creator_id=creator_id, obtained_at=answer.received_at, refreshes=0, **values
                )
            )

    def get_tokens(self, creator_id: str) -> CreatorTokens | None:
        row = self.db.find_row(creator_tokens, creator_id=creator_id)
        return CreatorTokens(**self.db.secrets.decrypt_row(row)) if row else None

    def delete_tokens(self, creator_id: str) -> int:
        with self.db.begin() as conn:
            return conn.execute(
                creator_tokens.delete().where(creator_tokens.c.creator_id == creator_id)
            ).rowcount

    # -- sync requests
    def request_sync(self, creator_id: str, requested_via: str) -> bool:
        """Queues a sync; False when one is already waiting (the same run will serve both)."""
        with self.db.begin() as conn:
            waiting = conn.execute(
                sa.select(creator_sync_requests.c.id).where(
                    creator_sync_requests.c.creator_id == creator_id,
                    creator_sync_requests.c.taken_at.is_(None),
                )
            ).first()
            if waiting:
                return False
            conn.execute(
                creator_sync_requests.insert().values(
                    creator_id=creator_id, requested_via=requested_via, requested_at=utcnow()
                )
            )
        return True

    def take_sync_requests(self, limit: int = 200) -> list[tuple[int, str]]:
        """Waiting requests, oldest first, marked taken: (id, creator_id)."""
        now = utcnow()
        with self.db.begin() as conn:
            waiting = creator_sync_requests.c.taken_at.is_(None)
            rows = take_oldest(conn, creator_sync_requests, waiting, limit, taken_at=now)
            conn.execute(
                creator_sync_requests.delete().where(
                    creator_sync_requests.c.taken_at < now - timedelta(days=7)
                )
            )
        return [(r.id, r.creator_id) for r in rows]

    def pending_sync(self, creator_id: str) -> bool:
        with self.db.read() as conn:
            return bool(
                conn.execute(
                    sa.select(creator_sync_requests.c.id).where(
                        creator_sync_requests.c.creator_id == creator_id,
                        creator_sync_requests.c.taken_at.is_(None),
                    )
                ).first()
            )
