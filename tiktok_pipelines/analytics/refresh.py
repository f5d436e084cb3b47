"""One refresh of the analytics database: list the lake, read the event log, build, publish."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import sqlalchemy as sa

from tiktok_pipelines.analytics.build import ALL_SOURCE_TABLES, EVENT_LOG_SCHEMA, BuildInputs, build_tables
from tiktok_pipelines.analytics.lake import LakeFiles, TableParts, fingerprint, list_parts
from tiktok_pipelines.analytics.notifications import (
    NOTIFICATION_LOG_SCHEMA,
    notification_log_select,
    notifications_watermark,
)
from tiktok_pipelines.analytics.publish import (
    building_path,
    mirror_dir,
    publish,
    remove_stale_builds,
    spill_dir,
)
from tiktok_pipelines.analytics.schema import TABLES
from tiktok_pipelines.core.tables import UTC_TS
from tiktok_pipelines.stores.db import StateDB
from tiktok_pipelines.stores.events import event_log
from tiktok_pipelines.stores.lake import Lake

EVENT_LOG_BATCH = 50_000
PREVIEW_ROWS = 10


@dataclass
class BuildOptions:
    timezone: str = "America/Sao_Paulo"
    memory_limit: str = "4GB"
    threads: int | None = None
    top_n: int = 20


@dataclass
class TableReport:
    name: str
    rows: int
    seconds: float
    columns: list[str]
    preview: list[dict[str, Any]]


@dataclass
class RefreshReport:
    path: Path
    built_at: datetime
    seconds: float
    size_bytes: int
    fingerprint: str
    source_files: int
    source_rows: dict[str, int]
    event_log_rows: int
    downloaded: int
    superseded_parts: int
    orphan_lines: int
    wal_set_aside: list[Path] = field(default_factory=list)
    tables: dict[str, TableReport] = field(default_factory=dict)


def _instants(values: tuple) -> pa.Array:
    """UTC timestamps from what the driver returns: SQLite's naive UTC text (parsed in one vectorized
    cast) or timezone-aware datetimes (Postgres)."""
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, str):
        return pa.array(values, type=pa.string()).cast(pa.timestamp("us")).cast(UTC_TS)
    return pa.array(values, type=UTC_TS)


def read_state_rows(db: StateDB, query: str | sa.Select, schema: pa.Schema) -> pa.Table:
    """Rows of the state DB as Arrow, in batches of plain driver rows: per-row ORM work would cost more
    than the rest of the build on a log of millions of rows. `query` selects the schema's columns in
    its order."""
    batches = []
    with db.read() as conn:
        if not isinstance(query, str):
            query = str(query.compile(dialect=conn.dialect))
        cursor = conn.connection.cursor()  # the driver's own cursor: plain tuples, no ORM rows
        cursor.execute(query)
        while chunk := cursor.fetchmany(EVENT_LOG_BATCH):
            values = list(zip(*chunk, strict=True))
            arrays = [
                _instants(v) if f.type == UTC_TS else pa.array(v, type=f.type)
                for v, f in zip(values, schema, strict=True)
            ]
            batches.append(pa.record_batch(arrays, schema=schema))
        cursor.close()
    return pa.Table.from_batches(batches, schema=schema)


def read_event_log(db: StateDB) -> pa.Table:
    """The columns of the webhook event log the build needs."""
    names = EVENT_LOG_SCHEMA.names
    return read_state_rows(db, f"SELECT {', '.join(names)} FROM {event_log.name}", EVENT_LOG_SCHEMA)


def read_notifications(db: StateDB) -> pa.Table:
    """The notification outbox's counts and instants (no facts, no destination)."""
    return read_state_rows(db, notification_log_select(), NOTIFICATION_LOG_SCHEMA)


def event_log_watermark(db: StateDB) -> str:
    """Changes whenever an event is recorded or its handling is."""
    c = event_log.c
    query = sa.select(
        sa.func.count(),
        sa.func.max(c.id),
        sa.func.max(c.handled_at),
        sa.func.sum(sa.case((c.status == "pending", 1), else_=0)),
    )
    with db.read() as conn:
        return repr(tuple(conn.execute(query).one()))


def state_watermark(db: StateDB) -> str:
    """Changes whenever what the build reads of the state DB does (the event log, the outbox)."""
    return event_log_watermark(db) + notifications_watermark(db)


def inputs_fingerprint(lake: Lake, db: StateDB) -> str:
    """A digest of everything a build reads; equal digests build equal tables (but for `built_at`)."""
    keys = [k for t in ALL_SOURCE_TABLES for k in list_parts(lake, t)]
    return fingerprint(keys, state_watermark(db))


def _preview(con: duckdb.DuckDBPyConnection, name: str, order: str) -> tuple[list[str], list[dict]]:
    result = con.execute(f"SELECT * FROM {name} ORDER BY {order} LIMIT {PREVIEW_ROWS}")
    columns = [d[0] for d in result.description]
    rows = [dict(zip(columns, (_short(v) for v in row), strict=True)) for row in result.fetchall()]
    return columns, rows


def _short(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return value


def refresh(
    lake: Lake,
    db: StateDB,
    path: str | Path,
    options: BuildOptions | None = None,
    as_of: datetime | None = None,
    log=None,
) -> RefreshReport:
    """Builds the analytics database from the lake and the event log in a new file and publishes it."""
    options = options or BuildOptions()
    path = Path(path).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    built_at = as_of or datetime.now(UTC)
    for stale in remove_stale_builds(path):
        if log:
            log.warning("removed %s, left by a build that did not finish", stale.name)

    files = LakeFiles(lake, mirror_dir(path))
    keys = {t: list_parts(lake, t) for t in ALL_SOURCE_TABLES}
    watermark = state_watermark(db)
    parts: dict[str, TableParts] = {t: files.resolve(keys[t]) for t in ALL_SOURCE_TABLES}
    events = read_event_log(db)
    inputs = BuildInputs(
        files={t: p.paths for t, p in parts.items()},
        event_log=events,
        notifications=read_notifications(db),
        timezone=options.timezone,
        as_of=built_at,
        top_n=options.top_n,
        fingerprint=fingerprint([k for t in ALL_SOURCE_TABLES for k in keys[t]], watermark),
    )

    built = building_path(path, uuid.uuid4().hex[:12])
    spill = spill_dir(path)
    spill.mkdir(exist_ok=True)
    config: dict[str, Any] = {"memory_limit": options.memory_limit, "temp_directory": str(spill)}
    if options.threads:
        config["threads"] = options.threads
    try:
        con = duckdb.connect(str(built), config=config)
        try:
            seconds = build_tables(con, inputs, log)
            reports = {}
            for table in TABLES:
                rows = con.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]
                columns, preview = _preview(con, table.name, table.preview_order)
                reports[table.name] = TableReport(
                    table.name, rows, seconds.get(table.name, 0.0), columns, preview
                )
            source_rows = {
                t: con.execute(f"SELECT count(*) FROM src_{t}").fetchone()[0]
                for t in ("orders", "order_lines")
            }
            orphans = con.execute(
                "SELECT count(*) FROM order_lines l ANTI JOIN orders o USING (client_id, order_id)"
            ).fetchone()[0]
            con.execute("CHECKPOINT")
        finally:
            con.close()
        aside = publish(built, path)
    finally:
        built.unlink(missing_ok=True)
        built.with_name(built.name + ".wal").unlink(missing_ok=True)
    for wal in aside:
        if log:
            log.warning(
                "set aside %s: someone opened the analytics database read-write (open it read-only)", wal.name
            )
    files.prune(k for p in parts.values() for k in p.keys)
    return RefreshReport(
        path=path,
        built_at=built_at,
        seconds=time.monotonic() - started,
        size_bytes=path.stat().st_size,
        fingerprint=inputs.fingerprint,
        source_files=sum(len(p.keys) for p in parts.values()),
        source_rows=source_rows,
        event_log_rows=events.num_rows,
        downloaded=files.downloaded,
        superseded_parts=sum(len(p.superseded) for p in parts.values()),
        orphan_lines=orphans,
        wal_set_aside=aside,
        tables=reports,
    )
