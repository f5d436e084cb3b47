"""The `state` of an authorization link (OAuth's CSRF guard), for every app that sends people to consent:
random, stored only as its hash, bound to what the link was made for, valid for a while and usable once.

The channels that exchange their code in the callback (Mercado Livre, Shopee) keep their links' states in
one table, `channel_oauth_states`, each bound to a client and the channel whose callback may use it."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from tiktok_pipelines.stores.db import StateDB, UTCDateTime, channel_column, client_column, metadata, utcnow


def state_table(name: str, *bound: sa.Column) -> sa.Table:
    """The table of an app's states: each state's hash, what it is `bound` to, and its times."""
    return sa.Table(
        name,
        metadata,
        sa.Column("state_hash", sa.String(64), primary_key=True),
        *bound,
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("used_at", UTCDateTime),
    )


channel_oauth_states = state_table("channel_oauth_states", client_column(nullable=False), channel_column())


class OAuthStateError(Exception):
    """The `state` of a callback is unknown, expired or already used."""


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


def issue_state(db: StateDB, table: sa.Table, ttl: timedelta, keep: timedelta, **bound: Any) -> str:
    """A fresh state bound to `bound` (the table's other columns), valid for `ttl`; states expired for
    longer than `keep` are removed on the way."""
    state = secrets.token_urlsafe(32)
    now = utcnow()
    with db.begin() as conn:
        conn.execute(table.delete().where(table.c.expires_at < now - keep))
        conn.execute(
            table.insert().values(state_hash=state_hash(state), created_at=now, expires_at=now + ttl, **bound)
        )
    return state


def consume_state(
    db: StateDB, table: sa.Table, state: str, error: type[Exception], link: str, renew: str, **bound: Any
) -> Row:
    """The row the state was issued with, marked used; `error` naming the `link` (and how to `renew` it)
    when the state is missing, unknown (or issued for other `bound` values), used or expired."""
    if not state:
        raise error("the callback has no state")
    now = utcnow()
    with db.begin() as conn:
        row = conn.execute(
            sa.select(table).where(
                table.c.state_hash == state_hash(state), *(table.c[k] == v for k, v in bound.items())
            )
        ).first()
        if row is None:
            raise error(f"unknown state: this {link} was not issued here")
        if row.used_at is not None:
            raise error(f"this {link} was already used")
        if row.expires_at <= now:
            raise error(f"this {link} expired; {renew}")
        conn.execute(table.update().where(table.c.state_hash == row.state_hash).values(used_at=now))
    return row


def issue_link_state(db: StateDB, channel: str, client_id: str, ttl: timedelta) -> str:
    """The state of a consent link sending the client's seller to `channel`."""
    return issue_state(
        db, channel_oauth_states, ttl, timedelta(days=7), client_id=client_id, channel=str(channel)
    )


def consume_link_state(db: StateDB, channel: str, state: str, label: str) -> str:
    """The client a `channel` link's state was issued for (`OAuthStateError` when unknown, issued for
    another channel, used or expired); `label` names the channel in the message."""
    renew = f"make a new one with `tiktok-pipelines oauth url <client> --channel {channel}`"
    row = consume_state(
        db,
        channel_oauth_states,
        state,
        OAuthStateError,
        f"{label} authorization link",
        renew,
        channel=str(channel),
    )
    return row.client_id
