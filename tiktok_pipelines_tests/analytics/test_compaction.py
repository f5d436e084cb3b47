"""Compaction of the lake's append-only parts: nothing lost, nothing counted twice, concurrent parts kept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest
from pydantic import PrivateAttr

from tiktok_pipelines.analytics.compaction import compact
from tiktok_pipelines.analytics.lake import COMPACTED_SUFFIX, LakeFiles, list_parts
from tiktok_pipelines.core.tables import APPEND_ONLY_TABLES
from tiktok_pipelines.defs.analytics.assets import lake_compaction
from tiktok_pipelines.defs.resources.storage import LocalObjectStore, ParquetLake
from tiktok_pipelines.sandbox.sales import SalesConfig, generate_sales
from tiktok_pipelines_tests.analytics.conftest import rows, utc, write_part

CONFIG = SalesConfig(clients=2, orders=300, products=12, days=12, parts=4, seed=9)
SNAPSHOT = {
    "sales_daily": "SELECT * FROM sales_daily ORDER BY client_id, day",
    "orders": "SELECT client_id, order_id, status, ingested_at FROM orders ORDER BY 1, 2",
    "listings": "SELECT client_id, seller_sku, price FROM listings ORDER BY 1, 2",
    "stock_outs": "SELECT * FROM stock_outs ORDER BY client_id, seller_sku, started_at",
    "sync_health": "SELECT * FROM sync_health ORDER BY ALL",
    "conversion": "SELECT * FROM conversion ORDER BY ALL",
}


class HookedStore(LocalObjectStore):
    """A local store that runs a hook before publishing a compacted part or deleting a part: what
    another process (a producer, a reader) might do at that very moment."""

    _before_put: Callable[[str], None] | None = PrivateAttr(default=None)
    _before_delete: Callable[[str], None] | None = PrivateAttr(default=None)

    def put_file(self, key: str, path: str | Path) -> None:
        if self._before_put and key.endswith(COMPACTED_SUFFIX):
            self._before_put(key)
        super().put_file(key, path)

    def delete(self, key: str) -> None:
        if self._before_delete:
            self._before_delete(key)
        super().delete(key)


@pytest.fixture
def hooked(resources, settings) -> tuple[dict, HookedStore]:
    store = HookedStore(base_dir=str(settings.lake_dir))
    return {**resources, "lake": ParquetLake(objects=store)}, store


def snapshot(resources) -> dict[str, list[dict]]:
    with resources["analytics"].connect() as con:
        return {name: rows(con, sql) for name, sql in SNAPSHOT.items()}


def rows_read(lake: ParquetLake, table: str) -> int:
    """Rows a reader sees in a table's parts right now (skipping the parts a compacted part replaces)."""
    parts = LakeFiles(lake, "/nonexistent").resolve(list_parts(lake, table))
    return sum(pq.read_metadata(p).num_rows for p in parts.paths)


def test_compaction_keeps_every_fact_and_the_newest_version_of_each_key(resources, refresh):
    lake = resources["lake"]
    summary = generate_sales(lake, CONFIG)
    as_of = utc(2026, 1, 13, 3)
    refresh(as_of)
    before = snapshot(resources)

    results = {
        (t.name, c): compact(lake, t, c) for t in APPEND_ONLY_TABLES.values() for c in lake.clients_of(t.name)
    }
    for (table, client_id), result in results.items():
        assert result.parts_before > 1 and result.parts_after == 1
        keys = list_parts(lake, table, client_id)
        assert len(keys) == 1 and keys[0].endswith(COMPACTED_SUFFIX)
        if APPEND_ONLY_TABLES[table].key is None:
            assert result.rows_after == result.rows_before  # facts: every row
    orders = sum(r.rows_after for (t, _), r in results.items() if t == "orders")
    assert orders == summary.orders  # one row per order: the updated versions are gone
    assert sum(r.rows_before for (t, _), r in results.items() if t == "orders") == summary.rows["orders"]
    schema = pq.read_schema(lake.objects.local_path(list_parts(lake, "orders")[0]))
    assert schema.remove_metadata() == APPEND_ONLY_TABLES["orders"].schema

    refresh(as_of)
    assert snapshot(resources) == before


def test_a_part_written_while_compacting_is_kept_and_wins(hooked, state_db):
    resources, store = hooked
    lake = resources["lake"]
    at = utc(2026, 3, 10, 15)

    def order(order_id, status, ingested):
        return {
            "client_id": "loja-a",
            "order_id": order_id,
            "status": status,
            "created_at": at,
            "ingested_at": ingested,
        }

    write_part(
        lake, "orders", "loja-a", [order("1", "AWAITING_SHIPMENT", at), order("2", "AWAITING_SHIPMENT", at)]
    )
    write_part(lake, "orders", "loja-a", [order("1", "COMPLETED", utc(2026, 3, 11))])
    late: list[str] = []
    # A producer appends while compaction is between listing and publishing.
    store._before_put = lambda key: late.append(
        write_part(
            lake, "orders", "loja-a", [order("2", "CANCELLED", utc(2026, 3, 12)), order("3", "UNPAID", at)]
        )
    )

    result = compact(lake, APPEND_ONLY_TABLES["orders"], "loja-a")
    assert (result.parts_before, result.rows_before, result.rows_after) == (2, 3, 2)
    keys = list_parts(lake, "orders", "loja-a")
    assert late[0] in keys and result.key in keys and len(keys) == 2
    resources["analytics"].refresh(lake, state_db)
    with resources["analytics"].connect() as con:
        got = rows(con, "SELECT order_id, status FROM orders ORDER BY order_id")
    assert got == [
        {"order_id": "1", "status": "COMPLETED"},
        {"order_id": "2", "status": "CANCELLED"},  # the late part is newer than the compacted rows
        {"order_id": "3", "status": "UNPAID"},
    ]


def test_readers_never_count_a_row_twice_and_an_interrupted_compaction_is_finished_later(hooked, state_db):
    resources, store = hooked
    lake = resources["lake"]
    for day in range(1, 5):
        write_part(
            lake,
            "sync_log",
            "loja-a",
            [
                {"client_id": "loja-a", "at": utc(2026, 3, day, h), "result": "ok", "api": "tiktok"}
                for h in range(5)
            ],
        )
    assert rows_read(lake, "sync_log") == 20
    seen: list[int] = []

    def reader_then_crash(key: str) -> None:
        seen.append(rows_read(lake, "sync_log"))  # a reader listing the folder at this moment
        if len(seen) == 3:
            raise OSError("the machine died while deleting")

    store._before_delete = reader_then_crash
    with pytest.raises(OSError):
        compact(lake, APPEND_ONLY_TABLES["sync_log"], "loja-a")
    assert seen == [20, 20, 20]
    assert len(list_parts(lake, "sync_log", "loja-a")) == 3  # the compacted part and two leftovers
    assert rows_read(lake, "sync_log") == 20
    resources["analytics"].refresh(lake, state_db)
    with resources["analytics"].connect() as con:
        assert rows(con, "SELECT sum(total) AS n FROM sync_health")[0]["n"] == 20

    store._before_delete = None
    again = compact(lake, APPEND_ONLY_TABLES["sync_log"], "loja-a")
    assert again.leftovers_deleted == 2 and again.parts_after == 1
    assert len(list_parts(lake, "sync_log", "loja-a")) == 1
    assert rows_read(lake, "sync_log") == 20


def test_the_compaction_asset_reports_and_goes_on_after_a_broken_folder(resources, instance):
    lake = resources["lake"]
    generate_sales(lake, SalesConfig(clients=2, orders=60, products=5, days=4, parts=3, seed=1))
    lake.objects.put_bytes(
        "orders/client_id=loja-2/part-20990101T000000000000-deadbeef.parquet", b"not parquet"
    )
    result = dg.materialize(
        [lake_compaction],
        instance=instance,
        resources=resources,
        run_config={"ops": {"lake_compaction": {"config": {"min_parts": 2}}}},
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    metadata = failure.step_failure_data.user_failure_data.metadata
    assert metadata["failed"].value == 1
    assert "loja-2" in metadata["failures"].value and "orders" in metadata["failures"].value
    assert metadata["folders_compacted"].value == 17  # nine tables of two clients, but the broken one
    assert len(list_parts(lake, "orders", "loja-1")) == 1
    assert len(list_parts(lake, "orders", "loja-2")) == 5  # left as it was

    lake.objects.delete("orders/client_id=loja-2/part-20990101T000000000000-deadbeef.parquet")
    done = dg.materialize(
        [lake_compaction],
        instance=instance,
        resources=resources,
        run_config={"ops": {"lake_compaction": {"config": {"min_parts": 2}}}},
    )
    meta = done.asset_materializations_for_node("lake_compaction")[0].metadata
    assert (meta["folders_compacted"].value, meta["failed"].value) == (1, 0)
    assert meta["versions_dropped"].value > 0
