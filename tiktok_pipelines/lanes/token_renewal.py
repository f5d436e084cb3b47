"""Access tokens of channels whose refresh token is single use (Mercado Livre): read from the client's
stored grant and renewed through the store's serialized renewal (one renewal at a time per client,
across processes, the newest pair always kept), ahead of expiry or when the channel rejected the token.

A renewal the channel refuses (`invalid_grant`: the seller revoked the app, or the refresh token expired)
means the seller must authorize again: `NotAuthorizedError`, which fails the runs until they do."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from tiktok_pipelines.channels.base.auth import AuthApi
from tiktok_pipelines.channels.base.errors import ChannelAuthError
from tiktok_pipelines.core.models.auth import Grant
from tiktok_pipelines.lanes.tokens import NotAuthorizedError


class SerializedGrants(Protocol):
    """A channel's stored grants with serialized renewal (`stores.mercado_livre_auth.MercadoLivreTokens`)."""

    def get(self, client_id: str) -> Grant | None: ...

    def renew(self, client_id: str, refresh: Callable[[Grant], Grant]) -> Grant: ...


class RenewingTokenProvider:
    """A client's access token on a channel (a `TokenProvider`), renewed once less than `renew_before` is
    left or when the channel rejected it."""

    def __init__(
        self, client_id: str, grants: SerializedGrants, auth: AuthApi, renew_before: timedelta, channel: str
    ):
        self.client_id = client_id
        self.grants = grants
        self.auth = auth
        self.renew_before = renew_before
        self.channel = channel
        self._lock = threading.Lock()

    def _stored(self) -> Grant:
        grant = self.grants.get(self.client_id)
        if grant is None:
            raise NotAuthorizedError(
                f"client {self.client_id} has no {self.channel} authorization: "
                f"`tiktok-pipelines oauth url {self.client_id} --channel {self.channel}` connects it"
            )
        return grant

    def _renew(self) -> Grant:
        try:
            return self.grants.renew(self.client_id, self.auth.refresh_grant)
        except ChannelAuthError as exc:
            raise NotAuthorizedError(
                f"client {self.client_id} must authorize {self.channel} again ({exc}): "
                f"`tiktok-pipelines oauth url {self.client_id} --channel {self.channel}`"
            ) from exc

    def access_token(self) -> str:
        with self._lock:
            grant = self._stored()
            if grant.access_token_expires_at - datetime.now(UTC) < self.renew_before:
                grant = self._renew()
            return grant.access_token.get_secret_value()

    def refresh(self, rejected: str) -> str:
        with self._lock:
            grant = self._stored()
            if grant.access_token.get_secret_value() == rejected:
                grant = self._renew()
            return grant.access_token.get_secret_value()

    def __repr__(self) -> str:
        return f"RenewingTokenProvider(client_id={self.client_id!r}, channel={self.channel!r})"
