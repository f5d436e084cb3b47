"""Lake parts written before the channel ids were named (`tiktok_product_id`, `tiktok_sku_id`,
`stock_history.warehouse_id`, no `channel`) are read under the current names, next to new parts: the
build counts their rows, as TikTok Shop's, and compaction rewrites them in the current contract."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from tiktok_pipelines.analytics.compaction import compact
from tiktok_pipelines.analytics.lake import LakeFiles, list_parts
from tiktok_pipelines.core.tables import APPEND_ONLY_TABLES
from tiktok_pipelines_tests.analytics.conftest import money, rows, utc, write_part

# What the lake's tables called these columns before (current name → former name), and they had no
# `channel` column.
FORMER = {
    "order_lines": {"channel_product_id": "tiktok_product_id", "channel_sku_id": "tiktok_sku_id"},
    "listings": {"channel_product_id": "tiktok_product_id", "channel_sku_id": "tiktok_sku_id"},
    "stock_history": {"channel_sku_id": "tiktok_sku_id", "channel_warehouse_id": "warehouse_id"},
    "product_performance": {"channel_product_id": "tiktok_product_id"},
}
CREATED, FIRST, LATER = utc(2026, 3, 10, 15), utc(2026, 3, 10, 16), utc(2026, 3, 11, 9)


def write_former_part(lake, table: str, client_id: str, rows_: list[dict]) -> str:
    """A part as producers wrote it before the rename: former column names, no `channel`."""
    renames = FORMER.get(table, {})
    schema = pa.schema(
        [
            f.with_name(renames.get(f.name, f.name))
            for f in APPEND_ONLY_TABLES[table].schema
            if f.name != "channel"
        ]
    )
    data = pa.Table.from_pylist([{n: r.get(n) for n in schema.names} for r in rows_], schema=schema)
    return lake.append_part(table, client_id, data)


def order(order_id: str, ingested, **extra) -> dict:
    return {"client_id": "loja", "order_id": order_id, "status": "COMPLETED", "currency": "BRL"} | {
        "created_at": CREATED,
        "ingested_at": ingested,
        **extra,
    }


def line(order_id: str, sku: str, product: str, ingested, former: bool) -> dict:
    ids = {"tiktok_product_id": product, "tiktok_sku_id": f"tt-{sku}"} if former else {}
    ids = ids or {"channel": "tiktok_shop", "channel_product_id": product, "channel_sku_id": f"tt-{sku}"}
    return {"client_id": "loja", "order_id": order_id, "line_id": f"{order_id}-{sku}", "seller_sku": sku} | {
        "quantity": 1,
        "original_price": money("50.00"),
        "seller_discount": money("0.00"),
        "platform_discount": money("0.00"),
        "currency": "BRL",
        "status": "COMPLETED",
        "created_at": CREATED,
        "ingested_at": ingested,
        **ids,
    }


def write_former_and_new_parts(lake) -> None:
    write_former_part(lake, "orders", "loja", [order("A1", FIRST)])
    write_part(lake, "orders", "loja", [order("A2", LATER, channel="tiktok_shop")])
    write_former_part(lake, "order_lines", "loja", [line("A1", "S1", "P1", FIRST, former=True)])
    write_part(lake, "order_lines", "loja", [line("A2", "S2", "P2", LATER, former=False)])
    listing = {"client_id": "loja", "product_key": "G1", "title": "Camiseta", "status": "ACTIVATE"}
    write_former_part(
        lake,
        "listings",
        "loja",
        [
            listing
            | {"seller_sku": "S1", "tiktok_product_id": "P1", "tiktok_sku_id": "tt-S1", "ingested_at": FIRST}
        ],
    )
    write_part(
        lake,
        "listings",
        "loja",
        [
            listing
            | {"channel": "tiktok_shop", "seller_sku": "S2", "channel_product_id": "P2"}
            | {"channel_sku_id": "tt-S2", "ingested_at": LATER}
        ],
    )
    push = {"client_id": "loja", "seller_sku": "S1", "trigger": "full", "result": "ok"}
    write_former_part(
        lake,
        "stock_history",
        "loja",
        [push | {"tiktok_sku_id": "tt-S1", "warehouse_id": "W1", "quantity": 0, "pushed_at": FIRST}],
    )
    write_part(
        lake,
        "stock_history",
        "loja",
        [
            push
            | {"channel": "tiktok_shop", "channel_sku_id": "tt-S1", "channel_warehouse_id": "W1"}
            | {"quantity": 5, "pushed_at": LATER}
        ],
    )
    day = CREATED.date()
    perf = {"client_id": "loja", "date": day, "page_views": 40, "impressions": 400, "orders": 1, "units": 1}
    write_former_part(
        lake, "product_performance", "loja", [perf | {"tiktok_product_id": "P1", "ingested_at": FIRST}]
    )
    write_part(
        lake,
        "product_performance",
        "loja",
        [perf | {"channel": "tiktok_shop", "channel_product_id": "P2", "ingested_at": LATER}],
    )


def test_the_build_reads_parts_written_before_the_rename_next_to_new_ones(resources, refresh):
    write_former_and_new_parts(resources["lake"])
    refresh(utc(2026, 3, 12))
    with resources["analytics"].connect() as con:
        lines = rows(
            con, "SELECT channel, line_id, channel_product_id, channel_sku_id FROM order_lines ORDER BY 2"
        )
        sales = rows(con, "SELECT channel, channel_product_id, units FROM product_sales ORDER BY 2")
        listings = rows(
            con, "SELECT channel, seller_sku, channel_product_id, channel_sku_id FROM listings ORDER BY 2"
        )
        outs = rows(con, "SELECT channel, channel_sku_id, channel_product_id, ended_at FROM stock_outs")
        views = rows(
            con,
            "SELECT channel, channel_product_id, page_views FROM conversion WHERE period = 'day' ORDER BY 2",
        )
    assert lines == [
        {"channel": "tiktok_shop", "line_id": "A1-S1", "channel_product_id": "P1", "channel_sku_id": "tt-S1"},
        {"channel": "tiktok_shop", "line_id": "A2-S2", "channel_product_id": "P2", "channel_sku_id": "tt-S2"},
    ]
    assert sales == [
        {"channel": "tiktok_shop", "channel_product_id": "P1", "units": 1},
        {"channel": "tiktok_shop", "channel_product_id": "P2", "units": 1},
    ]
    assert listings == [
        {"channel": "tiktok_shop", "seller_sku": "S1", "channel_product_id": "P1", "channel_sku_id": "tt-S1"},
        {"channel": "tiktok_shop", "seller_sku": "S2", "channel_product_id": "P2", "channel_sku_id": "tt-S2"},
    ]
    # The former part's push to zero and the new part's push back, in one warehouse: one stock-out.
    assert outs == [
        {"channel": "tiktok_shop", "channel_sku_id": "tt-S1", "channel_product_id": "P1", "ended_at": LATER}
    ]
    assert views == [
        {"channel": "tiktok_shop", "channel_product_id": "P1", "page_views": 40},
        {"channel": "tiktok_shop", "channel_product_id": "P2", "page_views": 40},
    ]


def test_compaction_rewrites_parts_written_before_the_rename_in_the_current_contract(resources):
    lake = resources["lake"]
    write_former_and_new_parts(lake)
    for name in ("order_lines", "stock_history"):
        table = APPEND_ONLY_TABLES[name]
        result = compact(lake, table, "loja")
        assert (result.parts_before, result.rows_after) == (2, 2)
        [path] = LakeFiles(lake, "/nonexistent").resolve(list_parts(lake, name, "loja")).paths
        data = pq.read_table(path)
        assert data.schema.names == table.schema.names  # no former column is carried along
        assert set(data.column("channel").to_pylist()) == {"tiktok_shop"}
        id_column = "channel_product_id" if name == "order_lines" else "channel_warehouse_id"
        assert None not in data.column(id_column).to_pylist()
