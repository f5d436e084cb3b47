"""The day's sales total, from every version of the lake's `orders` the orders lane wrote."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa

from tiktok_pipelines.core.tables import ORDERS
from tiktok_pipelines.lanes.notifications.daily_sales import daily_sales_notices, day_totals
from tiktok_pipelines.stores.lake import ParquetLake
from tiktok_pipelines.stores.objects import LocalObjectStore

DAY = date(2026, 3, 10)


def order(order_id, total, paid_at, ingested_at, cancel_reason=None, channel="tiktok_shop"):
    return {
        "client_id": "loja",
        "channel": channel,
        "order_id": order_id,
        "currency": "BRL",
        "total": Decimal(total),
        "paid_at": paid_at,
        "cancel_reason": cancel_reason,
        "ingested_at": ingested_at,
    }


def test_the_days_total_counts_each_paid_order_once_in_its_newest_version_and_local_day(tmp_path):
    lake = ParquetLake(LocalObjectStore(tmp_path))
    t0, t1 = datetime(2026, 3, 10, 12, tzinfo=UTC), datetime(2026, 3, 10, 13, tzinfo=UTC)
    lake.append_part(
        "orders",
        "loja",
        pa.Table.from_pylist(
            [
                order("A", "100.00", datetime(2026, 3, 10, 14, tzinfo=UTC), t0),
                order("B", "50.50", datetime(2026, 3, 10, 15, tzinfo=UTC), t0),
                # 01:00 UTC on the 11th is 22:00 on the 10th in São Paulo.
                order("C", "20.00", datetime(2026, 3, 11, 1, tzinfo=UTC), t0),
                # 02:30 UTC on the 10th is the 9th in São Paulo.
                order("D", "999.00", datetime(2026, 3, 10, 2, 30, tzinfo=UTC), t0),
            ],
            schema=ORDERS,
        ),
    )
    lake.append_part(  # B was cancelled later
        "orders",
        "loja",
        pa.Table.from_pylist(
            [order("B", "50.50", datetime(2026, 3, 10, 15, tzinfo=UTC), t1, "buyer cancelled")], schema=ORDERS
        ),
    )

    totals = day_totals(lake, "loja", DAY, "America/Sao_Paulo")

    assert totals["tiktok_shop"].orders == 2 and totals["tiktok_shop"].gross == Decimal("120.00")
    (notice,) = daily_sales_notices(lake, "loja", DAY, "America/Sao_Paulo")
    assert notice.dedup_key == "daily_sales:tiktok_shop:2026-03-10"
    assert notice.facts == {"day": "2026-03-10", "orders": 2, "gross": "120.00", "currency": "BRL"}


def test_a_day_without_orders_is_said_too(tmp_path):
    (notice,) = daily_sales_notices(ParquetLake(LocalObjectStore(tmp_path)), "loja", DAY, "America/Sao_Paulo")
    assert notice.facts["orders"] == 0 and notice.channel is None
