"""The channel's own analytics of a shop as tables of analytics.duckdb: the whole shop, its videos and its
LIVEs per reporting day (the channel's date, as it reports it), newest version of each row."""

from __future__ import annotations

SHOP_PERFORMANCE_SOURCE_TABLES = ("shop_performance", "video_performance", "live_performance")
SHOP_PERFORMANCE_TABLES = ("shop_performance_daily", "video_performance_daily", "live_performance_daily")

_RATE = "CAST(orders AS DOUBLE) / nullif({per}, 0)"


def shop_performance_relations() -> list[tuple[str, str]]:
    """(name, SELECT) of the shop, video and LIVE performance tables."""
    return [
        (
            "shop_performance_daily",
            f"""
            SELECT client_id, channel, date AS day, currency, gmv, orders, units, buyers, page_views, visitors,
                   CAST(round(gmv / nullif(orders, 0), 2) AS DECIMAL(18,2)) AS average_order_value,
                   {_RATE.format(per="visitors")} AS visitor_to_order_rate, ingested_at
            FROM cur_shop_performance""",
        ),
        (
            "video_performance_daily",
            f"""
            SELECT client_id, channel, date AS day, video_id, title, creator, started_at AS posted_at,
                   views, orders, units, gmv, currency, click_through_rate,
                   {_RATE.format(per="views")} AS view_to_order_rate, ingested_at
            FROM cur_video_performance""",
        ),
        (
            "live_performance_daily",
            f"""
            SELECT client_id, channel, date AS day, live_id, title, creator, started_at, ended_at,
                   epoch(ended_at - started_at) / 60.0 AS duration_minutes, viewers, views,
                   orders, units, gmv, currency, click_through_rate,
                   {_RATE.format(per="viewers")} AS viewer_to_order_rate,
                   CAST(gmv AS DOUBLE) / nullif(viewers, 0) AS gmv_per_viewer, ingested_at
            FROM cur_live_performance""",
        ),
    ]
