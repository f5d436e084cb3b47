"""Analytics API: a shop's performance over a window of days (the whole shop, per product, per video,
per LIVE), derived from its orders.

The reference lists the endpoints but not their answers, and no LIVE endpoint at all: the shapes here
(and the LIVE path) are the guesses the client's settings default to. Each paid order is credited, by a
stable hash of its id, to a shoppable video, to the day's LIVE or to the product page.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tiktok_pipelines.sandbox.tiktok_shop.context import Ctx, paginate
from tiktok_pipelines.sandbox.tiktok_shop.request_checks import ApiError
from tiktok_pipelines.sandbox.tiktok_shop.routing import ApiRoute

LIVE_PATH = "/analytics/202409/shop_lives/performance"
LIVE_START_HOUR_UTC = 22  # 19:00 in Brazil
LIVE_HOURS = 2


def _window(ctx: Ctx) -> tuple[date, date]:
    try:
        start = date.fromisoformat(ctx.query["start_date_ge"])
        end = date.fromisoformat(ctx.query["end_date_lt"])
    except (KeyError, ValueError):
        raise ApiError(
            36009004, "invalid param error: start_date_ge and end_date_lt (YYYY-MM-DD) are required"
        ) from None
    if end <= start:
        raise ApiError(36009004, "invalid param error: end_date_lt must be after start_date_ge")
    return start, end


def _epoch(day: date) -> int:
    return int(datetime.combine(day, datetime.min.time(), UTC).timestamp())


def _sales(ctx: Ctx, start: date, end: date) -> Iterator[dict[str, Any]]:
    """The shop's paid, not cancelled orders created in the window."""
    assert ctx.shop
    lo, hi = _epoch(start), _epoch(end)
    for order in ctx.shop.orders.values():
        if lo <= order["create_time"] < hi and order["status"] not in ("UNPAID", "CANCELLED"):
            yield order


def _source(order: dict[str, Any]) -> str:
    return ("video", "live", "product_page")[zlib.crc32(order["id"].encode()) % 3]


def _money(ctx: Ctx, amount: Decimal) -> dict[str, str]:
    assert ctx.shop
    return {"amount": str(amount), "currency": ctx.shop.currency}


def _order_gmv(order: dict[str, Any]) -> Decimal:
    return sum((Decimal(li["sale_price"]) for li in order["line_items"]), Decimal("0"))


def h_products_performance(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    per: dict[str, dict[str, Any]] = {}
    for order in _sales(ctx, *_window(ctx)):
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
                "gmv": _money(ctx, row["gmv"]),
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


def h_shop_performance(ctx: Ctx) -> dict[str, Any]:
    """`performance.intervals`: one per day (granularity 1D, the default) or one for the window (ALL)."""
    start, end = _window(ctx)
    granularity = ctx.query.get("granularity") or "1D"
    if granularity not in ("1D", "ALL"):
        raise ApiError(36009004, f"invalid param error: granularity {granularity!r} (1D or ALL)")
    spans = [(start, end)]
    if granularity == "1D":
        spans = [(start + timedelta(n), start + timedelta(n + 1)) for n in range((end - start).days)]
    intervals = []
    for lo, hi in spans:
        orders = list(_sales(ctx, lo, hi))
        units = sum(len(o["line_items"]) for o in orders)
        views = 40 * units + 7 * len(orders)
        intervals.append(
            {
                "start_date": lo.isoformat(),
                "end_date": hi.isoformat(),
                "gmv": _money(ctx, sum(map(_order_gmv, orders), Decimal("0"))),
                "orders": len(orders),
                "units_sold": units,
                "buyers": len({o["user_id"] for o in orders}),
                "product_page_views": views,
                "avg_product_page_visitors": views // 2,
            }
        )
    return {
        "performance": {"intervals": intervals},
        "latest_available_date": (date.today() - timedelta(days=1)).isoformat(),
    }


def _content(ctx: Ctx, content_id: str, orders: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    units = sum(len(o["line_items"]) for o in orders)
    views = 250 * units + zlib.crc32(content_id.encode()) % 97
    return {
        "id": content_id,
        **extra,
        "gmv": _money(ctx, sum(map(_order_gmv, orders), Decimal("0"))),
        "sku_orders": len(orders),
        "units_sold": units,
        "views": views,
        "click_through_rate": f"{len(orders) / views:.4f}",
    }


def h_videos_performance(ctx: Ctx) -> dict[str, Any]:
    """The videos that sold in the window, best GMV first; a video is named after its product."""
    assert ctx.shop
    per: dict[str, list[dict[str, Any]]] = {}
    for order in _sales(ctx, *_window(ctx)):
        if _source(order) == "video":
            product = order["line_items"][0]["product_id"]
            per.setdefault(f"73{zlib.crc32((ctx.shop.id + product).encode()):010d}", []).append(order)
    rows = [
        _content(
            ctx,
            vid,
            orders,
            title=f"Look do dia #{vid[-4:]}",
            username=f"{ctx.shop.code}.oficial",
            video_post_time=min(o["create_time"] for o in orders) // 86400 * 86400,
        )
        for vid, orders in per.items()
    ]
    rows.sort(key=lambda r: (-Decimal(r["gmv"]["amount"]), r["id"]))
    return paginate(ctx, rows, "videos", 1, 100)


def h_lives_performance(ctx: Ctx) -> dict[str, Any]:
    """The shop's LIVEs that started in the window: one each evening that had LIVE sales."""
    assert ctx.shop
    start, end = _window(ctx)
    rows = []
    for n in range((end - start).days):
        day = start + timedelta(n)
        orders = [o for o in _sales(ctx, day, day + timedelta(1)) if _source(o) == "live"]
        if not orders:
            continue
        begin = _epoch(day) + LIVE_START_HOUR_UTC * 3600
        live = _content(
            ctx,
            f"74{day:%Y%m%d}{zlib.crc32(ctx.shop.id.encode()) % 1000:03d}",
            orders,
            title=f"LIVE de ofertas {day:%d/%m}",
            username=f"{ctx.shop.code}.oficial",
            start_time=begin,
            end_time=begin + LIVE_HOURS * 3600,
        )
        rows.append(live | {"viewers": live["views"] // 3})
    return paginate(ctx, rows, "lives", 1, 100)


ROUTES: tuple[ApiRoute, ...] = (
    ApiRoute("GET", "/analytics/202405/shop_products/performance", h_products_performance),
    ApiRoute("GET", "/analytics/202405/shop/performance", h_shop_performance),
    ApiRoute("GET", "/analytics/202409/shop_videos/performance", h_videos_performance),
    ApiRoute("GET", LIVE_PATH, h_lives_performance),
)
