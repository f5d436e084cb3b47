"""Compaction of the lake's append-only parts: one client's parts of one table merged into one part.

Every run of a producer adds a part, so a long-lived lake holds thousands of small files that make every
read slow. Compaction reads the parts it listed, keeps the newest row per key (every row for fact
tables), writes them as one new part whose Parquet footer names the parts it replaces, publishes it,
and only then deletes the replaced parts. So:

- a part a producer adds while compaction runs was not listed, is neither merged nor deleted, and is
  read next to the compacted part (it is newer, so it wins per key);
- a reader that lists the folder between the publication and the deletions skips the replaced parts
  (they are named in the compacted part's footer): no row is counted twice;
- a crash anywhere leaves either the old parts, or the compacted part plus leftovers that readers skip
  and the next compaction deletes.

Two compactions of the same folder must not run at once: the asset that runs this is in the
`analytics_duckdb` pool, a pool of one.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from tiktok_pipelines.analytics.build import newest_select, source_select
from tiktok_pipelines.analytics.lake import (
    COMPACTED_SUFFIX,
    MANIFEST_KEY,
    LakeFiles,
    list_parts,
    part_name,
    part_stamp,
)
from tiktok_pipelines.core.tables import AppendOnlyTable
from tiktok_pipelines.stores.lake import Lake

BATCH_ROWS = 500_000


@dataclass(frozen=True)
class CompactionResult:
    table: str
    client_id: str
    parts_before: int
    parts_after: int
    rows_before: int
    rows_after: int
    leftovers_deleted: int
    key: str | None  # the compacted part, None when nothing was merged

    def row(self) -> dict:
        return {
            "table": self.table,
            "client_id": self.client_id,
            "parts_before": self.parts_before,
            "parts_after": self.parts_after,
            "rows_before": self.rows_before,
            "rows_after": self.rows_after,
            "versions_dropped": self.rows_before - self.rows_after,
            "leftovers_deleted": self.leftovers_deleted,
        }


def _output_schema(table: AppendOnlyTable, produced: pa.Schema, manifest: list[str]) -> pa.Schema:
    """The contract's fields and types (nullable, as producers write them), then any extra columns."""
    fields = list(table.schema)
    fields += [f for f in produced if f.name not in table.schema.names]
    return pa.schema(fields, metadata={MANIFEST_KEY: json.dumps(manifest).encode()})


def compact(
    lake: Lake,
    table: AppendOnlyTable,
    client_id: str,
    *,
    min_parts: int = 2,
    work_dir: str | Path | None = None,
    memory_limit: str = "1GB",
) -> CompactionResult:
    """Merges the parts of `table` for `client_id` into one when there are at least `min_parts`."""
    keys = list_parts(lake, table.name, client_id)
    with tempfile.TemporaryDirectory(prefix="ttp-compact-", dir=work_dir) as tmp:
        files = LakeFiles(lake, Path(tmp) / "mirror")
        parts = files.resolve(keys)
        if len(parts.keys) < min_parts:
            for key in parts.superseded:
                lake.objects.delete(key)
            n = len(parts.keys)
            return CompactionResult(table.name, client_id, n, n, 0, 0, len(parts.superseded), None)

        con = duckdb.connect(
            config={"memory_limit": memory_limit, "temp_directory": str(Path(tmp) / "spill")}
        )
        try:
            relation = source_select(con, table, parts.paths, keep_extra=True)
            rows_before = con.execute(f"SELECT count(*) FROM ({relation})").fetchall()[0][0]
            if table.key:
                relation = newest_select(table, f"({relation})")
                order = ", ".join(table.key)
            else:
                relation = f'SELECT * EXCLUDE (_file, _row) FROM ({relation}) ORDER BY "{table.time_column}", _file, _row'
                order = ""
            query = f"SELECT * FROM ({relation}) ORDER BY {order}" if order else relation
            manifest = sorted(part_name(k) for k in parts.keys + parts.superseded)
            out_path = Path(tmp) / "compacted.parquet"
            reader = con.sql(query).to_arrow_reader(BATCH_ROWS)
            schema = _output_schema(table, reader.schema, manifest)
            rows_after = 0
            with pq.ParquetWriter(out_path, schema, compression="zstd") as writer:
                for batch in reader:
                    data = pa.Table.from_batches([batch]).select(schema.names).cast(schema)
                    writer.write_table(data, row_group_size=BATCH_ROWS)
                    rows_after += batch.num_rows
        finally:
            con.close()

        stamp = max(part_stamp(k) for k in parts.keys)
        key = f"{table.name}/client_id={client_id}/part-{stamp}-{uuid.uuid4().hex[:8]}{COMPACTED_SUFFIX}"
        lake.objects.put_file(key, out_path)
    # Published: from here on readers skip the replaced parts, so deleting them changes nothing they see.
    for old in parts.keys + parts.superseded:
        lake.objects.delete(old)
    return CompactionResult(
        table.name, client_id, len(parts.keys), 1, rows_before, rows_after, len(parts.superseded), key
    )
