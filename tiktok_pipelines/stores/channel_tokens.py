"""A client's tokens on each channel whose refresh tokens are single use (Mercado Livre, Shopee), their
renewal serialized in the state DB, and the client's authorization status on that channel.

A single-use refresh token renewed twice at once leaves one renewal refused and, read naively, the seller
disconnected. Here a renewal first claims the row: a compare-and-swap on its `version` sets a lease
(`renewing_by`, `renewing_until`); whoever wins calls the platform and stores the new pair the moment it
answers (the newest pair is always the one kept), then releases the lease; every other caller, in this
process or another, waits for the new version and takes it without calling the platform. A lease whose
holder died runs out and is claimed again; a renewal that fails releases it at once, and a refusal counts
only while the stored pair is still the one refused (a new consent stored meanwhile wins).

A grant the platform ended (a refused refresh, the seller's cancellation) marks the client as needing
authorization on THAT channel only (`needs_authorization_since`, with the reason), and says so once in
the notifications outbox; the next consent clears it. Tokens are encrypted with the state DB's
SecretBox; nothing here logs them."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from pydantic import SecretStr

from tiktok_pipelines.core.models.auth import Grant
from tiktok_pipelines.core.names import ChannelName
from tiktok_pipelines.http import RetryableError
from tiktok_pipelines.stores.db import ChannelStore, StateDB, UTCDateTime, channel_key, metadata, utcnow
from tiktok_pipelines.stores.grants import GrantStatus, due_for_renewal, mark_needs_authorization

channel_tokens = sa.Table(
    "channel_tokens",
    metadata,
    *channel_key(),
    sa.Column("access_token_enc", sa.Text, nullable=False),
    sa.Column("access_token_expires_at", UTCDateTime, nullable=False),
    sa.Column("refresh_token_enc", sa.Text, nullable=False),
    sa.Column("refresh_token_expires_at", UTCDateTime, nullable=False),
    sa.Column("open_id", sa.String(200)),
    sa.Column("granted_scopes", sa.Text),  # JSON list
    sa.Column("shop_ids", sa.Text),  # JSON list: the shops a main account's grant covers
    sa.Column("version", sa.Integer, nullable=False),  # +1 at every stored pair
    sa.Column("renewing_by", sa.String(40)),
    sa.Column("renewing_until", UTCDateTime),
    sa.Column("obtained_at", UTCDateTime, nullable=False),
    sa.Column("refreshed_at", UTCDateTime),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("authorization_expires_at", UTCDateTime),  # when the seller's consent ends, if told
    sa.Column("needs_authorization_since", UTCDateTime),
    sa.Column("needs_authorization_reason", sa.Text),
)


class RenewalTimeout(RetryableError):
    """Another renewal held the client's lease for longer than the caller would wait: try again later."""


RenewalBusyError = RenewalTimeout


class ChannelTokenStore(ChannelStore):
    """The tokens of the clients of one channel (`channel`, a `ChannelName` value)."""

    def save_tokens(self, client_id: str, grant: Grant) -> None:
        """Stores a new authorization's grant (after a code exchange), replacing any former one; a client
        that needed authorization on the channel has it again."""
        now = utcnow()
        current = self._first(channel_tokens, client_id)
        values = self._values(grant) | {
            "version": (current.version + 1) if current else 1,
            "renewing_by": None,
            "renewing_until": None,
            "obtained_at": now,
            "refreshed_at": None,
            "needs_authorization_since": None,
            "needs_authorization_reason": None,
        }
        self._save(channel_tokens, client_id, values)

    def get_tokens(self, client_id: str) -> Grant | None:
        row = self._first(channel_tokens, client_id)
        return None if row is None else self._grant(row)

    def status(self, client_id: str) -> GrantStatus | None:
        row = self._first(channel_tokens, client_id)
        return None if row is None else self._status(row)

    def statuses(self) -> list[GrantStatus]:
        """Every client's grant on the channel, by client."""
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(channel_tokens)
                .where(channel_tokens.c.channel == self.channel)
                .order_by(channel_tokens.c.client_id)
            ).all()
        return [self._status(row) for row in rows]

    def clients(self) -> set[str]:
        """The clients with a grant on the channel (needing authorization or not)."""
        return {s.client_id for s in self.statuses() if s.open_id}

    def due_for_renewal(self, window: timedelta, now: datetime | None = None) -> list[str]:
        """The clients whose access token ends within `window` (or has ended), soonest first, unless
        they must authorize again."""
        return due_for_renewal(self.db, channel_tokens, window, now, channel_tokens.c.channel == self.channel)

    def client_with_owner(self, open_id: str) -> str | None:
        """The client whose grant names this owner (`shop:<id>`, a seller id) or, for a main account's
        grant, covers that shop; None when no client's does."""
        c = channel_tokens.c
        with self.db.read() as conn:
            found = conn.execute(
                sa.select(c.client_id).where(c.channel == self.channel, c.open_id == open_id)
            ).scalar()
            if found is not None or not open_id.startswith("shop:"):
                return found
            shop = open_id.partition(":")[2]
            covering = conn.execute(
                sa.select(c.client_id, c.shop_ids).where(
                    c.channel == self.channel, c.shop_ids.contains(json.dumps(shop))
                )
            ).all()
        return next((r.client_id for r in covering if shop in json.loads(r.shop_ids)), None)

    def delete_tokens(self, client_id: str) -> None:
        self._delete(channel_tokens, client_id)

    # -- authorization status
    def needs_authorization(self, client_id: str, reason: str, at: datetime | None = None) -> bool:
        """Marks the client's grant on this channel as ended (the seller must consent again) and records
        the notice of it, once: True when this call marked it, False when it already was (or there is no
        grant)."""
        where = self._of(channel_tokens, client_id)
        return mark_needs_authorization(self.db, channel_tokens, where, client_id, self.channel, reason, at)

    def set_authorization_expiry(self, client_id: str, expires_at: datetime | None) -> None:
        """When the seller's consent ends, as the platform tells it (Shopee: at most 365 days)."""
        self._update(channel_tokens, client_id, authorization_expires_at=expires_at)

    # -- serialized renewal
    def renew(
        self,
        client_id: str,
        refresh: Callable[[Grant], Grant],
        *,
        rejected_access_token: str | None = None,
        lease: timedelta = timedelta(seconds=60),
        wait: timedelta = timedelta(seconds=90),
        poll_s: float = 0.05,
    ) -> Grant:
        """The client's grant renewed once, however many callers ask at once (see the module). With
        `rejected_access_token`, a caller whose token the platform refused gets the stored grant when it
        already holds another, unexpired, access token (someone renewed meanwhile). What `refresh` raises
        is raised, unless a newer pair was stored meanwhile, which is then returned; `RenewalTimeout` when
        another renewal does not finish in time."""
        me = uuid.uuid4().hex
        deadline = time.monotonic() + wait.total_seconds()
        while True:
            row = self._first(channel_tokens, client_id)
            if row is None:
                raise KeyError(f"client {client_id} has no {self.channel} tokens")
            now = utcnow()
            if rejected_access_token is not None and self._fresh_other(row, rejected_access_token, now):
                return self._grant(row)
            if (row.renewing_until is None or row.renewing_until <= now) and self._update(
                channel_tokens,
                client_id,
                channel_tokens.c.version == row.version,
                sa.or_(channel_tokens.c.renewing_until.is_(None), channel_tokens.c.renewing_until <= now),
                renewing_by=me,
                renewing_until=now + lease,
            ):
                break
            newer = self._wait_for_newer(client_id, row.version, deadline, poll_s)
            if newer is not None:
                return newer
        try:
            fresh = refresh(self._grant(row))
        except BaseException:
            self._update(
                channel_tokens,
                client_id,
                channel_tokens.c.renewing_by == me,
                renewing_by=None,
                renewing_until=None,
            )
            latest = self._first(channel_tokens, client_id)
            if latest is not None and latest.version != row.version:
                return self._grant(latest)  # a newer pair was stored meanwhile: the seller is connected
            raise
        # The platform has used the old refresh token up: its answer is the only pair of that line that
        # works, so it is stored unless a new consent replaced the line meanwhile.
        if not self._update(
            channel_tokens,
            client_id,
            sa.or_(channel_tokens.c.version == row.version, channel_tokens.c.renewing_by == me),
            **self._values(fresh),
            version=channel_tokens.c.version + 1,
            renewing_by=None,
            renewing_until=None,
            refreshed_at=utcnow(),
        ):
            latest = self._first(channel_tokens, client_id)
            if latest is not None:
                return self._grant(latest)
        return fresh

    def _wait_for_newer(self, client_id: str, version: int, deadline: float, poll_s: float) -> Grant | None:
        """The grant stored after `version` once another renewal stores it; None when its lease ran out
        (or was released) without a new pair, so the caller may claim it."""
        while time.monotonic() < deadline:
            time.sleep(poll_s)
            row = self._first(channel_tokens, client_id)
            if row is None:
                raise KeyError(f"client {client_id} has no {self.channel} tokens")
            if row.version != version:
                return self._grant(row)
            if row.renewing_until is None or row.renewing_until <= utcnow():
                return None
        raise RenewalTimeout(
            f"client {client_id}: another renewal of its {self.channel} tokens did not finish"
        )

    def _fresh_other(self, row: sa.Row, rejected: str, now: datetime) -> bool:
        current = self.db.secrets.decrypt(row.access_token_enc)
        return current != rejected and row.access_token_expires_at > now

    def _values(self, grant: Grant) -> dict[str, object]:
        enc = self.db.secrets.encrypt
        return {
            "access_token_enc": enc(grant.access_token.get_secret_value()),
            "access_token_expires_at": grant.access_token_expires_at,
            "refresh_token_enc": enc(grant.refresh_token.get_secret_value()),
            "refresh_token_expires_at": grant.refresh_token_expires_at,
            "open_id": grant.open_id,
            "granted_scopes": json.dumps(list(grant.granted_scopes)),
            "shop_ids": json.dumps(list(grant.shop_ids)) if grant.shop_ids else None,
            "updated_at": utcnow(),
        }

    def _grant(self, row: sa.Row) -> Grant:
        dec = self.db.secrets.decrypt
        return Grant(
            access_token=SecretStr(dec(row.access_token_enc)),
            access_token_expires_at=row.access_token_expires_at,
            refresh_token=SecretStr(dec(row.refresh_token_enc)),
            refresh_token_expires_at=row.refresh_token_expires_at,
            open_id=row.open_id,
            granted_scopes=tuple(json.loads(row.granted_scopes or "[]")),
            shop_ids=tuple(json.loads(row.shop_ids or "[]")),
        )

    def _status(self, row: sa.Row) -> GrantStatus:
        return GrantStatus(
            client_id=row.client_id,
            channel=row.channel,
            open_id=row.open_id,
            shop_ids=tuple(json.loads(row.shop_ids or "[]")),
            access_token_expires_at=row.access_token_expires_at,
            refresh_token_expires_at=row.refresh_token_expires_at,
            authorization_expires_at=row.authorization_expires_at,
            refreshed_at=row.refreshed_at,
            needs_authorization_since=row.needs_authorization_since,
            needs_authorization_reason=row.needs_authorization_reason,
        )


def client_of_shop(db: StateDB, shop_id: str) -> str | None:
    """The client whose Shopee grant names (or covers) this shop, or None."""
    return ChannelTokenStore(db, ChannelName.SHOPEE).client_with_owner(f"shop:{shop_id}")


def client_of_seller(db: StateDB, seller_id: str) -> str | None:
    """The client whose Mercado Livre grant is the seller's, or None."""
    return ChannelTokenStore(db, ChannelName.MERCADO_LIVRE).client_with_owner(str(seller_id))


def connected_channels(db: StateDB) -> dict[str, set[str]]:
    """Client → the channels (whose grants are kept here) it has an account connected on."""
    found: dict[str, set[str]] = {}
    with db.read() as conn:
        rows = conn.execute(
            sa.select(channel_tokens.c.client_id, channel_tokens.c.channel).where(
                channel_tokens.c.open_id.is_not(None)
            )
        ).all()
    for client_id, channel in rows:
        found.setdefault(client_id, set()).add(channel)
    return found


def client_grants(db: StateDB, client_id: str) -> list[GrantStatus]:
    """The client's grants on every channel whose grants are kept here, by channel."""
    with db.read() as conn:
        rows = conn.execute(
            sa.select(channel_tokens)
            .where(channel_tokens.c.client_id == client_id)
            .order_by(channel_tokens.c.channel)
        ).all()
    return [ChannelTokenStore(db, row.channel)._status(row) for row in rows]
