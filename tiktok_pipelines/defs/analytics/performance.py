"""What a channel reports about a shop per day: its products (page views, impressions, orders, GMV) for the
conversion tables, the whole shop, its videos and its LIVEs."""

import dagster as dg
from pydantic import Field

from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.defs.channels import tiktok_shop_asset
from tiktok_pipelines.defs.resources.storage import ParquetLake
from tiktok_pipelines.defs.resources.tiktok_shop import TikTokShop
from tiktok_pipelines.lanes.analytics import (
    PerformanceReport,
    collect_live_performance,
    collect_product_performance,
    collect_shop_performance,
    collect_video_performance,
)


class PerformanceConfig(dg.Config):
    days: int = Field(
        default=3, description="Days back from yesterday to fetch (the channel revises recent days)."
    )


def _collect(
    context: dg.AssetExecutionContext, config: PerformanceConfig, tiktok_shop: TikTokShop, lake, collect
):
    with tiktok_shop.session(context.partition_key, logger=context.log) as session:
        report: PerformanceReport = collect(context.partition_key, session, lake, config.days)
        calls = session.call_counts()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": report.rows,
            "days": config.days,
            "page_views": report.page_views,
            "orders": report.orders,
            "gmv": float(report.gmv),
            **calls,
        }
    )


def _performance_asset(name: str, description: str, collect) -> dg.AssetsDefinition:
    def body(
        context: dg.AssetExecutionContext,
        config: PerformanceConfig,
        tiktok_shop: TikTokShop,
        lake: ParquetLake,
    ) -> dg.MaterializeResult:
        return _collect(context, config, tiktok_shop, lake, collect)

    body.__name__ = body.__qualname__ = f"tiktok_{name}"  # the op's name
    return tiktok_shop_asset(Lane.ANALYTICS, name, kinds={"tiktok", "parquet"}, description=description)(body)


tiktok_product_performance = _performance_asset(
    "product_performance",
    "Per product and day, TikTok Shop's analytics (page views, impressions, orders, units, GMV) for the "
    "last `days` full days, as a new version in the lake's `product_performance` table: the input of "
    "the analysts' `conversion` table (views → orders).",
    collect_product_performance,
)


tiktok_shop_performance = _performance_asset(
    "shop_performance",
    "The whole shop per day, as TikTok Shop's analytics report it (GMV, orders, units, buyers, page views, "
    "visitors; a figure not reported is null) for the last `days` full days, as a new version in the "
    "lake's `shop_performance` table (analytics table `shop_performance_daily`).",
    collect_shop_performance,
)
tiktok_video_performance = _performance_asset(
    "video_performance",
    "Per shoppable video and day, TikTok Shop's analytics (views, orders, units, GMV, click-through rate) "
    "for the last `days` full days, as a new version in the lake's `video_performance` table.",
    collect_video_performance,
)
tiktok_live_performance = _performance_asset(
    "live_performance",
    "Per LIVE and day, TikTok Shop's analytics (viewers, views, orders, units, GMV) for the last `days` "
    "full days, from the LIVE report at TIKTOK_LIVE_PERFORMANCE_PATH (a guessed path: the reference lists "
    "no LIVE endpoint), as a new version in the lake's `live_performance` table.",
    collect_live_performance,
)
