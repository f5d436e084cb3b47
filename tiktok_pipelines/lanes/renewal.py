"""Tokens of the channels whose refresh tokens work once (Mercado Livre, Shopee): handed to a shop's
session, and renewed ahead of time by the channels' token assets.

Every renewal goes through `ChannelTokenStore.renew`, so that however many runs ask at once the platform
is asked once and the newest pair is the one kept. A renewal the platform refuses (`ChannelAuthError`:
Mercado Livre's `invalid_grant`, Shopee's refresh refusals by their `error` string) means the seller must
consent again on THAT channel: the client's grant there is marked as needing authorization (told once in
the notifications outbox) and `NotAuthorizedError` is raised; its other channels go on. A transient failure
needs no human and is tried again on the next use or run."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tiktok_pipelines.channels.base import Channel
from tiktok_pipelines.channels.base.errors import ChannelAuthError, ChannelError
from tiktok_pipelines.core import notices
from tiktok_pipelines.core.models.auth import Grant
from tiktok_pipelines.http import RetryableError
from tiktok_pipelines.lanes.tokens import NotAuthorizedError
from tiktok_pipelines.stores.channel_tokens import ChannelTokenStore
from tiktok_pipelines.stores.grants import GrantMarks
from tiktok_pipelines.stores.notifications import NotificationOutbox


def shop_of(grant: Grant) -> str | None:
    """The shop id a grant names (`open_id` `shop:<id>`), None when it names none."""
    kind, _, owner = (grant.open_id or "").partition(":")
    return owner if kind == "shop" and owner else None


def connect_hint(client_id: str, channel: str) -> str:
    return f"`tiktok-pipelines oauth url {client_id} --channel {channel}`"


def needs_authorization_error(store: GrantMarks, client_id: str) -> NotAuthorizedError | None:
    """The error a session of a client that must consent again on the store's channel raises, with the
    reason and since when; None when its grant there is usable. Any store of a channel's grants that keeps
    the mark (`ChannelTokenStore`, `TikTokAuthStore`)."""
    status = store.status(client_id)
    if status is None or status.needs_authorization_since is None:
        return None
    return NotAuthorizedError(
        f"client {client_id} must authorize {store.channel} again (since "
        f"{status.needs_authorization_since:%Y-%m-%d %H:%M} UTC: {status.needs_authorization_reason}): "
        f"{connect_hint(client_id, store.channel)}"
    )


def renew_grant(store: ChannelTokenStore, channel: Channel, client_id: str, **kw: Any) -> Grant:
    """The client's grant renewed through the store (see the module); `NotAuthorizedError` when the
    platform refused it, which marks the grant as needing authorization."""
    try:
        grant = store.get_tokens(client_id)
        if grant is not None:
            channel.check_refreshable(grant)
        return store.renew(client_id, channel.refresh_grant, **kw)
    except ChannelAuthError as exc:
        reason = f"the renewal was refused ({getattr(exc, 'code', None) or type(exc).__name__}: {exc})"
        store.needs_authorization(client_id, reason)
        raise NotAuthorizedError(
            f"client {client_id} must authorize {store.channel} again ({exc}): "
            f"{connect_hint(client_id, store.channel)}"
        ) from exc


class RenewingTokens:
    """A `TokenProvider` over the client's stored grant on the store's channel, renewed when less than
    `window` is left (the channel's `Capabilities.renewal_window` by default) or when the platform
    rejected the token."""

    def __init__(
        self,
        store: ChannelTokenStore,
        channel: Channel,
        client_id: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        window: timedelta | None = None,
    ):
        self.store = store
        self.channel = channel
        self.client_id = client_id
        self.clock = clock
        self._window = window
        self._grant: Grant | None = None
        self._lock = threading.Lock()

    @property
    def window(self) -> timedelta:
        return self._window if self._window is not None else self.channel.capabilities.renewal_window

    def grant(self) -> Grant:
        grant = self.store.get_tokens(self.client_id)
        if grant is None:
            raise NotAuthorizedError(
                f"client {self.client_id} has no {self.store.channel} authorization: "
                f"{connect_hint(self.client_id, self.store.channel)} connects it"
            )
        lost = needs_authorization_error(self.store, self.client_id)
        if lost is not None:
            raise lost
        return grant

    def access_token(self) -> str:
        with self._lock:
            if self._grant is None or self._grant.access_token_expires_at - self.clock() <= self.window:
                grant = self.grant()
                if grant.access_token_expires_at - self.clock() <= self.window:
                    grant = renew_grant(self.store, self.channel, self.client_id)
                self._grant = grant
            return self._grant.access_token.get_secret_value()

    def refresh(self, rejected: str) -> str:
        with self._lock:
            self._grant = renew_grant(
                self.store, self.channel, self.client_id, rejected_access_token=rejected
            )
            return self._grant.access_token.get_secret_value()

    def __repr__(self) -> str:
        return f"RenewingTokens(client_id={self.client_id!r}, channel={self.store.channel!r})"


@dataclass
class RenewalReport:
    """What one run of a channel's token asset did, per client, with no secret in it."""

    rows: list[dict[str, Any]] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r["outcome"] == outcome)


def renew_due(
    store: ChannelTokenStore,
    channel: Channel,
    window: timedelta,
    warn_before: timedelta = timedelta(days=7),
    expiry: Callable[[Grant], datetime | None] | None = None,
    now: datetime | None = None,
    logger: Any = None,
) -> RenewalReport:
    """Renews every client's grant on the channel whose access token ends within `window` (so that a
    client with no run for days keeps its single-use refresh token alive), and, with `expiry` (when the
    seller's consent ends, read from the platform), keeps that date and tells of it once per date within
    `warn_before` (read again at each renewal, a few times a day). Every client with a grant gets a row: renewed, not due, failed (transient), or
    needs_authorization."""
    now = now or datetime.now(UTC)
    report = RenewalReport()
    due = set(store.due_for_renewal(window, now=now))
    outbox = NotificationOutbox(store.db)
    for status in store.statuses():
        client_id = status.client_id
        row: dict[str, Any] = {"client_id": client_id, "outcome": "not due", "reason": ""}
        if status.needs_authorization_since is not None:
            row |= {"outcome": "needs_authorization", "reason": status.needs_authorization_reason or ""}
        elif client_id in due:
            try:
                renew_grant(store, channel, client_id)
                row["outcome"] = "renewed"
            except NotAuthorizedError as exc:
                row |= {"outcome": "needs_authorization", "reason": str(exc)}
            except (ChannelError, RetryableError) as exc:
                row |= {"outcome": "failed", "reason": f"{type(exc).__name__}: {exc}"[:300]}
        ends = status.authorization_expires_at
        if expiry is not None and (row["outcome"] == "renewed" or (row["outcome"] == "not due" and not ends)):
            try:
                grant = store.get_tokens(client_id)
                ends = expiry(grant) if grant is not None else ends
                store.set_authorization_expiry(client_id, ends)
            except (ChannelError, RetryableError) as exc:
                row["reason"] = f"consent end not read: {type(exc).__name__}"
        if ends is not None and ends - now <= warn_before and row["outcome"] != "needs_authorization":
            outbox.record([notices.authorization_expiring(client_id, store.channel, ends)])
        fresh = store.status(client_id)
        row |= {
            "access_expires_in_h": round((fresh.access_token_expires_at - now).total_seconds() / 3600, 1)
            if fresh
            else None,
            "refresh_expires": fresh.refresh_token_expires_at.date().isoformat() if fresh else None,
            "authorization_expires": ends.date().isoformat() if ends else None,
        }
        if logger is not None:
            log = logger.warning if row["outcome"] in ("failed", "needs_authorization") else logger.info
            log("client %s on %s: %s %s", client_id, store.channel, row["outcome"], row["reason"])
        report.rows.append(row)
    return report
