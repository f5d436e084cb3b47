import io
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import dagster as dg
import pyarrow.parquet as pq
import pytest

from tiktok_pipelines.defs.analytics.performance import (
    tiktok_live_performance,
    tiktok_product_performance,
    tiktok_shop_performance,
    tiktok_video_performance,
)
from tiktok_pipelines.sandbox.world import DEMO_SHOP_CODE

pytestmark = pytest.mark.e2e


def test_product_performance_lands_in_the_lake(tiktok_client, sandbox, instance, resources):
    emulator = sandbox.tiktok
    emulator.config.webhook_url = None
    shop = emulator.shop_by_code(DEMO_SHOP_CODE)
    emulator.seed_products(shop, sandbox.demo_catalog, count=6)
    order_ids = emulator.create_orders(
        DEMO_SHOP_CODE, 3, status="AWAITING_SHIPMENT", create_time=int(time.time()) - 86400
    )
    units = sum(len(shop.orders[o]["line_items"]) for o in order_ids)
    result = dg.materialize(
        [tiktok_product_performance], partition_key="demo", instance=instance, resources=resources
    )
    assert result.success
    lake = resources["lake"]
    parts = lake.parts("product_performance", "demo")
    assert len(parts) == 1
    rows = pq.read_table(io.BytesIO(lake.objects.get_bytes(parts[0]))).to_pylist()
    assert sum(r["units"] for r in rows) == units  # one line item per unit sold
    assert all(r["page_views"] > 0 and r["client_id"] == "demo" for r in rows)


def _rows(lake, table: str) -> list[dict]:
    (part,) = lake.parts(table, "demo")
    return pq.read_table(io.BytesIO(lake.objects.get_bytes(part))).to_pylist()


def test_shop_video_and_live_performance_land_in_the_lake(tiktok_client, sandbox, instance, resources):
    emulator = sandbox.tiktok
    emulator.config.webhook_url = None
    shop = emulator.shop_by_code(DEMO_SHOP_CODE)
    emulator.seed_products(shop, sandbox.demo_catalog, count=6)
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    noon = int(datetime.combine(yesterday, datetime.min.time(), UTC).timestamp()) + 12 * 3600
    order_ids = emulator.create_orders(DEMO_SHOP_CODE, 12, status="AWAITING_SHIPMENT", create_time=noon)
    orders = [shop.orders[o] for o in order_ids]
    gmv = sum(Decimal(li["sale_price"]) for o in orders for li in o["line_items"])
    result = dg.materialize(
        [tiktok_shop_performance, tiktok_video_performance, tiktok_live_performance],
        partition_key="demo",
        instance=instance,
        resources=resources,
    )
    assert result.success
    lake = resources["lake"]
    days = {r["date"]: r for r in _rows(lake, "shop_performance")}
    assert len(days) == 3
    assert (days[yesterday]["orders"], days[yesterday]["gmv"]) == (12, gmv)
    assert days[yesterday]["buyers"] == len({o["user_id"] for o in orders})
    videos, lives = _rows(lake, "video_performance"), _rows(lake, "live_performance")
    (live,) = lives  # yesterday's LIVE: "how did yesterday's LIVE sell"
    assert live["date"] == yesterday and live["viewers"] > 0
    assert live["started_at"].date() == yesterday
    # every order is credited once: to a video, to the LIVE or to the product page
    credited = sum(r["orders"] for r in videos) + live["orders"]
    assert 0 < credited < 12 and all(r["video_id"] and r["views"] > 0 for r in videos)
