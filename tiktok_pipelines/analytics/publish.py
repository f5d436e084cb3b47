"""Publishing the analytics database by atomic swap, and opening it to read.

The build writes a new file next to the published one, checkpoints and closes it, and renames it over
the published path (`os.replace`, atomic on one filesystem). An analyst's session opened before keeps
its file (the old inode) and reads the old data until it reopens; a new session sees the new file whole.
Nothing waits on the analyst's lock, so an open session never makes a build fail.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

STALE_BUILD_SECONDS = 3600


def building_path(path: Path, token: str) -> Path:
    return path.with_name(f".{path.name}.building-{token}")


def spill_dir(path: Path) -> Path:
    return path.with_name(f".{path.name}.spill")


def mirror_dir(path: Path) -> Path:
    return path.with_name(f".{path.name}.lake-cache")


def remove_stale_builds(path: Path, older_than: float = STALE_BUILD_SECONDS) -> list[Path]:
    """Deletes files of builds that died (older than `older_than` seconds untouched)."""
    removed = []
    now = time.time()
    for stale in path.parent.glob(f".{path.name}.building-*"):
        try:
            if now - stale.stat().st_mtime > older_than:
                stale.unlink()
                removed.append(stale)
        except FileNotFoundError:
            pass
    return removed


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _set_aside_wal(path: Path) -> Path | None:
    """A write-ahead log next to the published file belongs to the file it replaced (someone opened the
    database read-write): DuckDB would refuse to open the new file with it, so it is set aside."""
    wal = path.with_name(path.name + ".wal")
    if not wal.exists():
        return None
    aside = wal.with_name(f"{wal.name}.stale-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}")
    try:
        os.replace(wal, aside)
    except FileNotFoundError:
        return None
    return aside


def publish(built: Path, path: Path) -> list[Path]:
    """Swaps the closed, checkpointed file `built` in at `path`; returns write-ahead logs set aside."""
    if built.with_name(built.name + ".wal").exists():
        raise RuntimeError(f"{built} still has a write-ahead log: it was not checkpointed and closed")
    _fsync(built)
    aside = [p for p in (_set_aside_wal(path),) if p]
    os.replace(built, path)
    _fsync(path.parent)
    aside += [p for p in (_set_aside_wal(path),) if p]
    return aside


class DatabaseNotFound(FileNotFoundError):
    """No analytics database has been published at the path yet."""


def open_published(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only session on the published database, showing timestamps in UTC."""
    path = Path(path)
    if not path.is_file():
        raise DatabaseNotFound(
            f"no analytics database at {path}: materialize the `analytics` assets (analytics_job) first"
        )
    con = duckdb.connect(str(path), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    return con
