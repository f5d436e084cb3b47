"""Disconnecting a creator (the token revoked at TikTok, tokens dropped, syncs stop) and deleting one on
demand (LGPD / GDPR): tokens, registry entry, consent states, sync requests and every lake file of the
creator removed, then proved gone by a fresh analytics build, leaving an audit entry with counts only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tiktok_pipelines.creator.errors import CreatorApiError
from tiktok_pipelines.creator.oauth import CreatorOAuth
from tiktok_pipelines.lanes.creators.access import CreatorContext
from tiktok_pipelines.stores.creator_lake import CreatorLake
from tiktok_pipelines.stores.creators import CreatorAudit, creators_table


@dataclass(frozen=True)
class Disconnected:
    creator_id: str
    had_tokens: bool
    revoked: bool
    note: str | None = None  # why TikTok's revocation did not happen (tokens are dropped anyway)


@dataclass
class Deleted:
    receipt: str
    lake_files: int
    had_tokens: bool
    revoked: bool
    analytics_rows_left: dict[str, int] = field(default_factory=dict)

    @property
    def proved(self) -> bool:
        return bool(self.analytics_rows_left) and not any(self.analytics_rows_left.values())


def disconnect(ctx: CreatorContext, creator_id: str) -> Disconnected:
    """Revokes the creator's access token at TikTok and drops the tokens; the creator stays registered
    (`disconnected`) and is synced no more until connected again."""
    ctx.registry.get(creator_id)
    tokens = ctx.auth.get_tokens(creator_id)
    revoked, note = False, None
    if tokens is not None:
        try:
            with ctx.transport() as transport:
                CreatorOAuth(ctx.app, transport).revoke(tokens.access_token.get_secret_value())
            revoked = True
        except CreatorApiError as exc:  # already revoked by the creator, or TikTok unreachable
            note = f"TikTok did not revoke the token ({exc.code}); it is dropped here all the same"
    ctx.auth.delete_tokens(creator_id)
    ctx.registry.mark_disconnected(creator_id)
    return Disconnected(creator_id, tokens is not None, revoked, note)


def delete_creator(
    ctx: CreatorContext,
    lake: CreatorLake,
    creator_id: str,
    requested_via: str,
    prove: Callable[[str], dict[str, int]] | None = None,
) -> Deleted:
    """Deletes everything of the creator. `prove(creator_id)` rebuilds the analytics and returns the rows
    of the creator left per table (all zero when the deletion is complete)."""
    gone = disconnect(ctx, creator_id)
    files = lake.delete(creator_id)
    with ctx.db.begin() as conn:  # tokens, consent states and sync requests go with it (ON DELETE CASCADE)
        conn.execute(creators_table.delete().where(creators_table.c.creator_id == creator_id))
    left: dict[str, int] = {}
    proof_error = None
    if prove is not None:
        try:
            left = prove(creator_id)
        except Exception as exc:
            proof_error = exc
    detail = {
        "lake_files_deleted": files,
        "tokens_deleted": int(gone.had_tokens),
        "token_revoked": int(gone.revoked),
        "registry_entries_deleted": 1,
        **{f"analytics_rows_left.{t}": n for t, n in left.items()},
    }
    if proof_error is not None:
        detail["analytics_rebuild_failed"] = 1
    receipt = CreatorAudit(ctx.db).add("creator_deleted", requested_via, detail)
    if proof_error is not None:
        raise proof_error
    return Deleted(receipt, files, gone.had_tokens, gone.revoked, left)
