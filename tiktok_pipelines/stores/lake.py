"""The Parquet lake: one Parquet file per table per client, `<table>/client_id=<client_id>/<table>.parquet`,
and the append-only tables' part files beside it, in an object store.

Readers (DuckDB, the analytics build, analysts) can glob a table over every client with Hive
partitioning. A table is published whole and atomically: readers see the old file or the new one. Plain
classes, no Dagster: `defs/resources/storage.py` wraps `ParquetLake` as the `lake` resource.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from tiktok_pipelines.core.tables import ParquetRowWriter
from tiktok_pipelines.stores.objects import ObjectStore


class Lake(Protocol):
    """A lake as its readers see it: the object store holding its files (the analytics build and the
    compaction list, read and replace part files there)."""

    @property
    def objects(self) -> ObjectStore: ...


def table_key(table: str, client_id: str) -> str:
    return f"{table}/client_id={client_id}/{table}.parquet"


def put_part(objects: ObjectStore, prefix: str, data: pa.Table) -> str | None:
    """One immutable part file of an append-only table under `prefix`, named by its time and a random
    suffix so that parts sort by age and never collide; its key (None when there is no row)."""
    if data.num_rows == 0:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    key = f"{prefix}part-{stamp}-{uuid.uuid4().hex[:8]}.parquet"
    with tempfile.TemporaryDirectory(prefix="ttp-lake-") as tmp:
        path = Path(tmp) / "part.parquet"
        pq.write_table(data, path, compression="zstd")
        objects.put_file(key, path)
    return key


class ParquetLake:
    """One Parquet file per table per client in `objects`, plus the parts of append-only tables."""

    def __init__(self, objects: ObjectStore):
        self.objects = objects

    @staticmethod
    def key(table: str, client_id: str) -> str:
        return table_key(table, client_id)

    @contextmanager
    def writer(
        self,
        table: str,
        client_id: str,
        schema: pa.Schema,
        batch_rows: int = 5_000,
        dictionary_columns: Sequence[str] | None = None,
        columns_of: Callable[[list[Any]], list[Sequence[Any]]] | None = None,
    ) -> Iterator[ParquetRowWriter]:
        """Stream rows into the table; published when the block ends without error."""
        with tempfile.TemporaryDirectory(prefix="ttp-lake-") as tmp:
            path = Path(tmp) / f"{table}.parquet"
            writer = ParquetRowWriter(
                path,
                schema,
                batch_rows=batch_rows,
                dictionary_columns=dictionary_columns,
                columns_of=columns_of,
            )
            try:
                yield writer
            except BaseException:
                writer.abort()
                raise
            writer.close()
            self.objects.put_file(self.key(table, client_id), path)

    def write_table(self, table: str, client_id: str, data: pa.Table) -> None:
        with tempfile.TemporaryDirectory(prefix="ttp-lake-") as tmp:
            path = Path(tmp) / f"{table}.parquet"
            pq.write_table(data, path, compression="zstd")
            self.objects.put_file(self.key(table, client_id), path)

    def append_part(self, table: str, client_id: str, data: pa.Table) -> str | None:
        """Adds one immutable part file to an append-only table; returns its key (None if empty)."""
        return put_part(self.objects, f"{table}/client_id={client_id}/", data)

    def parts(self, table: str, client_id: str) -> list[str]:
        return [
            k
            for k in self.objects.list_keys(f"{table}/client_id={client_id}/")
            if k.rsplit("/", 1)[-1].startswith("part-")
        ]

    def exists(self, table: str, client_id: str) -> bool:
        return self.objects.exists(self.key(table, client_id))

    def read_table(self, table: str, client_id: str, columns: list[str] | None = None) -> pa.Table | None:
        key = self.key(table, client_id)
        try:
            with self.objects.local_copy(key) as path:
                return pq.read_table(path, columns=columns)
        except KeyError:
            return None

    @contextmanager
    def local_copy(self, table: str, client_id: str) -> Iterator[Path]:
        with self.objects.local_copy(self.key(table, client_id)) as path:
            yield path

    def clients_of(self, table: str) -> list[str]:
        prefix = f"{table}/client_id="
        return sorted({k[len(prefix) :].split("/", 1)[0] for k in self.objects.list_keys(prefix)})
