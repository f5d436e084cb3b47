"""Connecting a creator: the consent link (a single-use expiring `state`, and a PKCE verifier kept
encrypted where the app type needs one), then the callback: the state consumed, the code exchanged, the
tokens stored encrypted, the scopes actually granted recorded, and a first sync requested."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tiktok_pipelines.creator.errors import CreatorApiError
from tiktok_pipelines.creator.oauth import CreatorOAuth, authorization_url, new_pkce
from tiktok_pipelines.lanes.creators.access import CreatorContext


@dataclass(frozen=True)
class Connected:
    creator_id: str
    granted_scopes: tuple[str, ...]
    missing_scopes: tuple[str, ...]  # asked for, not granted: their fields are never requested


def consent_link(ctx: CreatorContext, creator_id: str, ttl: timedelta) -> str:
    """A consent link for the creator, valid for `ttl`, usable once."""
    ctx.app.require()
    ctx.registry.get(creator_id)
    pkce = new_pkce(ctx.app.pkce)
    state = ctx.auth.issue_state(creator_id, ttl, pkce.verifier if pkce else None)
    return authorization_url(ctx.app, state, pkce)


def complete_connection(
    ctx: CreatorContext, state: str, code: str, requested_via: str = "callback"
) -> Connected:
    """The callback's work. `CreatorStateError` for a state not issued here, expired or used;
    `CreatorApiError` when TikTok refuses the code (the creator's row says why)."""
    consent = ctx.auth.consume_state(state)
    creator_id = consent.creator_id
    verifier = consent.code_verifier.get_secret_value() if consent.code_verifier else None
    with ctx.transport() as transport:
        try:
            answer = CreatorOAuth(ctx.app, transport).exchange_code(code, verifier)
        except CreatorApiError as exc:
            ctx.registry.record_sync(creator_id, error=f"connection refused by TikTok: {exc.code}")
            raise
    ctx.auth.save_tokens(creator_id, answer)
    ctx.registry.mark_connected(creator_id, answer.open_id, answer.scopes)
    ctx.auth.request_sync(creator_id, requested_via)
    missing = tuple(s for s in ctx.app.scopes if s not in answer.scopes)
    return Connected(creator_id, answer.scopes, missing)
