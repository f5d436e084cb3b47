"""The object store and the lake as plain classes, without Dagster: what the analytics build, the
compaction and any plain-Python service work with."""

import pyarrow as pa
import pytest

from tiktok_pipelines.analytics.lake import list_parts
from tiktok_pipelines.stores.lake import ParquetLake
from tiktok_pipelines.stores.objects import LocalObjectStore


def test_a_plain_lake_publishes_tables_and_parts_atomically(tmp_path):
    lake = ParquetLake(LocalObjectStore(tmp_path))
    schema = pa.schema([("client_id", pa.string()), ("n", pa.int64())])
    lake.write_table("t", "c1", pa.table({"client_id": ["c1"], "n": [1]}, schema=schema))
    with pytest.raises(RuntimeError), lake.writer("t", "c1", schema) as w:
        w.append({"client_id": "c1", "n": 2})
        raise RuntimeError("crash mid-write")
    assert lake.read_table("t", "c1").column("n").to_pylist() == [1]
    first = lake.append_part("stock_history", "c1", pa.table({"n": [1]}))
    second = lake.append_part("stock_history", "c1", pa.table({"n": [2]}))
    assert lake.append_part("stock_history", "c1", pa.table({"n": pa.array([], pa.int64())})) is None
    assert list_parts(lake, "stock_history") == [first, second]  # the analytics build reads it as is
    assert not list(tmp_path.rglob("*.tmp"))
    target = tmp_path / "copy.parquet"
    lake.objects.download(ParquetLake.key("t", "c1"), target)
    assert target.read_bytes() == (tmp_path / "t" / "client_id=c1" / "t.parquet").read_bytes()
    with pytest.raises(KeyError):
        lake.objects.download("t/client_id=c2/t.parquet", tmp_path / "none.parquet")
    assert not (tmp_path / "none.parquet").exists()
