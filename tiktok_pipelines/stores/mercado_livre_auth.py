"""Mercado Livre tokens, encrypted, and their renewal serialized per client across processes.

A Mercado Livre refresh token is single use and only the newest works (reference §2): two processes
renewing one seller at once would each send the same refresh token, and the second would get
`invalid_grant` and, believing the grant dead, disconnect a seller who is in fact connected. Renewal
therefore goes through `renew`:

- a lease on the client's row, taken by a conditional UPDATE (a compare-and-swap that SQLite and Postgres
  both serialize): one process renews, the others wait for its result and return the pair it stored;
- the refresh uses the newest stored refresh token, read under the lease;
- the new pair is stored at once, before anything else, while the lease is held (the newest pair is
  always the stored one);
- a refusal (`invalid_grant`) counts only when the stored refresh token is still the one refused: when another
  process (whose lease ran out) or a new authorization stored a newer pair meanwhile, that pair is used.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from pydantic import SecretStr

from tiktok_pipelines.core.models.auth import Grant
from tiktok_pipelines.http import RetryableError
from tiktok_pipelines.stores.db import StateDB, UTCDateTime, client_column, metadata, utcnow

mercado_livre_tokens = sa.Table(
    "mercado_livre_tokens",
    metadata,
    client_column(primary_key=True),
    sa.Column("seller_id", sa.String(40)),
    sa.Column("access_token_enc", sa.Text, nullable=False),
    sa.Column("access_token_expires_at", UTCDateTime, nullable=False),
    sa.Column("refresh_token_enc", sa.Text, nullable=False),
    sa.Column("refresh_token_hash", sa.String(64), nullable=False),
    sa.Column("refresh_token_expires_at", UTCDateTime, nullable=False),
    sa.Column("granted_scopes", sa.Text, nullable=False),
    sa.Column("obtained_at", UTCDateTime, nullable=False),
    sa.Column("refreshed_at", UTCDateTime),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("lease_owner", sa.String(40)),  # the renewal in progress, until `lease_until`
    sa.Column("lease_until", UTCDateTime),
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RenewalBusyError(RetryableError):
    """Another process holds the client's renewal and did not finish in time: try again later."""


class NoTokensError(LookupError):
    """The client has no Mercado Livre grant: it must be authorized first."""


@dataclass(frozen=True)
class StoredGrant(Grant):
    client_id: str = ""
    refresh_token_hash: str = ""


class MercadoLivreTokens:
    """The clients' Mercado Livre grants."""

    def __init__(self, db: StateDB, lease: timedelta = timedelta(seconds=60), wait_s: float = 90.0):
        self.db = db
        self.lease = lease
        self.wait_s = wait_s

    def save(self, client_id: str, grant: Grant, refreshed: bool = False) -> None:
        """Stores a grant, replacing the client's previous one (a code exchange or a renewal)."""
        enc = self.db.secrets.encrypt
        now = utcnow()
        values = {
            "seller_id": grant.open_id,
            "access_token_enc": enc(grant.access_token.get_secret_value()),
            "access_token_expires_at": grant.access_token_expires_at,
            "refresh_token_enc": enc(grant.refresh_token.get_secret_value()),
            "refresh_token_hash": token_hash(grant.refresh_token.get_secret_value()),
            "refresh_token_expires_at": grant.refresh_token_expires_at,
            "granted_scopes": json.dumps(list(grant.granted_scopes)),
            "updated_at": now,
        } | ({"refreshed_at": now} if refreshed else {"obtained_at": now, "refreshed_at": None})
        table = mercado_livre_tokens
        with self.db.begin() as conn:
            done = conn.execute(
                table.update().where(table.c.client_id == client_id).values(**values)
            ).rowcount
            if not done:
                conn.execute(table.insert().values(client_id=client_id, **({"obtained_at": now} | values)))

    def get(self, client_id: str) -> StoredGrant | None:
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(mercado_livre_tokens).where(mercado_livre_tokens.c.client_id == client_id)
            ).first()
        if row is None:
            return None
        dec = self.db.secrets.decrypt
        return StoredGrant(
            access_token=SecretStr(dec(row.access_token_enc)),
            access_token_expires_at=row.access_token_expires_at,
            refresh_token=SecretStr(dec(row.refresh_token_enc)),
            refresh_token_expires_at=row.refresh_token_expires_at,
            open_id=row.seller_id,
            granted_scopes=tuple(json.loads(row.granted_scopes)),
            client_id=row.client_id,
            refresh_token_hash=row.refresh_token_hash,
        )

    # -- serialized renewal
    def _take_lease(self, client_id: str, owner: str) -> bool:
        now = utcnow()
        table = mercado_livre_tokens
        with self.db.begin() as conn:
            return bool(
                conn.execute(
                    table.update()
                    .where(
                        table.c.client_id == client_id,
                        sa.or_(table.c.lease_until.is_(None), table.c.lease_until < now),
                    )
                    .values(lease_owner=owner, lease_until=now + self.lease)
                ).rowcount
            )

    def _release(self, client_id: str, owner: str) -> None:
        table = mercado_livre_tokens
        with self.db.begin() as conn:
            conn.execute(
                table.update()
                .where(table.c.client_id == client_id, table.c.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )

    def _store_renewed(self, client_id: str, owner: str, used_hash: str, fresh: Grant) -> bool:
        """Stores the renewed pair if this renewal still holds the lease or nothing changed the row
        since the refresh token it used was read; False when a newer pair is there already."""
        table = mercado_livre_tokens
        with self.db.begin() as conn:
            row = conn.execute(
                sa.select(table.c.lease_owner, table.c.refresh_token_hash).where(
                    table.c.client_id == client_id
                )
            ).first()
        if row is None or (row.lease_owner != owner and row.refresh_token_hash != used_hash):
            return False
        self.save(client_id, fresh, refreshed=True)
        return True

    def renew(self, client_id: str, refresh: Callable[[Grant], Grant]) -> Grant:
        """The client's grant renewed once, whoever renews it: this process with `refresh` (the
        channel's `refresh_grant`), or another one that holds the lease, whose stored result is returned.
        What `refresh` raises is raised (the channel's refusal of the newest stored refresh token: the
        seller must authorize again) unless a newer pair was stored meanwhile, which is then returned;
        `RenewalBusyError` when another renewal does not finish in time."""
        owner = uuid.uuid4().hex
        seen = self.get(client_id)
        if seen is None:
            raise NoTokensError(f"client {client_id} has no Mercado Livre tokens")
        deadline = time.monotonic() + self.wait_s
        while not self._take_lease(client_id, owner):
            time.sleep(0.05)
            latest = self.get(client_id)
            if latest is not None and latest.refresh_token_hash != seen.refresh_token_hash:
                return latest  # another process renewed it
            if time.monotonic() > deadline:
                raise RenewalBusyError(f"client {client_id}: another renewal holds the lease")
        try:
            current = self.get(client_id)
            assert current is not None
            if current.refresh_token_hash != seen.refresh_token_hash:
                return current  # renewed between our first read and the lease
            try:
                fresh = refresh(current)
            except Exception:
                latest = self.get(client_id)
                if latest is not None and latest.refresh_token_hash != current.refresh_token_hash:
                    return latest  # a newer pair was stored meanwhile: the seller is connected
                raise
            if not self._store_renewed(client_id, owner, current.refresh_token_hash, fresh):
                latest = self.get(client_id)
                assert latest is not None
                return latest
            return fresh
        finally:
            self._release(client_id, owner)
