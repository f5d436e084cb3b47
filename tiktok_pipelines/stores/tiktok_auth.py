"""TikTok Shop authorization state: CSRF states of authorization links, auth codes, tokens, and a log.

A grant TikTok ended (a refused refresh, an expired refresh token, the seller's deauthorization) marks the
client as needing authorization on TikTok Shop only (`needs_authorization_since`, with the reason, as
`channel_tokens` does for the other channels), told once in the notifications outbox; the client's other
channels go on, and the tokens of the next consent clear it.

Secrets (auth codes, access and refresh tokens) are encrypted with the state DB's SecretBox. CSRF
states are stored as SHA-256 hashes: the link carries the only copy of the value. The token log holds
what happened at each step (step, outcome, code, message, request id, non-secret details), never a
secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import SecretStr

from tiktok_pipelines.core.names import ChannelName
from tiktok_pipelines.stores.db import StateDB, UTCDateTime, client_column, metadata, utcnow
from tiktok_pipelines.stores.grants import GrantStatus, due_for_renewal, mark_needs_authorization
from tiktok_pipelines.stores.oauth_states import (
    OAuthStateError,
    consume_state,
    issue_state,
    state_hash,
    state_table,
)

tiktok_oauth_states = state_table("tiktok_oauth_states", client_column(nullable=False))

tiktok_auth_codes = sa.Table(
    "tiktok_auth_codes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    client_column(nullable=False),
    sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("code_enc", sa.Text, nullable=False),
    # unused → exchanged (tokens stored) | error (see `error`)
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("processed_at", UTCDateTime),
    sa.Index("ix_tiktok_auth_codes_status", "status"),
)

tiktok_tokens = sa.Table(
    "tiktok_tokens",
    metadata,
    client_column(primary_key=True),
    sa.Column("access_token_enc", sa.Text, nullable=False),
    sa.Column("access_token_expires_at", UTCDateTime, nullable=False),
    sa.Column("refresh_token_enc", sa.Text, nullable=False),
    sa.Column("refresh_token_expires_at", UTCDateTime, nullable=False),
    sa.Column("open_id", sa.String(200)),
    sa.Column("seller_name", sa.String(300)),
    sa.Column("seller_base_region", sa.String(10)),
    sa.Column("granted_scopes", sa.Text, nullable=False),
    sa.Column("obtained_at", UTCDateTime, nullable=False),
    sa.Column("refreshed_at", UTCDateTime),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("needs_authorization_since", UTCDateTime),
    sa.Column("needs_authorization_reason", sa.Text),
)

tiktok_token_log = sa.Table(
    "tiktok_token_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    client_column(),
    sa.Column("auth_code_id", sa.Integer),
    sa.Column("step", sa.String(40), nullable=False),
    sa.Column("outcome", sa.String(10), nullable=False),
    sa.Column("code", sa.Integer),
    sa.Column("message", sa.Text),
    sa.Column("request_id", sa.String(100)),
    sa.Column("detail", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_tiktok_token_log_client_created", "client_id", "created_at"),
)


@dataclass(frozen=True)
class StoredTokens:
    """A client's tokens, decrypted; the tokens print as `**********`."""

    client_id: str
    access_token: SecretStr
    access_token_expires_at: datetime
    refresh_token: SecretStr
    refresh_token_expires_at: datetime
    open_id: str | None
    seller_name: str | None
    seller_base_region: str | None
    granted_scopes: tuple[str, ...]
    obtained_at: datetime
    refreshed_at: datetime | None


@dataclass(frozen=True)
class AuthCode:
    id: int
    client_id: str
    code: SecretStr
    status: str
    received_at: datetime


@dataclass(frozen=True)
class TokenLogEntry:
    id: int
    client_id: str | None
    auth_code_id: int | None
    step: str
    outcome: str
    code: int | None
    message: str | None
    request_id: str | None
    detail: dict[str, Any]
    created_at: datetime


class TikTokAuthStore:
    """Authorization links' states, auth codes, encrypted tokens, the grant's "needs authorization" mark
    and the token log."""

    def __init__(self, db: StateDB, channel: str = ChannelName.TIKTOK_SHOP.value):
        self.db = db
        self.channel = str(channel)

    # -- CSRF states
    def issue_state(self, client_id: str, ttl: timedelta) -> str:
        """A fresh random state bound to the client, valid for `ttl`, usable once."""
        return issue_state(self.db, tiktok_oauth_states, ttl, timedelta(days=7), client_id=client_id)

    def consume_state(self, state: str) -> str:
        """The client the state was issued for; the state cannot be used again. OAuthStateError otherwise."""
        row = consume_state(
            self.db,
            tiktok_oauth_states,
            state,
            OAuthStateError,
            "authorization link",
            "make a new one with `oauth url`",
        )
        return row.client_id

    # -- auth codes
    def record_auth_code(self, client_id: str, code: str) -> tuple[int, bool]:
        """Stores an auth code as `unused`; returns its id and whether it is new (a replay is not)."""
        code_hash = state_hash(code)
        with self.db.begin() as conn:
            existing = conn.execute(
                sa.select(tiktok_auth_codes.c.id).where(tiktok_auth_codes.c.code_hash == code_hash)
            ).first()
            if existing:
                return existing.id, False
            code_id = conn.execute(
                tiktok_auth_codes.insert().values(
                    client_id=client_id,
                    code_hash=code_hash,
                    code_enc=self.db.secrets.encrypt(code),
                    status="unused",
                    received_at=utcnow(),
                )
            ).inserted_primary_key[0]
        return code_id, True

    def find_code(self, code: str) -> tuple[int, str] | None:
        """(id, client_id) of an auth code already recorded."""
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(tiktok_auth_codes.c.id, tiktok_auth_codes.c.client_id).where(
                    tiktok_auth_codes.c.code_hash == state_hash(code)
                )
            ).first()
        return (row.id, row.client_id) if row else None

    def unused_codes(self) -> list[AuthCode]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(tiktok_auth_codes)
                .where(tiktok_auth_codes.c.status == "unused")
                .order_by(tiktok_auth_codes.c.id)
            ).all()
        return [
            AuthCode(
                r.id, r.client_id, SecretStr(self.db.secrets.decrypt(r.code_enc)), r.status, r.received_at
            )
            for r in rows
        ]

    def mark_code(self, code_id: int, status: str, error: str | None = None) -> None:
        with self.db.begin() as conn:
            conn.execute(
                tiktok_auth_codes.update()
                .where(tiktok_auth_codes.c.id == code_id)
                .values(status=status, error=error, processed_at=utcnow())
            )

    def code_status(self, code_id: int) -> tuple[str, str | None]:
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(tiktok_auth_codes.c.status, tiktok_auth_codes.c.error).where(
                    tiktok_auth_codes.c.id == code_id
                )
            ).one()
        return row.status, row.error

    # -- tokens
    def save_tokens(self, client_id: str, tokens: Any, refreshed: bool = False) -> None:
        """Stores a `TokenSet` (from the token host) encrypted, replacing the client's previous tokens; the
        tokens of a new consent (not `refreshed`) clear the "needs authorization" mark."""
        enc = self.db.secrets.encrypt
        now = utcnow()
        values = {
            "access_token_enc": enc(tokens.access_token.get_secret_value()),
            "access_token_expires_at": tokens.access_token_expires_at,
            "refresh_token_enc": enc(tokens.refresh_token.get_secret_value()),
            "refresh_token_expires_at": tokens.refresh_token_expires_at,
            "open_id": tokens.open_id,
            "seller_name": tokens.seller_name,
            "seller_base_region": tokens.seller_base_region,
            "granted_scopes": json.dumps(list(tokens.granted_scopes)),
            "updated_at": now,
        }
        with self.db.begin() as conn:
            exists = conn.execute(
                sa.select(tiktok_tokens.c.client_id).where(tiktok_tokens.c.client_id == client_id)
            ).first()
            if exists:
                if refreshed:
                    values["refreshed_at"] = now
                else:
                    values["obtained_at"] = now
                    values["refreshed_at"] = None
                    values["needs_authorization_since"] = None
                    values["needs_authorization_reason"] = None
                conn.execute(
                    tiktok_tokens.update().where(tiktok_tokens.c.client_id == client_id).values(**values)
                )
            else:
                conn.execute(tiktok_tokens.insert().values(client_id=client_id, obtained_at=now, **values))

    def get_tokens(self, client_id: str) -> StoredTokens | None:
        row = self.db.find_row(tiktok_tokens, client_id=client_id)
        return self._tokens(row) if row else None

    def _tokens(self, row: Any) -> StoredTokens:
        values = self.db.secrets.decrypt_row(row)
        for name in ("updated_at", "needs_authorization_since", "needs_authorization_reason"):
            del values[name]
        values["granted_scopes"] = tuple(json.loads(values["granted_scopes"]))
        return StoredTokens(**values)

    def all_tokens(self) -> list[StoredTokens]:
        with self.db.read() as conn:
            rows = conn.execute(sa.select(tiktok_tokens).order_by(tiktok_tokens.c.client_id)).all()
        return [self._tokens(r) for r in rows]

    def due_for_renewal(self, window: timedelta, now: datetime | None = None) -> list[str]:
        """Clients whose access token expires within `window` (or has expired), soonest first, unless
        they must authorize again."""
        return due_for_renewal(self.db, tiktok_tokens, window, now)

    def delete_tokens(self, client_id: str) -> None:
        with self.db.begin() as conn:
            conn.execute(tiktok_tokens.delete().where(tiktok_tokens.c.client_id == client_id))

    # -- authorization status
    def status(self, client_id: str) -> GrantStatus | None:
        """The client's grant on TikTok Shop, without a secret; None when it has none."""
        row = self.db.find_row(tiktok_tokens, client_id=client_id)
        return self._status(row) if row else None

    def statuses(self) -> list[GrantStatus]:
        """Every client's grant on TikTok Shop, by client."""
        with self.db.read() as conn:
            rows = conn.execute(sa.select(tiktok_tokens).order_by(tiktok_tokens.c.client_id)).all()
        return [self._status(r) for r in rows]

    def needs_authorization(self, client_id: str, reason: str, at: datetime | None = None) -> bool:
        """Marks the client's TikTok grant as ended (the seller must consent again) and records the notice
        of it, once: True when this call marked it, False when it already was (or there is no grant)."""
        where = tiktok_tokens.c.client_id == client_id
        return mark_needs_authorization(self.db, tiktok_tokens, where, client_id, self.channel, reason, at)

    def _status(self, row: Any) -> GrantStatus:
        return GrantStatus(
            client_id=row.client_id,
            channel=self.channel,
            open_id=row.open_id,
            shop_ids=(),
            access_token_expires_at=row.access_token_expires_at,
            refresh_token_expires_at=row.refresh_token_expires_at,
            authorization_expires_at=None,
            refreshed_at=row.refreshed_at,
            needs_authorization_since=row.needs_authorization_since,
            needs_authorization_reason=row.needs_authorization_reason,
        )

    # -- log
    def log(
        self,
        step: str,
        outcome: str,
        *,
        client_id: str | None = None,
        auth_code_id: int | None = None,
        code: int | None = None,
        message: str | None = None,
        request_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Appends a step of the token lifecycle. Callers pass no secret: ids, codes and messages only."""
        with self.db.begin() as conn:
            conn.execute(
                tiktok_token_log.insert().values(
                    client_id=client_id,
                    auth_code_id=auth_code_id,
                    step=step,
                    outcome=outcome,
                    code=code,
                    message=(message or "")[:2000] or None,
                    request_id=request_id,
                    detail=json.dumps(detail or {}, sort_keys=True, default=str),
                    created_at=utcnow(),
                )
            )

    def log_entries(self, client_id: str | None = None, limit: int = 100) -> list[TokenLogEntry]:
        query = sa.select(tiktok_token_log).order_by(tiktok_token_log.c.id.desc()).limit(limit)
        if client_id is not None:
            query = query.where(tiktok_token_log.c.client_id == client_id)
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        return [
            TokenLogEntry(**{**r._mapping, "detail": json.loads(r.detail or "{}")}) for r in reversed(rows)
        ]
