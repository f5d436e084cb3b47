"""The creators' token renewal pass: every connected creator whose access token is due."""

from __future__ import annotations

from dataclasses import dataclass, field

from tiktok_pipelines.creator.errors import CreatorApiError
from tiktok_pipelines.lanes.creators.access import CreatorContext, NeedsReconnection, renew


@dataclass
class RenewalReport:
    connected: int = 0
    renewed: list[str] = field(default_factory=list)
    needs_reconnection: list[str] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)


def renew_due(ctx: CreatorContext) -> RenewalReport:
    """Renews each due token; one creator's failure is that creator's alone."""
    report = RenewalReport()
    creators = ctx.registry.connected()
    report.connected = len(creators)
    with ctx.transport() as transport:
        for creator in creators:
            tokens = ctx.auth.get_tokens(creator.creator_id)
            if tokens is None or not tokens.due(ctx.app.renew_at_share):
                continue
            try:
                renew(ctx, transport, creator, tokens)
            except NeedsReconnection as exc:
                report.needs_reconnection.append(creator.creator_id)
                report.failed.append({"creator_id": creator.creator_id, "reason": str(exc)})
            except CreatorApiError as exc:
                report.failed.append({"creator_id": creator.creator_id, "reason": str(exc)})
            else:
                report.renewed.append(creator.creator_id)
    return report
