"""Analytics API: a shop's product performance over a window of days, derived from its orders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tiktok_pipelines.sandbox.tiktok_shop.context import Ctx, paginate
from tiktok_pipelines.sandbox.tiktok_shop.request_checks import ApiError
from tiktok_pipelines.sandbox.tiktok_shop.routing import ApiRoute


def h_products_performance(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    try:
        start = date.fromisoformat(ctx.query["start_date_ge"])
        end = date.fromisoformat(ctx.query["end_date_lt"])
    except (KeyError, ValueError):
        raise ApiError(
            36009004, "invalid param error: start_date_ge and end_date_lt (YYYY-MM-DD) are required"
        ) from None
    if end <= start:
        raise ApiError(36009004, "invalid param error: end_date_lt must be after start_date_ge")
    lo = int(datetime.combine(start, datetime.min.time(), UTC).timestamp())
    hi = int(datetime.combine(end, datetime.min.time(), UTC).timestamp())
    per: dict[str, dict[str, Any]] = {}
    for order in ctx.shop.orders.values():
        if not lo <= order["create_time"] < hi or order["status"] in ("UNPAID", "CANCELLED"):
            continue
        for li in order["line_items"]:
            row = per.setdefault(
                li["product_id"],
                {"id": li["product_id"], "gmv": Decimal("0"), "orders": set(), "units_sold": 0},
            )
            row["gmv"] += Decimal(li["sale_price"])
            row["orders"].add(order["id"])
            row["units_sold"] += 1
    rows = []
    for pid, row in sorted(per.items(), key=lambda kv: -kv[1]["gmv"]):
        views = 40 * row["units_sold"] + len(pid) % 7
        rows.append(
            {
                "id": pid,
                "gmv": {"amount": str(row["gmv"]), "currency": ctx.shop.currency},
                "orders": len(row["orders"]),
                "units_sold": row["units_sold"],
                "impressions": views * 12,
                "page_views": views,
                "avg_page_visitors": max(1, views // 2),
                "click_through_rate": "0.0833",
                "conversion_rate": f"{len(row['orders']) / views:.4f}",
            }
        )
    return paginate(ctx, rows, "shop_products", 1, 100) | {
        "latest_available_date": (date.today() - timedelta(days=1)).isoformat()
    }


ROUTES: tuple[ApiRoute, ...] = (
    ApiRoute("GET", "/analytics/202405/shop_products/performance", h_products_performance),
)
