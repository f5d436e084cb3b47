"""Reading the lake's append-only parts as local files, whatever store holds them.

A local store's parts are read in place. Any other store (S3) is mirrored into a cache folder: parts are
immutable and named uniquely, so a part once downloaded never needs downloading again, and the mirror
only fetches what is new since the last build.

Compaction (see `compaction.py`) replaces several parts by one whose Parquet footer names the parts it
replaces; until those are deleted, readers skip them, so a reader never counts a row twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from tiktok_pipelines.stores.lake import Lake

MANIFEST_KEY = b"tiktok_pipelines.compacted_from"
COMPACTED_SUFFIX = "-compacted.parquet"
# The folder of a part: a client's (`client_id=`), or a creator's for the creator tables.
PARTITION_COLUMNS = ("client_id", "creator_id")


def part_name(key: str) -> str:
    return key.rsplit("/", 1)[-1]


def is_part(key: str, table: str) -> bool:
    pieces = key.split("/")
    return (
        len(pieces) == 3
        and pieces[0] == table
        and pieces[1].partition("=")[0] in PARTITION_COLUMNS
        and pieces[2].startswith("part-")
        and pieces[2].endswith(".parquet")
    )


def client_of(key: str) -> str:
    """The value of the part's folder: the client's id (a creator's, for the creator tables)."""
    return key.split("/")[1].partition("=")[2]


def part_stamp(key: str) -> str:
    """The UTC stamp in a part's name (`part-<stamp>-<id>...`): the order parts were written in."""
    return part_name(key).split("-")[1]


def list_parts(lake: Lake, table: str, client_id: str | None = None) -> list[str]:
    """Keys of a table's parts (of one client, or of every client), in the order they were written."""
    prefix = f"{table}/client_id={client_id}/" if client_id else f"{table}/"
    return sorted(
        (k for k in lake.objects.list_keys(prefix) if is_part(k, table)),
        key=lambda k: (client_of(k), part_name(k)),
    )


def read_manifest(path: str | Path) -> list[str]:
    """Names of the parts a compacted part replaces (empty for an ordinary part)."""
    metadata = pq.read_schema(path).metadata or {}
    raw = metadata.get(MANIFEST_KEY)
    return json.loads(raw) if raw else []


def fingerprint(keys: Iterable[str], extra: str = "") -> str:
    digest = hashlib.sha256()
    for key in sorted(keys):
        digest.update(key.encode())
        digest.update(b"\n")
    digest.update(extra.encode())
    return digest.hexdigest()[:32]


@dataclass
class TableParts:
    """The parts of one table a reader should read, and the leftovers of an interrupted compaction."""

    keys: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)


class LakeFiles:
    """Local paths of lake parts: the files themselves for a local store, a mirror for the others."""

    def __init__(self, lake: Lake, cache_dir: str | Path):
        self.lake = lake
        self.cache_dir = Path(cache_dir)
        self.downloaded = 0
        # A store that can hand out its own files is read in place; the others are mirrored.
        self.mirrored = lake.objects.local_path("probe") is None

    def path(self, key: str) -> Path:
        local = self.lake.objects.local_path(key)
        if local is not None:
            return local
        target = self.cache_dir / key
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            self.lake.objects.download(key, target)
            self.downloaded += 1
        return target

    def resolve(self, keys: Sequence[str]) -> TableParts:
        """Local files of the parts to read among `keys`, leaving out parts a compacted part replaces."""
        superseded: set[tuple[str, str]] = set()
        for key in keys:
            if key.endswith(COMPACTED_SUFFIX):
                folder = key.rsplit("/", 1)[0]
                superseded.update((folder, name) for name in read_manifest(self.path(key)))
        out = TableParts()
        for key in keys:
            if tuple(key.rsplit("/", 1)) in superseded:
                out.superseded.append(key)
            else:
                out.keys.append(key)
                out.paths.append(str(self.path(key)))
        return out

    def prune(self, keep: Iterable[str]) -> int:
        """Deletes mirrored files no longer in the lake (compacted away); returns how many."""
        if not self.mirrored or not self.cache_dir.is_dir():
            return 0
        wanted = {self.cache_dir / k for k in keep}
        removed = 0
        for path in self.cache_dir.rglob("*.parquet"):
            if path not in wanted:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
