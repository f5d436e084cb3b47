"""What creators post: the post queue published to TikTok per creator partition, and the posts prepared
for a client's newly listed products. Each asset is one call into the content lane."""

import dagster as dg

from tiktok_pipelines.core.names import ChannelName, Lane
from tiktok_pipelines.defs.keys import tiktok_shop_key
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.defs.resources.content import ContentRecommender
from tiktok_pipelines.defs.resources.creators import TikTokCreators
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.defs.resources.storage import ParquetLake
from tiktok_pipelines.lanes.content.posts import publish_due
from tiktok_pipelines.lanes.content.product_posts import ProductPostsError, prepare_product_posts
from tiktok_pipelines.lanes.creators.access import NeedsReconnection, NotConnected
from tiktok_pipelines.partitions import clients_partitions, creators_partitions
from tiktok_pipelines.stores.creator_lake import CreatorLake

GROUP = Lane.CONTENT.value
DRAFT_COLUMNS = ("post_id", "product_key", "status", "due_at", "caption_source", "caption")


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


@dg.asset(
    key=dg.AssetKey(["product_posts"]),
    partitions_def=clients_partitions,
    group_name=GROUP,
    kinds={"tiktok"},
    deps=[tiktok_shop_key("listings")],
)
def product_posts(
    context: dg.AssetExecutionContext, state: StateStore, lake: ParquetLake, content: ContentRecommender
) -> dg.MaterializeResult:
    """For a client that opted in (option `product_posts_creator`): one post in that creator's queue for
    each product the catalog listed on TikTok Shop since the opt-in (what was listed then is the baseline),
    at most once a product. Caption from the feed title and price (R$), hashtags from the category path
    and the creator's best hashtags (polished by the language model when TIKTOK_PIPELINES_LLM_API_KEY is
    set; `caption_source` says which), due when the creator's best posting hour next comes, a draft sent
    to the creator's inbox unless `product_posts_mode` is `direct`; without a video link
    (`product_posts_video_url`) it waits for one. `creator/posts` publishes it when due."""
    try:
        report = prepare_product_posts(
            state.db,
            lake,
            CreatorLake(lake.objects),
            context.partition_key,
            ChannelName.TIKTOK_SHOP.value,
            llm=content.llm(),
        )
    except ProductPostsError as exc:
        raise dg.Failure(description=str(exc)) from exc
    if report.skipped:
        context.log.info("client %s: %s", context.partition_key, report.skipped)
    metadata = {
        "creator_id": report.creator_id or "",
        "posts_prepared": len(report.drafts),
        "scheduled": report.count("scheduled"),
        "waiting_media": report.count("waiting_media"),
        "llm_tokens": report.llm_tokens,
        "llm_cost": round(report.llm_cost, 6),
        "posts": md(markdown_table(report.drafts, DRAFT_COLUMNS, limit=50)),
    }
    if report.baseline is not None:
        metadata["baseline_products"] = report.baseline
    if report.skipped:
        metadata["skipped"] = report.skipped
    return dg.MaterializeResult(metadata=metadata)
