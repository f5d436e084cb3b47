"""A client's tokens on a channel whose refresh tokens are single use (Shopee), and their renewal
serialized in the state DB.

A single-use refresh token renewed twice at once leaves one renewal refused and, read naively, the seller
disconnected. Here a renewal first claims the row: a compare-and-swap on its `version` sets a lease
(`renewing_by`, `renewing_until`); whoever wins calls the platform and stores the new pair the moment it
answers (the newest pair is always the one kept), then releases the lease; every other caller, in this
process or another, waits for the new version and takes it without calling the platform. A lease whose
holder died runs out and is claimed again; a renewal that fails releases it at once. Tokens are
encrypted with the state DB's SecretBox; nothing here logs them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from pydantic import SecretStr

from tiktok_pipelines.core.models.auth import Grant
from tiktok_pipelines.stores.db import ChannelStore, StateDB, UTCDateTime, channel_key, metadata, utcnow

channel_tokens = sa.Table(
    "channel_tokens",
    metadata,
    *channel_key(),
    sa.Column("access_token_enc", sa.Text, nullable=False),
    sa.Column("access_token_expires_at", UTCDateTime, nullable=False),
    sa.Column("refresh_token_enc", sa.Text, nullable=False),
    sa.Column("refresh_token_expires_at", UTCDateTime, nullable=False),
    sa.Column("open_id", sa.String(200)),
    sa.Column("version", sa.Integer, nullable=False),  # +1 at every stored pair
    sa.Column("renewing_by", sa.String(40)),
    sa.Column("renewing_until", UTCDateTime),
    sa.Column("obtained_at", UTCDateTime, nullable=False),
    sa.Column("refreshed_at", UTCDateTime),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)


class RenewalTimeout(RuntimeError):
    """Another renewal held the client's lease for longer than the caller would wait."""


class ChannelTokenStore(ChannelStore):
    """The tokens of the clients of one channel (`channel`, a `ChannelName` value)."""

    def save_tokens(self, client_id: str, grant: Grant) -> None:
        """Stores a new authorization's grant (after a code exchange), replacing any former one."""
        now = utcnow()
        current = self._first(channel_tokens, client_id)
        values = self._values(grant) | {
            "version": (current.version + 1) if current else 1,
            "renewing_by": None,
            "renewing_until": None,
            "obtained_at": now,
            "refreshed_at": None,
        }
        self._save(channel_tokens, client_id, values)

    def get_tokens(self, client_id: str) -> Grant | None:
        row = self._first(channel_tokens, client_id)
        return None if row is None else self._grant(row)

    def client_with_owner(self, open_id: str) -> str | None:
        """The client whose grant names this owner (`shop:<id>`), None when no client's does."""
        with self.db.read() as conn:
            return conn.execute(
                sa.select(channel_tokens.c.client_id).where(
                    channel_tokens.c.channel == self.channel, channel_tokens.c.open_id == open_id
                )
            ).scalar()

    def delete_tokens(self, client_id: str) -> None:
        self._delete(channel_tokens, client_id)

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
        already holds another, unexpired, access token (someone renewed meanwhile)."""
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
            raise
        # The platform has used the old refresh token up: its answer is the only pair that works, so it is
        # stored whether or not the lease ran out meanwhile.
        self._update(
            channel_tokens,
            client_id,
            **self._values(fresh),
            version=channel_tokens.c.version + 1,
            renewing_by=None,
            renewing_until=None,
            refreshed_at=utcnow(),
        )
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
        )


def client_of_shop(db: StateDB, shop_id: str) -> str | None:
    """The client whose Shopee grant names this shop, or None."""
    return ChannelTokenStore(db, "shopee").client_with_owner(f"shop:{shop_id}")
