"""The object store and the Parquet lake as Dagster resources, wrapping `stores.objects` and `stores.lake`.

`ObjectStore` is one abstract resource with two kinds, picked by configuration: `LocalObjectStore` (a
folder) and `S3ObjectStore` (a bucket through dagster-aws `S3Resource`). `ParquetLake` keeps its tables
in one of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow as pa
from dagster_aws.s3 import S3Resource
from pydantic import PrivateAttr

from tiktok_pipelines.core.tables import ParquetRowWriter
from tiktok_pipelines.stores import lake as plain_lake
from tiktok_pipelines.stores import objects as plain


class ObjectStore(dg.ConfigurableResource):
    """Stores named blobs (keys like `feeds/<client_id>/<hash>.xml`)."""

    def store(self) -> plain.ObjectStore:
        """The store itself (`stores.objects`)."""
        raise NotImplementedError

    def put_file(self, key: str, path: str | Path) -> None:
        self.store().put_file(key, path)

    def put_bytes(self, key: str, data: bytes) -> None:
        self.store().put_bytes(key, data)

    def get_bytes(self, key: str) -> bytes:
        return self.store().get_bytes(key)

    def exists(self, key: str) -> bool:
        return self.store().exists(key)

    def delete(self, key: str) -> None:
        self.store().delete(key)

    def list_keys(self, prefix: str) -> list[str]:
        return self.store().list_keys(prefix)

    def uri(self, key: str) -> str:
        return self.store().uri(key)

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """A readable local file holding the object (the file itself for a local store)."""
        with self.store().local_copy(key) as path:
            yield path

    def local_path(self, key: str) -> Path | None:
        """The object's own file when the store is a local folder (readers may open it in place)."""
        return self.store().local_path(key)

    def download(self, key: str, dest: str | Path) -> None:
        """Copies the object to `dest`, which appears whole or not at all."""
        self.store().download(key, dest)


class LocalObjectStore(ObjectStore):
    """Objects as files under `base_dir`."""

    base_dir: str

    def store(self) -> plain.LocalObjectStore:
        return plain.LocalObjectStore(self.base_dir)


class S3ObjectStore(ObjectStore):
    """Objects in an S3 bucket under `prefix`."""

    s3: S3Resource
    bucket: str
    prefix: str = ""

    _store: plain.S3ObjectStore | None = PrivateAttr(default=None)

    def store(self) -> plain.S3ObjectStore:
        if self._store is None:
            self._store = plain.S3ObjectStore(self.s3.get_client, self.bucket, self.prefix)
        return self._store


class ParquetLake(dg.ConfigurableResource):
    """One Parquet file per table per client: `<table>/client_id=<client_id>/<table>.parquet`.

    Readers (DuckDB, the analytics build, analysts) can glob a table over every client with Hive
    partitioning. A table is published whole and atomically: readers see the old file or the new one.
    """

    objects: ObjectStore

    def lake(self) -> plain_lake.ParquetLake:
        """The lake itself (`stores.lake`), over this resource's object store."""
        return plain_lake.ParquetLake(self.objects)

    @staticmethod
    def key(table: str, client_id: str) -> str:
        return plain_lake.table_key(table, client_id)

    @contextmanager
    def writer(
        self, table: str, client_id: str, schema: pa.Schema, **options: Any
    ) -> Iterator[ParquetRowWriter]:
        """Stream rows into the table; published when the block ends without error. `options` are the lake
        writer's (`stores.lake.ParquetLake.writer`: batch rows, dictionary columns, a columns builder)."""
        with self.lake().writer(table, client_id, schema, **options) as w:
            yield w

    def write_table(self, table: str, client_id: str, data: pa.Table) -> None:
        self.lake().write_table(table, client_id, data)

    def append_part(self, table: str, client_id: str, data: pa.Table) -> str | None:
        """Adds one immutable part file to an append-only table; returns its key (None if empty)."""
        return self.lake().append_part(table, client_id, data)

    def parts(self, table: str, client_id: str) -> list[str]:
        return self.lake().parts(table, client_id)

    def exists(self, table: str, client_id: str) -> bool:
        return self.lake().exists(table, client_id)

    def read_table(self, table: str, client_id: str, columns: list[str] | None = None) -> pa.Table | None:
        return self.lake().read_table(table, client_id, columns)

    @contextmanager
    def local_copy(self, table: str, client_id: str) -> Iterator[Path]:
        with self.lake().local_copy(table, client_id) as path:
            yield path

    def clients_of(self, table: str) -> list[str]:
        return self.lake().clients_of(table)
