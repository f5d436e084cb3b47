"""The object store (raw feed snapshots, webhook bodies, invoice XML) and the Parquet lake.

`ObjectStore` is one abstract resource with two kinds, picked by configuration: `LocalObjectStore`
(a folder) and `S3ObjectStore` (a bucket through dagster-aws `S3Resource`). Writes are atomic on both:
a local write goes to a temporary file that is renamed into place; an S3 PUT is atomic by nature.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
from dagster_aws.s3 import S3Resource
from pydantic import PrivateAttr

from tiktok_pipelines.core.tables import ParquetRowWriter


def _check_key(key: str) -> str:
    if not key or key.startswith("/") or any(part in ("", ".", "..") for part in key.split("/")):
        raise ValueError(f"invalid object key {key!r}")
    return key


class ObjectStore(dg.ConfigurableResource):
    """Stores named blobs (keys like `feeds/<client_id>/<hash>.xml`)."""

    def put_file(self, key: str, path: str | Path) -> None:
        raise NotImplementedError

    def put_bytes(self, key: str, data: bytes) -> None:
        raise NotImplementedError

    def get_bytes(self, key: str) -> bytes:
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError

    def list_keys(self, prefix: str) -> list[str]:
        raise NotImplementedError

    def uri(self, key: str) -> str:
        raise NotImplementedError

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """A readable local file holding the object (the file itself for a local store)."""
        raise NotImplementedError
        yield  # pragma: no cover

    def local_path(self, key: str) -> Path | None:
        """The object's own file when the store is a local folder (readers may open it in place)."""
        return None

    def download(self, key: str, dest: str | Path) -> None:
        """Copies the object to `dest`, which appears whole or not at all."""
        dest = Path(dest)
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.tmp")
        try:
            with self.local_copy(key) as path:
                shutil.copyfile(path, tmp)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)


class LocalObjectStore(ObjectStore):
    """Objects as files under `base_dir`."""

    base_dir: str

    def _path(self, key: str) -> Path:
        return Path(self.base_dir) / _check_key(key)

    def put_file(self, key: str, path: str | Path) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        try:
            shutil.copyfile(path, tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    def put_bytes(self, key: str, data: bytes) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def list_keys(self, prefix: str) -> list[str]:
        base = Path(self.base_dir)
        root = base / prefix if prefix else base
        start = root if root.is_dir() else root.parent
        if not start.exists():
            return []
        keys = []
        for path in start.rglob("*"):
            if path.is_file() and not path.name.startswith("."):
                key = path.relative_to(base).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys)

    def uri(self, key: str) -> str:
        return self._path(key).resolve().as_uri()

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.is_file():
            raise KeyError(key)
        yield path

    def local_path(self, key: str) -> Path | None:
        return self._path(key)


class S3ObjectStore(ObjectStore):
    """Objects in an S3 bucket under `prefix`."""

    s3: S3Resource
    bucket: str
    prefix: str = ""

    _client = PrivateAttr(default=None)

    def _s3(self):
        if self._client is None:
            self._client = self.s3.get_client()
        return self._client

    def _key(self, key: str) -> str:
        _check_key(key)
        return f"{self.prefix.strip('/')}/{key}" if self.prefix.strip("/") else key

    def put_file(self, key: str, path: str | Path) -> None:
        self._s3().upload_file(str(path), self.bucket, self._key(key))

    def put_bytes(self, key: str, data: bytes) -> None:
        self._s3().put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def get_bytes(self, key: str) -> bytes:
        client = self._s3()
        try:
            return client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except client.exceptions.NoSuchKey:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        client = self._s3()
        try:
            client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def delete(self, key: str) -> None:
        self._s3().delete_object(Bucket=self.bucket, Key=self._key(key))

    def list_keys(self, prefix: str) -> list[str]:
        base = self._key("x")[:-1]
        paginator = self._s3().get_paginator("list_objects_v2")
        keys = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=base + prefix):
            keys.extend(obj["Key"][len(base) :] for obj in page.get("Contents", []))
        return sorted(keys)

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        fd, name = tempfile.mkstemp(prefix="ttp-", suffix="-" + key.rsplit("/", 1)[-1])
        os.close(fd)
        path = Path(name)
        client = self._s3()
        try:
            try:
                client.download_file(self.bucket, self._key(key), name)
            except client.exceptions.ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    raise KeyError(key) from None
                raise
            yield path
        finally:
            path.unlink(missing_ok=True)

    def download(self, key: str, dest: str | Path) -> None:
        dest = Path(dest)
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.tmp")
        client = self._s3()
        try:
            try:
                client.download_file(self.bucket, self._key(key), str(tmp))
            except client.exceptions.ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    raise KeyError(key) from None
                raise
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)


class ParquetLake(dg.ConfigurableResource):
    """One Parquet file per table per client: `<table>/client_id=<client_id>/<table>.parquet`.

    Readers (DuckDB, the analytics build, analysts) can glob a table over every client with Hive
    partitioning. A table is published whole and atomically: readers see the old file or the new one.
    """

    objects: ObjectStore

    @staticmethod
    def key(table: str, client_id: str) -> str:
        return f"{table}/client_id={client_id}/{table}.parquet"

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
        if data.num_rows == 0:
            return None
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        key = f"{table}/client_id={client_id}/part-{stamp}-{uuid.uuid4().hex[:8]}.parquet"
        with tempfile.TemporaryDirectory(prefix="ttp-lake-") as tmp:
            path = Path(tmp) / "part.parquet"
            pq.write_table(data, path, compression="zstd")
            self.objects.put_file(key, path)
        return key

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
