"""The shop, video and LIVE performance tables: the newest version of each reported day, unknown figures
kept NULL, and the docs' example queries ("how did yesterday's LIVE sell") answered on them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from tiktok_pipelines_tests.analytics.conftest import rows, utc, write_part

DOCS = Path(__file__).resolve().parents[2] / "docs" / "analytics.md"
TODAY = datetime.now(UTC).date()
YESTERDAY = TODAY - timedelta(days=1)


def shop_queries() -> dict[str, str]:
    text = DOCS.read_text()
    block = text[text.index("<!-- shop-queries:start -->") : text.index("<!-- shop-queries:end -->")]
    return {t.strip(): sql for t, sql in re.findall(r"### (.+?)\n.*?```sql\n(.*?)```", block, re.S)}


def live(live_id: str, day, gmv: str, orders: int, viewers: int, ingested, client_id="loja-a") -> dict:
    start = datetime(day.year, day.month, day.day, 22, tzinfo=UTC)
    return {
        "client_id": client_id,
        "channel": "tiktok_shop",
        "date": day,
        "live_id": live_id,
        "title": f"LIVE {live_id}",
        "started_at": start,
        "ended_at": start + timedelta(minutes=90),
        "viewers": viewers,
        "views": viewers * 3,
        "orders": orders,
        "units": orders + 1,
        "gmv": Decimal(gmv),
        "currency": "BRL",
        "ingested_at": ingested,
    }


def test_yesterdays_live_sold_what_the_newest_version_says(resources, refresh, published):
    lake = resources["lake"]
    first, later = utc(2026, 1, 1), utc(2026, 1, 2)
    write_part(lake, "live_performance", "loja-a", [live("L1", YESTERDAY, "900.00", 9, 300, first)])
    # TikTok revised yesterday, and another LIVE ran the day before
    write_part(
        lake,
        "live_performance",
        "loja-a",
        [
            live("L1", YESTERDAY, "1200.00", 12, 400, later),
            live("L0", YESTERDAY - timedelta(days=1), "50.00", 1, 20, later),
        ],
    )
    write_part(
        lake,
        "shop_performance",
        "loja-a",
        [
            {
                "client_id": "loja-a",
                "channel": "tiktok_shop",
                "date": YESTERDAY,
                "gmv": Decimal("3000.00"),
                "currency": "BRL",
                "orders": 30,
                "visitors": None,  # not reported
                "ingested_at": later,
            }
        ],
    )
    write_part(
        lake,
        "video_performance",
        "loja-a",
        [
            {
                "client_id": "loja-a",
                "channel": "tiktok_shop",
                "date": YESTERDAY,
                "video_id": "V1",
                "views": 5000,
                "orders": 6,
                "gmv": Decimal("600.00"),
                "currency": "BRL",
                "ingested_at": later,
            }
        ],
    )
    refresh()
    con = published()
    queries = shop_queries()
    [sold] = rows(con, queries["How did yesterday's LIVE sell"])
    assert (sold["live_id"], sold["orders"], sold["gmv"], sold["viewers"], sold["minutes"]) == (
        "L1",
        12,
        Decimal("1200.00"),
        400,
        90,
    )
    assert sold["viewer_to_order_rate"] == 0.03 and sold["gmv_per_viewer"] == 3.0
    [shop] = rows(con, "SELECT * FROM shop_performance_daily")
    assert (shop["average_order_value"], shop["visitors"], shop["visitor_to_order_rate"]) == (
        Decimal("100.00"),
        None,
        None,
    )
    [share] = rows(con, queries["Share of the shop's GMV made in LIVEs and videos, per day"])
    assert (share["live_share"], share["video_share"]) == (0.4, 0.2)
    [top] = rows(con, queries["Videos that sold most in the last 7 days"])
    assert (top["video_id"], top["orders"], top["gmv"]) == ("V1", 6, Decimal("600.00"))
