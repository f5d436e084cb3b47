"""The creator tables in the lake: append-only parts under `<table>/creator_id=<creator_id>/`, written
by each sync, and every one of a creator's files removed on deletion."""

from __future__ import annotations

import pyarrow as pa

from tiktok_pipelines.core.creator_tables import CREATOR_TABLES
from tiktok_pipelines.stores.lake import put_part
from tiktok_pipelines.stores.objects import ObjectStore


def creator_prefix(table: str, creator_id: str) -> str:
    return f"{table}/creator_id={creator_id}/"


class CreatorLake:
    def __init__(self, objects: ObjectStore):
        self.objects = objects

    def append(self, table: str, creator_id: str, data: pa.Table) -> str | None:
        """One immutable part (None when there is no row)."""
        if table not in CREATOR_TABLES:
            raise KeyError(f"no creator table {table}")
        return put_part(self.objects, creator_prefix(table, creator_id), data.cast(CREATOR_TABLES[table]))

    def keys(self, creator_id: str) -> list[str]:
        """Every file of the creator, in every creator table."""
        return [k for t in CREATOR_TABLES for k in self.objects.list_keys(creator_prefix(t, creator_id))]

    def creators(self) -> list[str]:
        found = set()
        for table in CREATOR_TABLES:
            for key in self.objects.list_keys(f"{table}/creator_id="):
                found.add(key.split("/")[1].partition("=")[2])
        return sorted(found)

    def delete(self, creator_id: str) -> int:
        """Removes every file of the creator; returns how many went."""
        keys = self.keys(creator_id)
        for key in keys:
            self.objects.delete(key)
        return len(keys)
