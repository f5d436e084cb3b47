"""The generated data set: what the generator writes, the tables against an independent computation
in plain Python over the raw parts, and the documented example queries."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import pytest

from tiktok_pipelines.analytics.lake import LakeFiles, list_parts
from tiktok_pipelines.analytics.schema import TABLES, example_queries, schema_markdown
from tiktok_pipelines.defs.resources.storage import LocalObjectStore, ParquetLake
from tiktok_pipelines.sandbox.sales import SalesConfig, generate_sales
from tiktok_pipelines_tests.analytics.conftest import GENERATED, rows

DOCS = Path(__file__).resolve().parents[2] / "docs" / "analytics.md"
TZ = ZoneInfo("America/Sao_Paulo")


def raw_rows(lake: ParquetLake, table: str) -> list[dict]:
    """Every row of every part, with the part's position and the row's, in the order parts were written."""
    out = []
    files = LakeFiles(lake, "/nonexistent")
    for key in list_parts(lake, table):
        for i, row in enumerate(pq.read_table(files.path(key)).to_pylist()):
            out.append({**row, "_order": (key.split("/")[1], key.rsplit("/", 1)[-1], i)})
    return out


def newest(rows_: list[dict], key: tuple[str, ...]) -> dict[tuple, dict]:
    kept: dict[tuple, dict] = {}
    for row in rows_:
        k = tuple(row[c] for c in key)
        if k not in kept or (row["ingested_at"], row["_order"]) > (kept[k]["ingested_at"], kept[k]["_order"]):
            kept[k] = row
    return kept


def test_the_generator_writes_versions_statuses_and_history(generated):
    s = generated.summary
    assert s.orders == 2 * GENERATED.orders
    assert s.rows["orders"] == s.orders + s.updated_orders  # every update is a second version
    assert s.updated_orders > 0.15 * s.orders
    assert s.rows["order_lines"] > s.lines  # lines of updated orders come twice
    assert s.parts["orders"] == 2 * (GENERATED.parts + 1)
    lake = generated.env.lake
    statuses = {r["status"] for r in raw_rows(lake, "orders")}
    assert {"UNPAID", "AWAITING_SHIPMENT", "COMPLETED", "CANCELLED", "IN_TRANSIT"} <= statuses
    lines = raw_rows(lake, "order_lines")
    assert any(r["seller_discount"] > 0 for r in lines) and any(r["platform_discount"] > 0 for r in lines)
    assert all(
        r["sale_price"] == r["original_price"] - r["seller_discount"] / r["quantity"] for r in lines[:500]
    )
    stock = raw_rows(lake, "stock_history")
    assert any(r["quantity"] == 0 for r in stock) and any(r["result"] == "failed" for r in stock)
    sync = raw_rows(lake, "sync_log")
    assert any(r["result"] == "failed" and r["error_code"] for r in sync)


def test_the_generator_is_deterministic(tmp_path):
    config = SalesConfig(clients=1, orders=50, products=5, days=5, parts=2, seed=3)
    tables = []
    for name in ("a", "b"):
        lake = ParquetLake(objects=LocalObjectStore(base_dir=str(tmp_path / name)))
        generate_sales(lake, config)
        tables.append([pq.read_table(lake.objects.local_path(k)) for k in list_parts(lake, "order_lines")])
    assert all(a.equals(b) for a, b in zip(*tables, strict=True))


def test_sales_daily_matches_an_independent_computation(generated):
    lake = generated.env.lake
    orders = newest(raw_rows(lake, "orders"), ("client_id", "order_id"))
    lines = newest(raw_rows(lake, "order_lines"), ("client_id", "order_id", "line_id"))
    expected: dict[tuple, dict] = defaultdict(
        lambda: {"orders": 0, "cancelled_orders": 0, "units": 0, "gross": Decimal(0), "net": Decimal(0)}
    )
    for o in orders.values():
        day = (o["client_id"], o["created_at"].astimezone(TZ).date())
        if o["status"] == "CANCELLED":
            expected[day]["cancelled_orders"] += 1
        elif o["status"] != "UNPAID" and not o["is_sample"]:
            expected[day]["orders"] += 1
    for line in lines.values():
        o = orders[(line["client_id"], line["order_id"])]
        if o["status"] in ("UNPAID", "CANCELLED") or o["is_sample"] or line["status"] == "CANCELLED":
            continue
        day = (o["client_id"], o["created_at"].astimezone(TZ).date())
        gross = line["quantity"] * line["original_price"]
        expected[day]["units"] += line["quantity"]
        expected[day]["gross"] += gross
        expected[day]["net"] += gross - line["seller_discount"] - line["platform_discount"]

    with generated.env.resources["analytics"].connect() as con:
        got = {
            (r["client_id"], r["day"]): {
                k: r[k] for k in ("orders", "cancelled_orders", "units", "gross", "net")
            }
            for r in rows(con, "SELECT * FROM sales_daily")
        }
    assert got == dict(expected)
    assert sum(v["orders"] for v in got.values()) > 1000


def test_stock_outs_match_an_independent_computation(generated):
    pushes = [r for r in raw_rows(generated.env.lake, "stock_history") if r["result"] == "ok"]
    by_sku: dict[tuple, list[dict]] = defaultdict(list)
    for p in pushes:
        by_sku[(p["client_id"], p["seller_sku"])].append(p)
    expected = []
    for (client_id, sku), history in by_sku.items():
        levels: dict[str, int] = {}
        out_since = None
        instants = sorted({p["pushed_at"] for p in history})
        for instant in instants:
            for p in sorted((p for p in history if p["pushed_at"] == instant), key=lambda p: p["_order"]):
                levels[p["channel_warehouse_id"]] = p["quantity"]
            total = sum(levels.values())
            if total <= 0 and out_since is None:
                out_since = instant
            elif total > 0 and out_since is not None:
                expected.append((client_id, sku, out_since, instant))
                out_since = None
        if out_since is not None:
            expected.append((client_id, sku, out_since, None))
    with generated.env.resources["analytics"].connect() as con:
        got = [
            (r["client_id"], r["seller_sku"], r["started_at"], r["ended_at"])
            for r in rows(con, "SELECT * FROM stock_outs")
        ]
    assert sorted(got, key=str) == sorted(expected, key=str)
    assert len(got) > 20 and any(e is None for *_, e in got)


def documented_queries() -> list[tuple[str, str]]:
    return example_queries(DOCS.read_text())


def test_the_docs_give_ten_example_queries():
    assert len(documented_queries()) == 10


@pytest.mark.parametrize(
    "title,sql", documented_queries(), ids=[t.split(".")[0] for t, _ in documented_queries()]
)
def test_every_documented_query_runs_and_answers(generated, title, sql):
    with generated.env.resources["analytics"].connect() as con:
        result = con.execute(sql).fetchall()
    assert result, f"{title} returned nothing on the generated data set"


def test_the_docs_describe_every_table_as_declared():
    text = DOCS.read_text()
    for table in TABLES:
        start, end = f"<!-- schema:{table.name}:start -->\n", f"\n<!-- schema:{table.name}:end -->"
        assert start in text, f"docs/analytics.md has no schema block for {table.name}"
        block = text[text.index(start) + len(start) : text.index(end)]
        assert block == schema_markdown(table), (
            f"docs/analytics.md's {table.name} is out of date: `python -m tiktok_pipelines.analytics.schema`"
        )
