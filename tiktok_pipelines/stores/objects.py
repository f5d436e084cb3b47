"""The object store (raw feed snapshots, webhook bodies, invoice XML, and the lake's files): named blobs
under keys like `feeds/<client_id>/<hash>.xml`, in a local folder or an S3 bucket.

Writes are atomic on both kinds: a local write goes to a temporary file that is renamed into place; an
S3 PUT is atomic by nature. Plain classes, no Dagster: `defs/resources/storage.py` wraps them as the
configurable `ObjectStore` resource.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol


class ObjectStore(Protocol):
    """Stores named blobs (keys like `feeds/<client_id>/<hash>.xml`)."""

    def put_file(self, key: str, path: str | Path) -> None: ...

    def put_bytes(self, key: str, data: bytes) -> None: ...

    def get_bytes(self, key: str) -> bytes:
        """The object's bytes; KeyError when there is none."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def list_keys(self, prefix: str) -> list[str]: ...

    def uri(self, key: str) -> str: ...

    def local_copy(self, key: str) -> AbstractContextManager[Path]:
        """A readable local file holding the object (the file itself for a local store)."""
        ...

    def local_path(self, key: str) -> Path | None:
        """The object's own file when the store is a local folder (readers may open it in place)."""
        ...

    def download(self, key: str, dest: str | Path) -> None:
        """Copies the object to `dest`, which appears whole or not at all."""
        ...


def check_key(key: str) -> str:
    if not key or key.startswith("/") or any(part in ("", ".", "..") for part in key.split("/")):
        raise ValueError(f"invalid object key {key!r}")
    return key


def _replace_whole(dest: str | Path, write: Callable[[Path], None]) -> None:
    """Writes `dest` through a temporary file beside it, renamed into place once whole."""
    dest = Path(dest)
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


class LocalObjectStore:
    """Objects as files under `base_dir`."""

    def __init__(self, base_dir: str | Path):
        self.base_dir = str(base_dir)

    def _path(self, key: str) -> Path:
        return Path(self.base_dir) / check_key(key)

    def put_file(self, key: str, path: str | Path) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)

        def copy(tmp: Path) -> None:
            shutil.copyfile(path, tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())

        _replace_whole(target, copy)

    def put_bytes(self, key: str, data: bytes) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())

        _replace_whole(target, write)

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

    def download(self, key: str, dest: str | Path) -> None:
        def copy(tmp: Path) -> None:
            with self.local_copy(key) as path:
                shutil.copyfile(path, tmp)

        _replace_whole(dest, copy)


def _missing(client: Any, exc: Exception) -> bool:
    return isinstance(exc, client.exceptions.ClientError) and exc.response.get("Error", {}).get("Code") in (
        "404",
        "NoSuchKey",
        "NotFound",
    )


class S3ObjectStore:
    """Objects in an S3 bucket under `prefix`; `client()` gives the boto3 S3 client (made once)."""

    def __init__(self, client: Callable[[], Any], bucket: str, prefix: str = ""):
        self._make_client = client
        self._client: Any = None
        self.bucket = bucket
        self.prefix = prefix

    def _s3(self) -> Any:
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def _key(self, key: str) -> str:
        check_key(key)
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
            if _missing(client, exc):
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

    def _fetch(self, key: str, dest: Path) -> None:
        client = self._s3()
        try:
            client.download_file(self.bucket, self._key(key), str(dest))
        except client.exceptions.ClientError as exc:
            if _missing(client, exc):
                raise KeyError(key) from None
            raise

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        fd, name = tempfile.mkstemp(prefix="ttp-", suffix="-" + key.rsplit("/", 1)[-1])
        os.close(fd)
        path = Path(name)
        try:
            self._fetch(key, path)
            yield path
        finally:
            path.unlink(missing_ok=True)

    def local_path(self, key: str) -> Path | None:
        return None

    def download(self, key: str, dest: str | Path) -> None:
        _replace_whole(dest, lambda tmp: self._fetch(key, tmp))
