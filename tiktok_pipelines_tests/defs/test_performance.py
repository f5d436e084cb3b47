import io
import time

import dagster as dg
import pyarrow.parquet as pq
import pytest

from tiktok_pipelines.defs.analytics.performance import tiktok_product_performance
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
