"""TikTok's per-product performance (page views, impressions, orders, GMV) for the conversion tables."""

from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pyarrow as pa
from pydantic import Field

from tiktok_pipelines.core.names import ChannelName, Lane
from tiktok_pipelines.core.orders import money
from tiktok_pipelines.core.synclog import SyncLog
from tiktok_pipelines.core.tables import PRODUCT_PERFORMANCE
from tiktok_pipelines.defs.automation import schedule
from tiktok_pipelines.defs.channels import on_the_channel_shop
from tiktok_pipelines.defs.keys import tiktok_shop_key
from tiktok_pipelines.defs.resources.storage import ParquetLake
from tiktok_pipelines.defs.resources.tiktok_shop import TikTokShop
from tiktok_pipelines.partitions import clients_partitions


class PerformanceConfig(dg.Config):
    days: int = Field(
        default=3, description="Days back from yesterday to fetch (TikTok revises recent days)."
    )


def performance_rows(client_id: str, day: date, products: list[dict], ingested_at: datetime) -> list[dict]:
    rows = []
    for p in products:
        gmv = p.get("gmv") or {}
        rows.append(
            {
                "client_id": client_id,
                "channel": ChannelName.TIKTOK_SHOP.value,
                "date": day,
                "channel_product_id": str(p.get("id")),
                "page_views": int(p.get("page_views") or 0),
                "impressions": int(p.get("impressions") or 0),
                "orders": int(p.get("orders") or 0),
                "units": int(p.get("units_sold") or 0),
                "gmv": money(gmv.get("amount") if isinstance(gmv, dict) else gmv),
                "currency": gmv.get("currency") if isinstance(gmv, dict) else None,
                "ingested_at": ingested_at,
            }
        )
    return rows


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
    client_id = context.partition_key
    today = datetime.now(UTC).date()
    now = datetime.now(UTC)
    sync = SyncLog(client_id, "analytics")
    rows: list[dict] = []
    with tiktok_shop.shop(client_id, logger=context.log) as shop:
        for back in range(config.days, 0, -1):
            day = today - timedelta(days=back)
            with sync.timed("shop_products_performance", "tiktok", day.isoformat()):
                products = list(
                    shop.iter_shop_products_performance(
                        day.isoformat(), (day + timedelta(days=1)).isoformat()
                    )
                )
            rows.extend(performance_rows(client_id, day, products, now))
        calls = shop.stats.as_metadata()
    lake.append_part("product_performance", client_id, pa.Table.from_pylist(rows, schema=PRODUCT_PERFORMANCE))
    lake.append_part("sync_log", client_id, sync.table())
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(rows),
            "days": config.days,
            "page_views": sum(r["page_views"] for r in rows),
            "orders": sum(r["orders"] for r in rows),
            **calls,
        }
    )


product_performance_job = dg.define_asset_job(
    "product_performance_job",
    selection=dg.AssetSelection.assets(tiktok_product_performance),
    description="TikTok's per-product performance of the last days, per client.",
)


@schedule(
    name="product_performance_schedule",
    cron_schedule="30 5 * * *",
    job=product_performance_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def product_performance_schedule(context: dg.ScheduleEvaluationContext, tiktok_shop: TikTokShop):
    """Every morning (05:30 UTC, after TikTok closes the day), per authorized active client."""
    from tiktok_pipelines.partitions import CLIENTS_PARTITION

    stamp = context.scheduled_execution_time.strftime("%Y%m%d")
    for client in tiktok_shop.state.registry.list():
        if (
            client.status == "active"
            and client.tiktok_shop_id
            and context.instance.has_dynamic_partition(CLIENTS_PARTITION, client.client_id)
        ):
            yield dg.RunRequest(
                run_key=f"performance:{client.client_id}:{stamp}", partition_key=client.client_id
            )
