"""The analytics tables against numbers worked out by hand on a small order set.

Two clients, reporting time zone America/Sao_Paulo (UTC−3). loja-a:

  A1  2026-03-10 15:00Z  two versions: AWAITING_SHIPMENT, then COMPLETED; shipping 9.90
      L1  S1 (P1)  2 × 50.00, merchant discount 10.00          gross 100.00  net  90.00
      L2  S2 (P1)  1 × 30.00, TikTok discount 3.00             gross  30.00  net  27.00
  A2  2026-03-11 02:30Z = 2026-03-10 23:30 in São Paulo: counts on the 10th; DELIVERED
      L3  S3 (P2)  1 × 200.00, merchant 20.00 + TikTok 10.00   gross 200.00  net 170.00
  A3  2026-03-10 20:00Z  AWAITING_SHIPMENT, then CANCELLED
      L4  S1 (P1)  1 × 50.00                                   cancelled: 50.00
  A4  2026-03-10 18:00Z  UNPAID: not a sale, not cancelled
      L5  S2 (P1)  3 × 30.00
  A5  2026-03-11 14:00Z  IN_TRANSIT; shipping 15.00
      L6  S1 (P1)  1 × 50.00                                   gross  50.00  net  50.00
      L7  S3 (P2)  1 × 200.00, the line alone CANCELLED        cancelled: 200.00
  A6  2026-03-11 16:00Z  a free sample (COMPLETED): never a sale
      L8  S2 (P1)  1 × 30.00, TikTok discount 30.00
  L9  a line of order A7, which never reached the lake

loja-b:  B1  2026-03-10 13:00Z  COMPLETED, shipping 5.00
      M1  T1 (Q1)  4 × 10.00, merchant discount 4.00           gross  40.00  net  36.00
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tiktok_pipelines.analytics.schema import TABLES
from tiktok_pipelines.defs.analytics.assets import analytics_key
from tiktok_pipelines.stores.events import event_log
from tiktok_pipelines_tests.analytics.conftest import (
    analytics_env,
    materializations,
    materialize_analytics,
    money,
    rows,
    utc,
)
from tiktok_pipelines_tests.analytics.conftest import write_part as write

D = Decimal
BUILT_AT = utc(2026, 3, 11, 21, 0)


def order(order_id: str, created, status: str, ingested, **extra) -> dict:
    return {
        "client_id": extra.pop("client_id", "loja-a"),
        "order_id": order_id,
        "status": status,
        "currency": "BRL",
        "created_at": created,
        "updated_at": ingested,
        "ingested_at": ingested,
        **extra,
    }


def line(
    order_id: str, line_id: str, sku: str, product: str, qty: int, price: str, created, ingested, **extra
):
    seller = money(extra.pop("seller_discount", "0.00"))
    return {
        "client_id": extra.pop("client_id", "loja-a"),
        "order_id": order_id,
        "line_id": line_id,
        "channel_product_id": product,
        "channel_sku_id": f"tt-{sku}",
        "seller_sku": sku,
        "product_name": extra.pop("product_name", f"Produto {product}"),
        "sku_name": f"Variante {sku}",
        "quantity": qty,
        "original_price": money(price),
        "sale_price": money(price) - seller / qty,
        "seller_discount": seller,
        "platform_discount": money(extra.pop("platform_discount", "0.00")),
        "currency": "BRL",
        "status": extra.pop("status", "AWAITING_SHIPMENT"),
        "created_at": created,
        "ingested_at": ingested,
        **extra,
    }


def write_hand_set(lake, state_db) -> None:
    def write_part(table, client_id, rows):
        write(lake, table, client_id, rows)

    a1, a2, a3 = utc(2026, 3, 10, 15), utc(2026, 3, 11, 2, 30), utc(2026, 3, 10, 20)
    a4, a5, a6 = utc(2026, 3, 10, 18), utc(2026, 3, 11, 14), utc(2026, 3, 11, 16)
    first, later = utc(2026, 3, 11, 3), utc(2026, 3, 12, 9)
    # The first ingestion: every order as it was on the 11th at 03:00.
    write_part(
        "orders",
        "loja-a",
        [
            order(
                "A1",
                a1,
                "AWAITING_SHIPMENT",
                first,
                shipping_fee=D("9.90"),
                subtotal=D("117.00"),
                total=D("126.90"),
            ),
            order(
                "A2", a2, "DELIVERED", first, shipping_fee=D("0.00"), subtotal=D("170.00"), total=D("170.00")
            ),
            order(
                "A3",
                a3,
                "AWAITING_SHIPMENT",
                first,
                shipping_fee=D("0.00"),
                subtotal=D("50.00"),
                total=D("50.00"),
            ),
            order("A4", a4, "UNPAID", first, shipping_fee=D("0.00"), subtotal=D("90.00"), total=D("90.00")),
        ],
    )
    write_part(
        "order_lines",
        "loja-a",
        [
            line("A1", "L1", "S1", "P1", 2, "50.00", a1, first, seller_discount="10.00"),
            line("A1", "L2", "S2", "P1", 1, "30.00", a1, first, platform_discount="3.00"),
            line(
                "A2",
                "L3",
                "S3",
                "P2",
                1,
                "200.00",
                a2,
                first,
                seller_discount="20.00",
                platform_discount="10.00",
            ),
            line("A3", "L4", "S1", "P1", 1, "50.00", a3, first),
            line("A4", "L5", "S2", "P1", 3, "30.00", a4, first, status="UNPAID"),
            line("A7", "L9", "S1", "P1", 1, "50.00", a4, first),
        ],
    )
    # The second ingestion, a day later: A1 completed, A3 cancelled, A5 and A6 new.
    write_part(
        "orders",
        "loja-a",
        [
            order(
                "A1", a1, "COMPLETED", later, shipping_fee=D("9.90"), subtotal=D("117.00"), total=D("126.90")
            ),
            order(
                "A3", a3, "CANCELLED", later, shipping_fee=D("0.00"), subtotal=D("50.00"), total=D("50.00")
            ),
            order(
                "A5", a5, "IN_TRANSIT", later, shipping_fee=D("15.00"), subtotal=D("50.00"), total=D("65.00")
            ),
            order("A6", a6, "COMPLETED", later, is_sample=True, subtotal=D("0.00"), total=D("0.00")),
        ],
    )
    write_part(
        "order_lines",
        "loja-a",
        [
            line("A1", "L1", "S1", "P1", 2, "50.00", a1, later, seller_discount="10.00", status="COMPLETED"),
            line("A3", "L4", "S1", "P1", 1, "50.00", a3, later, status="CANCELLED"),
            line("A5", "L6", "S1", "P1", 1, "50.00", a5, later, status="IN_TRANSIT"),
            line("A5", "L7", "S3", "P2", 1, "200.00", a5, later, status="CANCELLED"),
            line(
                "A6", "L8", "S2", "P1", 1, "30.00", a6, later, platform_discount="30.00", status="COMPLETED"
            ),
        ],
    )
    b1 = utc(2026, 3, 10, 13)
    write_part(
        "orders",
        "loja-b",
        [
            order(
                "B1",
                b1,
                "COMPLETED",
                first,
                client_id="loja-b",
                shipping_fee=D("5.00"),
                subtotal=D("36.00"),
                total=D("41.00"),
            )
        ],
    )
    write_part(
        "order_lines",
        "loja-b",
        [line("B1", "M1", "T1", "Q1", 4, "10.00", b1, first, client_id="loja-b", seller_discount="4.00")],
    )

    def listing(sku: str, product: str, title: str, price: str) -> dict:
        return {
            "client_id": "loja-a",
            "seller_sku": sku,
            "channel_product_id": product,
            "title": title,
            "price": D(price),
            "currency": "BRL",
            "status": "ACTIVATE",
            "updated_at": first,
            "ingested_at": first,
        }

    write_part(
        "listings",
        "loja-a",
        [
            listing("S1", "P1", "Um", "50.00"),
            listing("S2", "P1", "Dois", "30.00"),
            listing("S3", "P2", "Três", "200.00"),
            listing("S4", "P3", "Produto Três", "80.00"),
        ],
    )
    # Same instant as the first version: the part written last wins.
    write_part("listings", "loja-a", [listing("S1", "P1", "Um", "45.00")])

    def performance(day, product: str, views: int, impressions: int, ingested, **tiktok) -> dict:
        return {
            "client_id": "loja-a",
            "date": day,
            "channel_product_id": product,
            "page_views": views,
            "impressions": impressions,
            "currency": "BRL",
            "ingested_at": ingested,
            **tiktok,
        }

    day10, day11 = utc(2026, 3, 10).date(), utc(2026, 3, 11).date()
    write_part(
        "product_performance",
        "loja-a",
        [
            performance(day10, "P1", 100, 800, first),
            performance(day11, "P1", 50, 400, later),
            performance(day10, "P3", 40, 100, first),
        ],
    )
    # TikTok revised the 10th
    write_part(
        "product_performance", "loja-a", [performance(day10, "P1", 200, 1000, later, orders=1, units=3)]
    )

    def push(sku, warehouse, quantity, at, result="ok"):
        return {
            "client_id": "loja-a",
            "seller_sku": sku,
            "channel_sku_id": f"tt-{sku}",
            "channel_warehouse_id": warehouse,
            "quantity": quantity,
            "pushed_at": at,
            "result": result,
        }

    write_part(
        "stock_history",
        "loja-a",
        [
            push("S1", "W1", 5, utc(2026, 3, 10, 10)),
            push("S1", "W2", 0, utc(2026, 3, 10, 10)),
            push("S1", "W1", 0, utc(2026, 3, 10, 12)),  # total 0: out from 12:00
            push("S1", "W2", 3, utc(2026, 3, 10, 13), result="failed"),  # TikTok never took it
            push("S1", "W2", 4, utc(2026, 3, 10, 15, 30)),  # back at 15:30: 3.5 hours
            push("S1", "W2", 0, utc(2026, 3, 11, 9)),  # out again, still out at the build
            push("S3", "W1", 2, utc(2026, 3, 10, 11)),
            push("S3", "W2", 0, utc(2026, 3, 10, 11)),
            push("S3", "W1", 0, utc(2026, 3, 10, 14)),  # simultaneous with the next: never zero
            push("S3", "W2", 6, utc(2026, 3, 10, 14)),
        ],
    )
    write_part(
        "stock_history",
        "loja-a",
        [
            push("S2", "W1", 0, utc(2026, 3, 11, 0)),  # 21:00 on the 10th in São Paulo
            push("S2", "W1", 7, utc(2026, 3, 11, 6)),
        ],
    )

    def call(at, operation, result, ms, code=None, item=None, api="tiktok", lane="stock_price", message=None):
        return {
            "client_id": "loja-a",
            "at": at,
            "lane": lane,
            "operation": operation,
            "api": api,
            "item_key": item,
            "result": result,
            "error_code": code,
            "error_message": message,
            "duration_ms": ms,
        }

    write_part(
        "sync_log",
        "loja-a",
        [
            call(utc(2026, 3, 10, 15), "inventory_update", "ok", 200, item="S1"),
            call(utc(2026, 3, 10, 15, 1), "inventory_update", "ok", 400, item="S2"),
            call(
                utc(2026, 3, 10, 15, 2),
                "inventory_update",
                "failed",
                300,
                "36009002",
                "S1",
                message="too many requests",
            ),
            call(
                utc(2026, 3, 10, 16),
                "inventory_update",
                "failed",
                500,
                "36009002",
                "S2",
                message="too many requests (2)",
            ),
            call(utc(2026, 3, 10, 16, 5), "inventory_update", "skipped", 100, item="S3"),
            call(
                utc(2026, 3, 10, 17),
                "place_order",
                "failed",
                900,
                "500",
                "A1",
                api="vtex",
                lane="orders",
                message="boom",
            ),
        ],
    )

    received = utc(2026, 3, 10, 12)
    events = [
        ("1", "handled", 1.0),
        ("1", "handled", 2.0),
        ("1", "handled", 3.0),
        ("1", "handled", 10.0),
        ("1", "failed", 5.0),
        ("1", "pending", None),
        ("1", "ignored", 0.5),
    ]
    records = [
        {
            "source": "tiktok",
            "event_id": f"e{i}",
            "event_type": kind,
            "routing_key": "shop-a",
            "client_id": "loja-a",
            "body": "{}",
            "received_at": received,
            "recorded_at": received,
            "action": "run",
            "keys": "",
            "status": status,
            "handled_at": None if latency is None else received + timedelta(seconds=latency),
        }
        for i, (kind, status, latency) in enumerate(events)
    ]
    late = utc(2026, 3, 11, 2)  # 23:00 on the 10th in São Paulo
    records.append(
        {
            **records[0],
            "source": "vtex",
            "event_id": "v1",
            "event_type": "vtex:order_hook",
            "received_at": late,
            "handled_at": late + timedelta(seconds=4),
        }
    )
    records.append({**records[0], "event_id": "orphan", "client_id": None})
    with state_db.begin() as conn:
        conn.execute(sa.insert(event_log), records)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The hand set, built once for the module's tests (they only read)."""
    with analytics_env(tmp_path_factory.mktemp("hand")) as env:
        write_hand_set(env.lake, env.resources["state"].db)
        result = materialize_analytics(env.instance, env.resources, as_of=BUILT_AT)
        con = env.resources["analytics"].connect()
        yield result, con
        con.close()


def test_sales_daily(built):
    _, con = built
    got = rows(con, "SELECT * EXCLUDE (currency) FROM sales_daily ORDER BY client_id, day")
    assert got == [
        {
            "client_id": "loja-a",
            "channel": "tiktok_shop",
            "day": utc(2026, 3, 10).date(),
            "orders": 2,  # A1, A2 (A2 was placed at 23:30 in São Paulo); A4 unpaid
            "cancelled_orders": 1,  # A3
            "units": 4,  # 2 + 1 + 1
            "gross": D("330.00"),  # 100 + 30 + 200
            "seller_discount": D("30.00"),  # 10 + 20
            "platform_discount": D("13.00"),  # 3 + 10
            "discounts": D("43.00"),
            "net": D("287.00"),  # 90 + 27 + 170
            "cancelled_net": D("50.00"),  # L4
            "shipping_fee": D("9.90"),
            "total": D("296.90"),  # 126.90 + 170.00
        },
        {
            "client_id": "loja-a",
            "channel": "tiktok_shop",
            "day": utc(2026, 3, 11).date(),
            "orders": 1,  # A5; A6 is a sample
            "cancelled_orders": 0,
            "units": 1,  # L6; L7 cancelled alone
            "gross": D("50.00"),
            "seller_discount": D("0.00"),
            "platform_discount": D("0.00"),
            "discounts": D("0.00"),
            "net": D("50.00"),
            "cancelled_net": D("200.00"),  # L7
            "shipping_fee": D("15.00"),
            "total": D("65.00"),
        },
        {
            "client_id": "loja-b",
            "channel": "tiktok_shop",
            "day": utc(2026, 3, 10).date(),
            "orders": 1,
            "cancelled_orders": 0,
            "units": 4,
            "gross": D("40.00"),
            "seller_discount": D("4.00"),
            "platform_discount": D("0.00"),
            "discounts": D("4.00"),
            "net": D("36.00"),
            "cancelled_net": D("0.00"),
            "shipping_fee": D("5.00"),
            "total": D("41.00"),
        },
    ]


def test_orders_and_lines_keep_the_newest_version(built):
    result, con = built
    orders = {r["order_id"]: r for r in rows(con, "SELECT * FROM orders WHERE client_id = 'loja-a'")}
    assert sorted(orders) == ["A1", "A2", "A3", "A4", "A5", "A6"]
    assert (orders["A1"]["status"], orders["A1"]["is_sale"]) == ("COMPLETED", True)
    assert (orders["A3"]["status"], orders["A3"]["is_sale"], orders["A3"]["is_cancelled"]) == (
        "CANCELLED",
        False,
        True,
    )
    assert (orders["A4"]["is_sale"], orders["A4"]["is_cancelled"]) == (False, False)
    assert orders["A6"]["is_sale"] is False
    assert orders["A2"]["day"] == utc(2026, 3, 10).date()
    assert orders["A1"]["ingested_at"] == utc(2026, 3, 12, 9)

    lines = {r["line_id"]: r for r in rows(con, "SELECT * FROM order_lines WHERE client_id = 'loja-a'")}
    assert len(lines) == 9  # L1..L9, one row each although L1 and L4 came twice
    assert (lines["L1"]["gross"], lines["L1"]["discounts"], lines["L1"]["net"]) == (
        D("100.00"),
        D("10.00"),
        D("90.00"),
    )
    assert (lines["L3"]["discounts"], lines["L3"]["net"]) == (D("30.00"), D("170.00"))
    assert (lines["L4"]["status"], lines["L4"]["is_sale"], lines["L4"]["is_cancelled"]) == (
        "CANCELLED",
        False,
        True,
    )
    assert (lines["L7"]["is_sale"], lines["L7"]["is_cancelled"]) == (False, True)
    assert lines["L9"]["is_sale"] is False  # its order is unknown
    assert lines["L2"]["day"] == utc(2026, 3, 10).date()

    meta = materializations(result)
    assert meta[analytics_key("orders")]["order_versions_dropped"].value == 2  # A1 and A3 came twice
    assert meta[analytics_key("order_lines")]["line_versions_dropped"].value == 2  # L1 and L4
    assert meta[analytics_key("order_lines")]["lines_without_order"].value == 1  # L9
    assert meta[analytics_key("orders")]["dagster/row_count"].value == 7  # six of loja-a, one of loja-b


def test_product_sales_and_top_products(built):
    _, con = built
    got = rows(
        con,
        "SELECT day, seller_sku, orders, units, gross, discounts, net, cancelled_units FROM product_sales "
        "WHERE client_id = 'loja-a' ORDER BY day, seller_sku",
    )
    day10, day11 = utc(2026, 3, 10).date(), utc(2026, 3, 11).date()
    assert got == [
        {
            "day": day10,
            "seller_sku": "S1",
            "orders": 1,
            "units": 2,
            "gross": D("100.00"),
            "discounts": D("10.00"),
            "net": D("90.00"),
            "cancelled_units": 1,
        },
        {
            "day": day10,
            "seller_sku": "S2",
            "orders": 1,
            "units": 1,
            "gross": D("30.00"),
            "discounts": D("3.00"),
            "net": D("27.00"),
            "cancelled_units": 0,
        },
        {
            "day": day10,
            "seller_sku": "S3",
            "orders": 1,
            "units": 1,
            "gross": D("200.00"),
            "discounts": D("30.00"),
            "net": D("170.00"),
            "cancelled_units": 0,
        },
        {
            "day": day11,
            "seller_sku": "S1",
            "orders": 1,
            "units": 1,
            "gross": D("50.00"),
            "discounts": D("0.00"),
            "net": D("50.00"),
            "cancelled_units": 0,
        },
        {
            "day": day11,
            "seller_sku": "S3",
            "orders": 0,
            "units": 0,
            "gross": D("0.00"),
            "discounts": D("0.00"),
            "net": D("0.00"),
            "cancelled_units": 1,
        },
    ]
    top = rows(
        con,
        "SELECT period, period_start, period_end, rank, channel_product_id, orders, units, net, net_share "
        "FROM top_products WHERE client_id = 'loja-a' ORDER BY period, period_start, rank",
    )
    # P2: 170.00; P1: 90 + 27 + 50 = 167.00 in orders A1 and A5; all of it in one week and one month.
    expected = []
    for period, start, end in (
        ("all_time", day10, utc(2026, 3, 12).date()),
        ("month", utc(2026, 3, 1).date(), utc(2026, 4, 1).date()),
        ("week", utc(2026, 3, 9).date(), utc(2026, 3, 16).date()),
    ):
        expected += [
            {
                "period": period,
                "period_start": start,
                "period_end": end,
                "rank": 1,
                "channel_product_id": "P2",
                "orders": 1,
                "units": 1,
                "net": D("170.00"),
                "net_share": pytest.approx(170 / 337),
            },
            {
                "period": period,
                "period_start": start,
                "period_end": end,
                "rank": 2,
                "channel_product_id": "P1",
                "orders": 2,
                "units": 4,
                "net": D("167.00"),
                "net_share": pytest.approx(167 / 337),
            },
        ]
    assert top == expected


def test_conversion(built):
    _, con = built
    got = {
        (r["period"], r["channel_product_id"], r["period_start"].isoformat()): r
        for r in rows(con, "SELECT * FROM conversion WHERE client_id = 'loja-a'")
    }
    p1_day10 = got[("day", "P1", "2026-03-10")]
    # TikTok revised the 10th from 100 to 200 views; our orders of P1 that day: A1 only.
    assert (p1_day10["page_views"], p1_day10["impressions"], p1_day10["orders"], p1_day10["units"]) == (
        200,
        1000,
        1,
        3,
    )
    assert p1_day10["view_to_order_rate"] == pytest.approx(1 / 200)
    assert p1_day10["impression_to_view_rate"] == pytest.approx(0.2)
    assert (p1_day10["channel_orders"], p1_day10["channel_units"]) == (1, 3)
    p1_week = got[("week", "P1", "2026-03-09")]
    assert (p1_week["page_views"], p1_week["impressions"], p1_week["orders"], p1_week["units"]) == (
        250,
        1400,
        2,
        4,
    )
    assert p1_week["view_to_order_rate"] == pytest.approx(2 / 250)
    assert got[("month", "P1", "2026-03-01")]["page_views"] == 250
    p3 = got[("day", "P3", "2026-03-10")]  # viewed, never sold: named from its listing
    assert (p3["page_views"], p3["orders"], p3["view_to_order_rate"], p3["product_name"]) == (
        40,
        0,
        0.0,
        "Produto Três",
    )
    p2 = got[("day", "P2", "2026-03-10")]  # sold, no views reported
    assert (p2["page_views"], p2["orders"], p2["view_to_order_rate"]) == (None, 1, None)
    assert len([k for k in got if k[0] == "day"]) == 4  # P1 on the 10th and 11th, P2, P3


def test_stock_outs(built):
    _, con = built
    got = rows(
        con,
        "SELECT seller_sku, channel_product_id, day, started_at, ended_at, ongoing, duration_hours "
        "FROM stock_outs ORDER BY seller_sku, started_at",
    )
    assert got == [
        {
            "seller_sku": "S1",
            "channel_product_id": "P1",
            "day": utc(2026, 3, 10).date(),
            "started_at": utc(2026, 3, 10, 12),
            "ended_at": utc(2026, 3, 10, 15, 30),
            "ongoing": False,
            "duration_hours": 3.5,
        },
        {
            "seller_sku": "S1",
            "channel_product_id": "P1",
            "day": utc(2026, 3, 11).date(),
            "started_at": utc(2026, 3, 11, 9),
            "ended_at": None,
            "ongoing": True,
            "duration_hours": 12.0,  # up to the build at 21:00
        },
        {
            "seller_sku": "S2",
            "channel_product_id": "P1",
            "day": utc(2026, 3, 10).date(),  # 21:00 on the 10th in São Paulo
            "started_at": utc(2026, 3, 11, 0),
            "ended_at": utc(2026, 3, 11, 6),
            "ongoing": False,
            "duration_hours": 6.0,
        },
    ]


def test_sync_health_and_errors(built):
    _, con = built
    health = rows(
        con, "SELECT * FROM sync_health WHERE client_id = 'loja-a' ORDER BY kind, source, operation"
    )
    webhook = [h for h in health if h["kind"] == "webhook" and h["source"] == "tiktok"]
    assert len(webhook) == 1
    w = webhook[0]
    assert (w["day"], w["event_type"], w["event_name"]) == (
        utc(2026, 3, 10).date(),
        "1",
        "ORDER_STATUS_CHANGE",
    )
    assert (w["total"], w["succeeded"], w["failed"], w["skipped"], w["pending"]) == (7, 4, 1, 1, 1)
    assert w["error_rate"] == pytest.approx(1 / 5)
    # finished latencies: 0.5 1 2 3 5 10 seconds
    assert w["latency_p50_seconds"] == pytest.approx(2.5)
    assert w["latency_p95_seconds"] == pytest.approx(8.75)
    assert w["latency_max_seconds"] == pytest.approx(10.0)
    vtex = next(h for h in health if h["kind"] == "webhook" and h["source"] == "vtex")
    assert (vtex["day"], vtex["event_name"], vtex["total"], vtex["latency_p50_seconds"]) == (
        utc(2026, 3, 10).date(),
        "vtex:order_hook",
        1,
        pytest.approx(4.0),
    )
    api = {h["operation"]: h for h in health if h["kind"] == "api"}
    inv = api["inventory_update"]
    assert (inv["lane"], inv["total"], inv["succeeded"], inv["failed"], inv["skipped"]) == (
        "stock_price",
        5,
        2,
        2,
        1,
    )
    assert inv["error_rate"] == pytest.approx(0.5)
    assert (inv["latency_p50_seconds"], inv["latency_p95_seconds"], inv["latency_max_seconds"]) == (
        pytest.approx(0.3),
        pytest.approx(0.48),
        pytest.approx(0.5),
    )
    assert rows(con, "SELECT count(*) AS n FROM sync_health WHERE client_id IS NULL")[0]["n"] == 1

    errors = rows(con, "SELECT * EXCLUDE (client_id) FROM sync_errors ORDER BY source")
    assert errors == [
        {
            "channel": "tiktok_shop",
            "day": utc(2026, 3, 10).date(),
            "source": "tiktok",
            "lane": "stock_price",
            "operation": "inventory_update",
            "error_code": "36009002",
            "errors": 2,
            "items": 2,
            "first_at": utc(2026, 3, 10, 15, 2),
            "last_at": utc(2026, 3, 10, 16),
            "last_message": "too many requests (2)",
        },
        {
            "channel": "tiktok_shop",
            "day": utc(2026, 3, 10).date(),
            "source": "vtex",
            "lane": "orders",
            "operation": "place_order",
            "error_code": "500",
            "errors": 1,
            "items": 1,
            "first_at": utc(2026, 3, 10, 17),
            "last_at": utc(2026, 3, 10, 17),
            "last_message": "boom",
        },
    ]


def test_listings_keep_the_part_written_last_on_a_tie(built):
    _, con = built
    got = rows(con, "SELECT seller_sku, price FROM listings ORDER BY seller_sku")
    assert got == [
        {"seller_sku": "S1", "price": D("45.00")},
        {"seller_sku": "S2", "price": D("30.00")},
        {"seller_sku": "S3", "price": D("200.00")},
        {"seller_sku": "S4", "price": D("80.00")},
    ]


def test_every_table_has_its_declared_columns_and_types(built):
    _, con = built
    for table in TABLES:
        got = [
            (r["column_name"], r["data_type"])
            for r in rows(
                con,
                "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
                [table.name],
            )
        ]
        declared = [
            (c.name, c.type.replace("TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE")) for c in table.columns
        ]
        assert got == declared, table.name
    info = rows(con, "SELECT * FROM build_info")
    assert len(info) == 1
    assert info[0]["built_at"] == BUILT_AT and info[0]["timezone"] == "America/Sao_Paulo"
    assert info[0]["event_log_rows"] == 9
