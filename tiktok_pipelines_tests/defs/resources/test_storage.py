import boto3
import dagster as dg
import pyarrow as pa
import pytest

from tiktok_pipelines.defs.catalog.feed import feed_products, feed_xml
from tiktok_pipelines.defs.resources import build_resources
from tiktok_pipelines.defs.resources.storage import LocalObjectStore, ParquetLake
from tiktok_pipelines.settings import Settings


def test_local_store_writes_atomically_and_lists(tmp_path):
    store = LocalObjectStore(base_dir=str(tmp_path))
    store.put_bytes("a/b/c.txt", b"1")
    store.put_bytes("a/b/c.txt", b"2")
    assert store.get_bytes("a/b/c.txt") == b"2"
    assert store.list_keys("a/") == ["a/b/c.txt"]
    assert not list(tmp_path.rglob("*.tmp"))
    with pytest.raises(ValueError):
        store.put_bytes("../escape", b"x")
    with pytest.raises(KeyError):
        store.get_bytes("missing")


def test_a_failed_lake_write_leaves_the_old_table(tmp_path):
    lake = ParquetLake(objects=LocalObjectStore(base_dir=str(tmp_path)))
    schema = pa.schema([("client_id", pa.string()), ("n", pa.int64())])
    with lake.writer("t", "c1", schema) as w:
        w.append({"client_id": "c1", "n": 1})
    with pytest.raises(RuntimeError), lake.writer("t", "c1", schema) as w:
        w.append({"client_id": "c1", "n": 2})
        raise RuntimeError("crash mid-write")
    assert lake.read_table("t", "c1").column("n").to_pylist() == [1]
    assert lake.clients_of("t") == ["c1"]


@pytest.mark.e2e
def test_feed_assets_on_s3(moto_server, monkeypatch, sandbox, demo_client, instance):
    monkeypatch.setenv("TIKTOK_PIPELINES_STORAGE", "s3")
    monkeypatch.setenv("TIKTOK_PIPELINES_S3_BUCKET", "ttp-test")
    monkeypatch.setenv("TIKTOK_PIPELINES_S3_ENDPOINT_URL", moto_server)
    resources = build_resources(Settings.load())
    result = dg.materialize(
        [feed_xml, feed_products], partition_key="demo", instance=instance, resources=resources
    )
    assert result.success
    s3 = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="ttp-test")["Contents"]]
    assert any(k.startswith("tiktok-pipelines/objects/feeds/demo/") for k in keys)
    assert "tiktok-pipelines/lake/feed_products/client_id=demo/feed_products.parquet" in keys
    table = resources["lake"].read_table("feed_products", "demo")
    assert table.num_rows == len(sandbox.demo_catalog.skus())
