"""A creator's profile, videos and video metrics in the lake, one creator partition each, and the
creators' token renewal. Each asset is one call into the creators lane."""

import dagster as dg

from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.defs.resources.creators import TikTokCreators
from tiktok_pipelines.defs.resources.storage import ParquetLake
from tiktok_pipelines.lanes.creators.access import NeedsReconnection, NotConnected
from tiktok_pipelines.lanes.creators.renewal import renew_due
from tiktok_pipelines.lanes.creators.sync import SyncReport, snapshot_metrics, sync_profile, sync_videos
from tiktok_pipelines.partitions import creators_partitions
from tiktok_pipelines.stores.creator_lake import CreatorLake

GROUP = Lane.CREATORS.value


def creator_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["creator", name])


def creator_asset(name: str, **kwargs):
    """`dg.asset` for a creator's data in the lake: one partition per creator, in the creators' group."""
    return dg.asset(
        key=creator_key(name),
        partitions_def=creators_partitions,
        group_name=GROUP,
        kinds={"tiktok", "parquet"},
        **kwargs,
    )


def _metadata(report: SyncReport) -> dict:
    metadata = {
        "dagster/row_count": report.rows,
        "api_calls": sum(report.calls.values()),
        "api_calls_by_endpoint": md(
            markdown_table(
                [{"endpoint": k, "calls": v} for k, v in sorted(report.calls.items())], ("endpoint", "calls")
            )
        ),
        "throttled_429": report.throttled,
    }
    if report.skipped:
        metadata["skipped"] = report.skipped
    if report.fields:
        metadata["fields_requested"] = ", ".join(report.fields)
    return metadata


def _run(
    context: dg.AssetExecutionContext, step, creators: TikTokCreators, lake: ParquetLake
) -> dg.MaterializeResult:
    creator_id = context.partition_key
    try:
        report = step(creators.context(), CreatorLake(lake.objects), creator_id)
    except (NeedsReconnection, NotConnected) as exc:
        raise dg.Failure(description=str(exc)) from exc
    if report.skipped:
        context.log.info("creator %s: %s", creator_id, report.skipped)
    return dg.MaterializeResult(metadata=_metadata(report))


@creator_asset("profile")
def creator_profile(context: dg.AssetExecutionContext, tiktok_creators: TikTokCreators, lake: ParquetLake):
    """A snapshot of the creator's TikTok profile (display name, username, avatar, followers, following,
    likes, video count) in the lake's `creator_profiles`, and the creator's row of the registry brought
    up to date. Only the fields of the scopes the creator granted are asked for."""
    return _run(context, sync_profile, tiktok_creators, lake)


@creator_asset("videos", deps=[creator_key("profile")])
def creator_videos(context: dg.AssetExecutionContext, tiktok_creators: TikTokCreators, lake: ParquetLake):
    """Every public video of the creator (title, description, duration, links), read page by page (20 a
    page, TikTok's cursor) within the sliding-window limit, into the lake's `creator_videos`. Without
    `video.list` granted, nothing is asked and the run says so."""
    return _run(context, sync_videos, tiktok_creators, lake)


@creator_asset("video_metrics", deps=[creator_key("videos")])
def creator_video_metrics(
    context: dg.AssetExecutionContext, tiktok_creators: TikTokCreators, lake: ParquetLake
):
    """A snapshot of every current video's views, likes, comments and shares (videos read by id, 20 a
    call) in the lake's `creator_video_metrics`: the growth and engagement analytics are made of these."""
    return _run(context, snapshot_metrics, tiktok_creators, lake)


@dg.asset(key=creator_key("tokens"), group_name=GROUP, kinds={"tiktok"})
def creator_tokens(
    context: dg.AssetExecutionContext, tiktok_creators: TikTokCreators
) -> dg.MaterializeResult:
    """Every connected creator's access token renewed once less than TIKTOK_CREATOR_RENEW_AT_SHARE of the
    lifetime TikTok gave it is left; the rotated refresh token is stored with it. A refused renewal marks
    the creator `needs_reconnection`."""
    report = renew_due(tiktok_creators.context())
    for failure in report.failed:
        context.log.error("creator %s: %s", failure["creator_id"], failure["reason"])
    return dg.MaterializeResult(
        metadata={
            "connected": report.connected,
            "renewed": len(report.renewed),
            "needs_reconnection": md(", ".join(report.needs_reconnection) or "_none_"),
            "failed": len(report.failed),
            "failures": md(markdown_table(report.failed, ("creator_id", "reason"), limit=50)),
        }
    )
