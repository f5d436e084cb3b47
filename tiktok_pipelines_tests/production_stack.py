"""The production configuration in the test run: the state DB and the Dagster instance (dagster-postgres)
on a PostgreSQL server the tests start on loopback, the object store and the lake on S3 and the webhook
queue on SQS, both served by moto's server on loopback.

A test marked `@pytest.mark.backends` runs twice, on `local` (SQLite, folders, the state DB's queue) and on
`production`; the servers start once per session, and each production test gets its own state DB, Dagster
database, S3 prefix and SQS queue. Without PostgreSQL's binaries the production runs are skipped, saying
so (CI installs them: `.ci/run`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from tiktok_pipelines.sandbox.server import free_port

BACKENDS = ("local", "production")
BUCKET = "ttp-production"
REGION = "us-east-1"
AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}


@dataclass(frozen=True)
class ProductionStack:
    postgres: str  # SQLAlchemy URL of the server, without a database
    aws_endpoint: str  # moto: S3 and SQS

    def new_database(self) -> str:
        """A new, empty database on the server; its SQLAlchemy URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        engine = sa.create_engine(f"{self.postgres}/postgres", isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(f"CREATE DATABASE {name}")
        finally:
            engine.dispose()
        return f"{self.postgres}/{name}"

    def new_queue(self) -> str:
        import boto3

        sqs = boto3.client("sqs", endpoint_url=self.aws_endpoint, region_name=REGION, **_credentials())
        return sqs.create_queue(QueueName=f"events-{uuid.uuid4().hex[:12]}")["QueueUrl"]


def _credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": AWS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": AWS["AWS_SECRET_ACCESS_KEY"],
    }


@contextmanager
def fresh_moto(bucket: str = "ttp-test") -> Iterator[str]:
    """moto's server on a free loopback port with an empty S3 bucket `bucket`; yields its endpoint.

    moto keeps buckets and queues in the process, shared by every server started in it (the session's
    production stack's too): the buckets and queues made while this one runs are deleted when it stops,
    so that the next test finds nothing of them (a queue of the same name with an earlier test's
    messages, objects in the bucket)."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    s3 = boto3.resource("s3", endpoint_url=endpoint, region_name=REGION, **_credentials())
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION, **_credentials())
    buckets, queues = {b.name for b in s3.buckets.all()}, set(sqs.list_queues().get("QueueUrls", []))
    try:
        s3.create_bucket(Bucket=bucket)
        yield endpoint
    finally:
        for url in set(sqs.list_queues().get("QueueUrls", [])) - queues:
            sqs.delete_queue(QueueUrl=url)
        for made in [b for b in s3.buckets.all() if b.name not in buckets]:
            made.object_versions.delete()
            made.delete()
        server.stop()


@pytest.fixture(scope="session")
def production_stack(postgres_server: str) -> Iterator[ProductionStack]:
    """PostgreSQL and moto's server (S3 with the bucket `ttp-production`, SQS) on loopback, for the session."""
    with fresh_moto(BUCKET) as endpoint:
        yield ProductionStack(postgres_server, endpoint)


def production_environment(stack: ProductionStack) -> dict[str, str]:
    """The variables of a production deployment on `stack`, with a state DB, prefix and queue of its own."""
    return {
        **AWS,
        "TIKTOK_PIPELINES_DATABASE_URL": stack.new_database(),
        "TIKTOK_PIPELINES_STORAGE": "s3",
        "TIKTOK_PIPELINES_S3_BUCKET": BUCKET,
        "TIKTOK_PIPELINES_S3_PREFIX": f"t-{uuid.uuid4().hex[:12]}",
        "TIKTOK_PIPELINES_S3_ENDPOINT_URL": stack.aws_endpoint,
        "TIKTOK_PIPELINES_S3_REGION": REGION,
        "TIKTOK_PIPELINES_QUEUE": "sqs",
        "TIKTOK_PIPELINES_SQS_QUEUE_URL": stack.new_queue(),
        "TIKTOK_PIPELINES_SQS_ENDPOINT_URL": stack.aws_endpoint,
    }


def postgres_instance_overrides(stack: ProductionStack) -> dict:
    """The Dagster instance's storage (runs, events, schedules) on a new Postgres database, configured as
    a deployment's instance file does (dagster-postgres `postgres_db`). The scheme names the driver:
    SQLAlchemy 2.1 takes a bare `postgresql` for psycopg 3, which the project does not install."""
    url = sa.engine.make_url(stack.new_database())
    database = {"hostname": url.host, "port": url.port, "username": url.username, "db_name": url.database}
    return {"storage": {"postgres": {"postgres_db": {**database, "scheme": "postgresql+psycopg2"}}}}
