"""What every store of a channel's grants shares: a client's grant on a channel as the CLI, logs and
metadata show it (`GrantStatus`, no secret), and the mark of a grant the platform ended
(`needs_authorization_since`, with the reason) set once per loss with its `authorization_lost` notice in
the same transaction. `ChannelTokenStore` (Mercado Livre, Shopee) and `TikTokAuthStore` keep it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa

from tiktok_pipelines.core import notices
from tiktok_pipelines.stores.db import StateDB, utcnow
from tiktok_pipelines.stores.notifications import record_notices


@dataclass(frozen=True)
class GrantStatus:
    """A client's authorization on one channel, without a secret: fit for the CLI, logs and metadata."""

    client_id: str
    channel: str
    open_id: str | None
    shop_ids: tuple[str, ...]
    access_token_expires_at: datetime
    refresh_token_expires_at: datetime
    authorization_expires_at: datetime | None
    refreshed_at: datetime | None
    needs_authorization_since: datetime | None
    needs_authorization_reason: str | None

    @property
    def status(self) -> str:
        return "needs_authorization" if self.needs_authorization_since else "connected"

    def describe(self) -> str:
        """`connected`, or `needs_authorization since <when> UTC (<reason>)`."""
        if not self.needs_authorization_since:
            return self.status
        return (
            f"{self.status} since {self.needs_authorization_since:%Y-%m-%d %H:%M} UTC "
            f"({self.needs_authorization_reason})"
        )

    def row(self) -> dict[str, str | None]:
        def at(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "client_id": self.client_id,
            "channel": self.channel,
            "status": self.status,
            "account": self.open_id,
            "access_token_expires_at": at(self.access_token_expires_at),
            "refresh_token_expires_at": at(self.refresh_token_expires_at),
            "authorization_expires_at": at(self.authorization_expires_at),
            "needs_authorization_since": at(self.needs_authorization_since),
            "reason": self.needs_authorization_reason,
        }


class GrantMarks(Protocol):
    """A store of one channel's grants that keeps the "needs authorization" mark."""

    db: StateDB
    channel: str

    def status(self, client_id: str) -> GrantStatus | None: ...

    def needs_authorization(self, client_id: str, reason: str, at: datetime | None = None) -> bool: ...


def mark_needs_authorization(
    db: StateDB,
    table: sa.Table,
    where: sa.ColumnElement[bool],
    client_id: str,
    channel: str,
    reason: str,
    at: datetime | None = None,
) -> bool:
    """Marks the grant row `where` selects in `table` as ended (the seller must consent again) and records
    the `authorization_lost` notice of it, once: True when this call marked it, False when it already was
    (or there is no such grant)."""
    at = at or utcnow()
    with db.begin() as conn:
        marked = conn.execute(
            table.update()
            .where(where, table.c.needs_authorization_since.is_(None))
            .values(needs_authorization_since=at, needs_authorization_reason=reason[:500])
        ).rowcount
        if marked:
            lost = notices.authorization_lost(client_id, channel, reason, at, since=True)
            record_notices(conn, [lost], at)
    return bool(marked)


def due_for_renewal(
    db: StateDB, table: sa.Table, window: timedelta, now: datetime | None, *where: sa.ColumnElement[bool]
) -> list[str]:
    """The clients of `table` (its rows `where` says) whose access token ends within `window` (or has
    ended), soonest first, unless they must authorize again."""
    c = table.c
    cutoff = (now or utcnow()) + window
    with db.read() as conn:
        return list(
            conn.execute(
                sa.select(c.client_id)
                .where(*where, c.access_token_expires_at <= cutoff, c.needs_authorization_since.is_(None))
                .order_by(c.access_token_expires_at, c.client_id)
            ).scalars()
        )
