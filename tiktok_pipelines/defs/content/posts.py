"""What creators post: the post queue published to TikTok per creator partition. The asset is one call
into the content lane."""

import dagster as dg

from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.defs.resources.creators import TikTokCreators
from tiktok_pipelines.lanes.content.posts import publish_due
from tiktok_pipelines.lanes.creators.access import NeedsReconnection, NotConnected
from tiktok_pipelines.partitions import creators_partitions

GROUP = Lane.CONTENT.value


@dg.asset(
    key=dg.AssetKey(["creator", "posts"]),
    partitions_def=creators_partitions,
    group_name=GROUP,
    kinds={"tiktok"},
)
def creator_posts(context: dg.AssetExecutionContext, tiktok_creators: TikTokCreators) -> dg.MaterializeResult:
    """The creator's due posts published to TikTok (direct posts, or drafts sent to the creator's inbox),
    each exactly once: the creator's posting options asked first (privacy offered, longest video), then
    TikTok's init, the upload in chunks (or TikTok pulling the URL) and the status polled to its end. A
    post a killed run left is followed from its publish id, never started again; a post over TikTok's
    per-user limits waits. Filled by `tiktok-pipelines posts schedule` and by `product_posts`."""
    try:
        report = publish_due(tiktok_creators.context(), context.partition_key)
    except (NeedsReconnection, NotConnected) as exc:
        raise dg.Failure(description=str(exc)) from exc
    for outcome in report.outcomes:
        if outcome["status"] in ("failed", "refused", "error"):
            context.log.warning("post %s %s: %s", outcome["post_id"], outcome["status"], outcome["reason"])
    return dg.MaterializeResult(
        metadata={
            "posts": len(report.outcomes),
            **{
                status: report.count(status)
                for status in ("published", "sent_to_inbox", "publishing", "scheduled", "failed", "refused")
            },
            "errors": report.count("error"),
            "api_calls": sum(report.calls.values()),
            "outcomes": md(markdown_table(report.outcomes, ("post_id", "status", "reason"), limit=50)),
        }
    )
