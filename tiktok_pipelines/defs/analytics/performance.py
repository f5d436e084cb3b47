"""A channel's per-product performance (page views, impressions, orders, GMV) for the conversion tables."""

import dagster as dg
from pydantic import Field

from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.defs.channels import on_the_channel_shop
from tiktok_pipelines.defs.keys import tiktok_shop_key
from tiktok_pipelines.defs.resources.storage import ParquetLake
from tiktok_pipelines.defs.resources.tiktok_shop import TikTokShop
from tiktok_pipelines.lanes.analytics import collect_product_performance
from tiktok_pipelines.partitions import clients_partitions


class PerformanceConfig(dg.Config):
    days: int = Field(
        default=3, description="Days back from yesterday to fetch (the channel revises recent days)."
    )


@dg.asset(
    key=tiktok_shop_key("product_performance"),
    partitions_def=clients_partitions,
    group_name=Lane.ANALYTICS.value,
    kinds={"tiktok", "parquet"},
    code_version="1",
)
@on_the_channel_shop("tiktok_shop")
def tiktok_product_performance(
    context: dg.AssetExecutionContext, config: PerformanceConfig, tiktok_shop: TikTokShop, lake: ParquetLake
) -> dg.MaterializeResult:
    """Per product and day, TikTok Shop's analytics (page views, impressions, orders, units, GMV) for the
    last `days` full days, as a new version in the lake's `product_performance` table: the input of
    the analysts' `conversion` table (views → orders)."""
    with tiktok_shop.session(context.partition_key, logger=context.log) as session:
        report = collect_product_performance(context.partition_key, session, lake, config.days)
        calls = session.call_counts()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": report.rows,
            "days": config.days,
            "page_views": report.page_views,
            "orders": report.orders,
            **calls,
        }
    )
