"""Publishing: sessions held open through a refresh, stale logs, failed builds, an empty lake, S3."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import duckdb
import pytest

from tiktok_pipelines.analytics.build import SOURCE_TABLES
from tiktok_pipelines.analytics.compaction import compact
from tiktok_pipelines.analytics.lake import list_parts
from tiktok_pipelines.analytics.publish import mirror_dir, remove_stale_builds
from tiktok_pipelines.analytics.schema import ASSET_TABLES, TABLES
from tiktok_pipelines.core.tables import APPEND_ONLY_TABLES
from tiktok_pipelines.defs.analytics.assets import analytics_key
from tiktok_pipelines.defs.resources import build_resources
from tiktok_pipelines.sandbox.sales import SalesConfig, generate_sales
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.db import open_state_db
from tiktok_pipelines_tests.analytics.conftest import materializations, rows, utc, write_part

SESSION = textwrap.dedent(
    """
    import sys, duckdb
    path = sys.argv[1]
    con = duckdb.connect(path, read_only=True)
    count = "SELECT count(*) FROM orders"
    print(con.execute(count).fetchone()[0], flush=True)
    sys.stdin.readline()  # the refresh happens here
    print(con.execute(count).fetchone()[0], flush=True)
    con.close()
    again = duckdb.connect(path, read_only=True)
    print(again.execute(count).fetchone()[0], flush=True)
    """
)


def orders(lake, ids: list[str], client_id: str = "loja-a") -> None:
    at = utc(2026, 3, 10, 15)
    write_part(
        lake,
        "orders",
        client_id,
        [
            {
                "client_id": client_id,
                "order_id": i,
                "status": "COMPLETED",
                "created_at": at,
                "ingested_at": at,
            }
            for i in ids
        ],
    )


def test_a_read_only_session_held_open_through_a_refresh(resources, materialize, settings):
    orders(resources["lake"], ["1", "2"])
    materialize()
    session = subprocess.Popen(
        [sys.executable, "-c", SESSION, str(settings.analytics_db_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert session.stdout.readline().strip() == "2"  # the session is open and holds its lock
        orders(resources["lake"], ["3"])
        result = materialize()  # must not fail nor wait for the session
        assert materializations(result)[analytics_key("orders")]["dagster/row_count"].value == 3
        out, _ = session.communicate("go\n", timeout=30)
    finally:
        session.kill()
    assert out.split() == ["2", "3"]  # the old data until it reopened, the new data after
    assert session.returncode == 0


def test_a_session_in_the_same_process_keeps_reading_the_old_file(resources, refresh, published):
    orders(resources["lake"], ["1"])
    refresh()
    old = published()
    orders(resources["lake"], ["2", "3"])
    refresh()
    assert old.execute("SELECT count(*) FROM orders").fetchone()[0] == 1
    old.close()
    assert published().execute("SELECT count(*) FROM orders").fetchone()[0] == 3


def test_a_write_ahead_log_left_by_a_read_write_session_is_set_aside(resources, refresh, settings, published):
    orders(resources["lake"], ["1"])
    refresh()
    path = settings.analytics_db_path
    # Someone opened the database read-write, wrote, and died before a checkpoint.
    writer = textwrap.dedent(
        """
        import os, sys, duckdb
        con = duckdb.connect(sys.argv[1])
        con.execute("SET checkpoint_threshold = '1GB'")
        con.execute("CREATE TABLE scratch AS SELECT 1 AS x")
        os._exit(0)
        """
    )
    subprocess.run([sys.executable, "-c", writer, str(path)], check=True)
    assert path.with_name(path.name + ".wal").exists()
    orders(resources["lake"], ["2"])
    report = refresh()
    assert report.wal_set_aside and not report.wal_set_aside[0].name.endswith(".wal")
    assert published().execute("SELECT count(*) FROM orders").fetchone()[0] == 2
    assert not path.with_name(path.name + ".wal").exists()
    assert list(path.parent.glob(f"{path.name}.wal.stale-*"))


def test_an_empty_lake_builds_every_table_empty(materialize, published):
    result = materialize()
    meta = materializations(result)
    assert set(meta) == {analytics_key(t.name) for t in ASSET_TABLES}
    for table in ASSET_TABLES:
        assert meta[analytics_key(table.name)]["dagster/row_count"].value == 0
        assert meta[analytics_key(table.name)]["preview"].value == "_none_"
    con = published()
    for table in TABLES:
        columns = [r["column_name"] for r in rows(con, f"DESCRIBE {table.name}")]
        assert columns == table.column_names
    assert rows(con, "SELECT source_files, event_log_rows FROM build_info") == [
        {"source_files": 0, "event_log_rows": 0}
    ]


def test_each_asset_shows_its_row_count_and_a_preview(generated):
    meta = materializations(generated.result)
    for table in ASSET_TABLES:
        m = meta[analytics_key(table.name)]
        assert m["dagster/row_count"].value > 0, table.name
        preview = m["preview"].value
        assert preview.startswith("| " + " | ".join(table.column_names) + " |"), table.name
        assert preview.count("\n| ") == min(10, m["dagster/row_count"].value), table.name
        assert (f"of {m['dagster/row_count'].value} rows" in preview) == (m["dagster/row_count"].value > 10)
    assert meta[analytics_key("orders")]["order_versions_dropped"].value == generated.summary.updated_orders


def test_a_failed_build_leaves_the_published_database(resources, refresh, settings, published):
    orders(resources["lake"], ["1"])
    refresh()
    before = settings.analytics_db_path.stat().st_mtime_ns
    orders(resources["lake"], ["2"])
    bad = "orders/client_id=loja-a/part-20990101T000000000000-deadbeef.parquet"
    resources["lake"].objects.put_bytes(bad, b"not parquet at all")
    with pytest.raises(duckdb.Error, match=r"part-20990101T000000000000-deadbeef\.parquet"):
        refresh()
    assert settings.analytics_db_path.stat().st_mtime_ns == before
    assert published().execute("SELECT count(*) FROM orders").fetchone()[0] == 1
    assert not list(settings.analytics_db_path.parent.glob(".*.building-*"))


def test_only_builds_that_died_long_ago_are_cleaned_up(tmp_path):
    path = tmp_path / "analytics.duckdb"
    dead, running = tmp_path / ".analytics.duckdb.building-dead", tmp_path / ".analytics.duckdb.building-live"
    dead.write_bytes(b"x")
    running.write_bytes(b"x")
    old = time.time() - 7200
    os.utime(dead, (old, old))
    assert remove_stale_builds(path) == [dead]
    assert running.exists() and not dead.exists()


@pytest.mark.e2e
def test_analytics_on_an_s3_lake(moto_server, monkeypatch, tmp_path, state_db):
    """The same generated data in a local lake and in S3 (moto) build the same tables; the S3 parts
    are mirrored once and dropped from the mirror once compacted away."""
    config = SalesConfig(clients=2, orders=80, products=6, days=6, parts=2, seed=5)
    settings = Settings.load({"TIKTOK_PIPELINES_DATA_DIR": str(tmp_path / "local")})
    open_state_db(settings, create=True)  # a new data dir, state DB and development key
    local = build_resources(settings)
    generate_sales(local["lake"], config)
    local["analytics"].refresh(local["lake"], local["state"].db)

    monkeypatch.setenv("TIKTOK_PIPELINES_STORAGE", "s3")
    monkeypatch.setenv("TIKTOK_PIPELINES_S3_BUCKET", "ttp-test")
    monkeypatch.setenv("TIKTOK_PIPELINES_S3_ENDPOINT_URL", moto_server)
    s3 = build_resources(Settings.load())
    lake = s3["lake"]
    generate_sales(lake, config)
    first = s3["analytics"].refresh(lake, state_db)
    assert first.downloaded == first.source_files > 0

    totals = (
        "SELECT client_id, sum(orders) o, sum(units) u, sum(net) n FROM sales_daily GROUP BY 1 ORDER BY 1"
    )
    with local["analytics"].connect() as a, s3["analytics"].connect() as b:
        expected = rows(a, totals)
        assert rows(b, totals) == expected

    for table in APPEND_ONLY_TABLES.values():
        for client_id in lake.clients_of(table.name):
            compact(lake, table, client_id)
    second = s3["analytics"].refresh(lake, state_db)
    assert second.downloaded == len(SOURCE_TABLES) * config.clients  # only the compacted parts are new
    with s3["analytics"].connect() as b:
        assert rows(b, totals) == expected
    mirror = mirror_dir(Settings.load().analytics_db_path)
    assert len(list(mirror.rglob("*.parquet"))) == sum(len(list_parts(lake, t)) for t in SOURCE_TABLES)
