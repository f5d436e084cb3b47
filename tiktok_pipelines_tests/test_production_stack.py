"""The production backend of the test run is what it says: the state DB and the Dagster instance on
Postgres, the object store and the lake on S3, the queue on SQS; nothing falls back to the data dir."""

import boto3
import dagster as dg
import pytest

from tiktok_pipelines.defs.catalog.feed import feed_products, feed_xml
from tiktok_pipelines.defs.resources import build_resources
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.schema import head, version
from tiktok_pipelines.stores.sqs_queue import SqsEventQueue
from tiktok_pipelines_tests.production_stack import BUCKET, REGION

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("backend", ["production"], indirect=True)
def test_the_production_backend_runs_on_postgres_s3_and_sqs(
    backend, sandbox, demo_client, instance, state_db, production_stack, isolated_env
):
    settings = Settings.load()
    resources = build_resources(settings)
    result = dg.materialize(
        [feed_xml, feed_products], partition_key="demo", instance=instance, resources=resources
    )

    assert result.success
    assert state_db.engine.dialect.name == "postgresql" and version(state_db.engine).current == head()
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    assert [r.run_id for r in instance.get_runs()] == [result.run_id]
    prefix = settings.require("TIKTOK_PIPELINES_S3_PREFIX")
    s3 = boto3.client("s3", endpoint_url=production_stack.aws_endpoint, region_name=REGION)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/")["Contents"]]
    assert any(k.startswith(f"{prefix}/objects/feeds/demo/") for k in keys)
    assert f"{prefix}/lake/feed_products/client_id=demo/feed_products.parquet" in keys
    data_dir = settings.data_dir
    assert not (data_dir / "objects").exists() and not (data_dir / "lake").exists()
    assert isinstance(resources["event_queue"].open(), SqsEventQueue)


def test_a_test_on_moto_finds_nothing_an_earlier_test_left():
    """moto keeps its state in the process: a queue and a bucket's objects of a test before (on the
    same worker) must not show up in the next one's."""
    from tiktok_pipelines_tests.production_stack import AWS, fresh_moto

    credentials = {"aws_access_key_id": AWS["AWS_ACCESS_KEY_ID"], "aws_secret_access_key": "testing"}
    for leave_behind in (True, False):
        with fresh_moto() as endpoint:
            sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION, **credentials)
            s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION, **credentials)
            url = sqs.create_queue(QueueName="events.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
            if leave_behind:
                sqs.send_message(
                    QueueUrl=url, MessageBody="left", MessageGroupId="g", MessageDeduplicationId="1"
                )
                s3.put_object(Bucket="ttp-test", Key="left.txt", Body=b"left")
            else:
                assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", []) == []
                assert s3.list_objects_v2(Bucket="ttp-test").get("KeyCount") == 0
