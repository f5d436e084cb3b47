"""A creator's valid access token: renewed from the lifetimes its last answer gave, the rotated refresh
token always stored before anything else is done with the new access token; a refused grant marks the
creator `needs_reconnection`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tiktok_pipelines.creator.app import CreatorApp
from tiktok_pipelines.creator.display import DisplayApi
from tiktok_pipelines.creator.errors import CreatorAuthError
from tiktok_pipelines.creator.oauth import CreatorOAuth
from tiktok_pipelines.creator.transport import Transport
from tiktok_pipelines.stores.creator_auth import CreatorAuthStore, CreatorTokens
from tiktok_pipelines.stores.creators import Creator, CreatorRegistry
from tiktok_pipelines.stores.db import StateDB


class NeedsReconnection(Exception):
    """The creator must connect again (`tiktok-pipelines creators connect <id>`)."""


class NotConnected(Exception):
    """The creator has no tokens: never connected, disconnected, or deleted."""


@dataclass
class CreatorContext:
    """What the lane's services share: the state DB and its creator stores (made once: a store holds only
    the DB), the app, and how to make a transport."""

    db: StateDB
    app: CreatorApp
    transport_factory: Callable[[CreatorApp], Transport] = Transport
    registry: CreatorRegistry = field(init=False)
    auth: CreatorAuthStore = field(init=False)

    def __post_init__(self) -> None:
        self.registry = CreatorRegistry(self.db)
        self.auth = CreatorAuthStore(self.db)

    @contextmanager
    def transport(self) -> Iterator[Transport]:
        transport = self.transport_factory(self.app)
        try:
            yield transport
        finally:
            transport.close()


def renew(
    ctx: CreatorContext, transport: Transport, creator: Creator, tokens: CreatorTokens
) -> CreatorTokens:
    """Refreshes the creator's tokens and stores the answer (its refresh token replaces the old one)."""
    try:
        answer = CreatorOAuth(ctx.app, transport).refresh(tokens.refresh_token.get_secret_value())
    except CreatorAuthError as exc:
        ctx.registry.mark_needs_reconnection(creator.creator_id, f"token renewal refused: {exc.code}")
        raise NeedsReconnection(
            f"TikTok refused creator {creator.creator_id}'s refresh token ({exc.code}); the creator must "
            f"connect again (`tiktok-pipelines creators connect {creator.creator_id}`)"
        ) from exc
    ctx.auth.save_tokens(creator.creator_id, answer, refreshed=True)
    if answer.scopes and answer.scopes != creator.granted_scopes:
        ctx.registry.set_scopes(creator.creator_id, answer.scopes)
    renewed = ctx.auth.get_tokens(creator.creator_id)
    assert renewed is not None
    return renewed


def valid_tokens(
    ctx: CreatorContext, transport: Transport, creator_id: str, force: bool = False
) -> CreatorTokens:
    creator = ctx.registry.get(creator_id)
    if creator.status == "needs_reconnection":
        raise NeedsReconnection(
            f"creator {creator_id} must connect again: {creator.last_error or 'grant refused'}"
        )
    tokens = ctx.auth.get_tokens(creator_id)
    if tokens is None or creator.status != "connected":
        raise NotConnected(f"creator {creator_id} is not connected ({creator.status})")
    if force or tokens.due(ctx.app.renew_at_share):
        tokens = renew(ctx, transport, creator, tokens)
    return tokens


@dataclass(frozen=True)
class Called:
    """What a call with the creator's API returned, and the API calls it took."""

    value: object
    calls: dict[str, int]
    throttled: int


def call_with_renewal(ctx: CreatorContext, creator_id: str, fn: Callable[[DisplayApi], object]) -> Called:
    """Runs `fn` with the creator's Display API (a valid token, the scopes granted); an access token
    TikTok no longer accepts (revoked early, a clock gone wrong) is renewed once and `fn` run again."""
    with ctx.transport() as transport:
        tokens = valid_tokens(ctx, transport, creator_id)
        api = DisplayApi(
            transport, tokens.access_token.get_secret_value(), ctx.registry.get(creator_id).granted_scopes
        )
        try:
            value = fn(api)
        except CreatorAuthError:
            tokens = valid_tokens(ctx, transport, creator_id, force=True)
            api = DisplayApi(
                transport, tokens.access_token.get_secret_value(), ctx.registry.get(creator_id).granted_scopes
            )
            value = fn(api)
        return Called(value, dict(transport.calls), transport.throttled)
