"""Tokens of a channel whose refresh tokens work once (Shopee), handed to a shop's session: the stored
access token, renewed ahead of its end (the channel's `Capabilities.renewal_window`) or when the platform
refuses it, always through `ChannelTokenStore.renew`, so that however many runs ask at once the platform
is asked once and the newest pair is the one kept."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from tiktok_pipelines.channels.base import Channel
from tiktok_pipelines.core.models.auth import Grant
from tiktok_pipelines.lanes.tokens import NotAuthorizedError
from tiktok_pipelines.stores.channel_tokens import ChannelTokenStore


def shop_of(grant: Grant) -> str | None:
    """The shop id a grant names (`open_id` `shop:<id>`), None when it names none."""
    kind, _, owner = (grant.open_id or "").partition(":")
    return owner if kind == "shop" and owner else None


class RenewingTokens:
    """A `TokenProvider` over the client's stored grant on `channel`."""

    def __init__(
        self,
        store: ChannelTokenStore,
        channel: Channel,
        client_id: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.store = store
        self.channel = channel
        self.client_id = client_id
        self.clock = clock
        self._grant: Grant | None = None
        self._lock = threading.Lock()

    @property
    def window(self) -> timedelta:
        return self.channel.capabilities.renewal_window

    def grant(self) -> Grant:
        grant = self.store.get_tokens(self.client_id)
        if grant is None:
            raise NotAuthorizedError(
                f"client {self.client_id} has no {self.store.channel} authorization; authorize it first"
            )
        return grant

    def access_token(self) -> str:
        with self._lock:
            if self._grant is None or self._grant.access_token_expires_at - self.clock() <= self.window:
                grant = self.grant()
                if grant.access_token_expires_at - self.clock() <= self.window:
                    self.channel.check_refreshable(grant)
                    grant = self.store.renew(self.client_id, self.channel.refresh_grant)
                self._grant = grant
            return self._grant.access_token.get_secret_value()

    def refresh(self, rejected: str) -> str:
        with self._lock:
            self._grant = self.store.renew(
                self.client_id, self.channel.refresh_grant, rejected_access_token=rejected
            )
            return self._grant.access_token.get_secret_value()

    def __repr__(self) -> str:
        return f"RenewingTokens(client_id={self.client_id!r}, channel={self.store.channel!r})"
