"""Authorization of a client's shop: the consent link, the code exchange, token renewal, and the shops
an authorization covers. Token persistence is the caller's (a `TokenVault` handed to the token service),
so a channel never touches the state DB."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from tiktok_pipelines.core.models.auth import AuthorizedShop, Grant


class AuthApi(ABC):
    """What the token service (`lanes/tokens.py`) and the consent link need from a channel. Failures
    are `channels.base.errors`: `ChannelAuthError` when the platform refuses (the seller must authorize
    again), `ChannelRetryableError` when it could not answer (try next run)."""

    @abstractmethod
    def authorization_url(self, state: str) -> str:
        """The seller's consent page, carrying `state` back to the receiver's callback."""

    def callback_code(self, query: Mapping[str, str]) -> str:
        """What the receiver keeps of the redirect back from the consent page (its query) for
        `exchange_code`: the code; a channel whose exchange needs more of the redirect (Shopee: the shop
        id) keeps that with it. ValueError when the redirect carries no code."""
        code = str(query.get("code") or "")
        if not code:
            raise ValueError("the redirect carries no authorization code")
        return code

    @abstractmethod
    def exchange_code(self, code: str) -> Grant:
        """The tokens an auth code (single use, as `callback_code` kept it) grants."""

    @abstractmethod
    def check_refreshable(self, grant: Grant) -> None:
        """Raises `ChannelAuthError` when the grant can no longer be renewed (its refresh token expired),
        without asking the platform."""

    @abstractmethod
    def refresh_grant(self, grant: Grant) -> Grant:
        """New tokens for a grant, from its refresh token."""

    @abstractmethod
    def authorized_shops(self, grant: Grant) -> list[AuthorizedShop]:
        """The shops the grant covers."""

    @abstractmethod
    def shop_warehouses(self, grant: Grant, shop: AuthorizedShop) -> list[str]:
        """The shop's enabled sales warehouses (ids): where its stock goes when the client names none."""


class TokenVault(Protocol):
    """Where the token service keeps what authorization produces (auth codes waiting for an exchange,
    encrypted tokens) and the log of each step. `stores.tiktok_auth.TikTokAuthStore` is one."""

    def unused_codes(self) -> list[Any]:
        """Auth codes received and not yet exchanged: `id`, `client_id`, `code` (secret)."""
        ...

    def mark_code(self, code_id: int, status: str, error: str | None = None) -> None: ...

    def save_tokens(self, client_id: str, tokens: Grant, refreshed: bool = False) -> None: ...

    def get_tokens(self, client_id: str) -> Any:
        """The client's stored grant (a `Grant` with its `client_id`), or None."""
        ...

    def all_tokens(self) -> list[Any]: ...

    def due_for_renewal(self, window: timedelta, now: datetime | None = None) -> list[str]: ...

    def delete_tokens(self, client_id: str) -> None: ...

    def status(self, client_id: str) -> Any:
        """The client's grant without a secret (`needs_authorization_since`, `needs_authorization_reason`),
        or None."""
        ...

    def statuses(self) -> list[Any]: ...

    def needs_authorization(self, client_id: str, reason: str) -> bool:
        """Marks the client's grant as ended by the platform (told once); False when it already was."""
        ...

    def log(self, step: str, outcome: str, **fields: Any) -> None:
        """Appends a step of the token lifecycle; callers pass no secret."""
        ...
