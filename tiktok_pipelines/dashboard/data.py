"""Reading the published analytics database for a page: read-only, one session per request.

A session is opened on the published file for each request and closed after it, so a page always
reads one whole build, never blocks the build's atomic swap (the build renames a new file over the
published one; an open session keeps reading the file it opened), and sees the next build at the next
request. Nothing here writes.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from tiktok_pipelines.analytics.publish import DatabaseNotFound, open_published
from tiktok_pipelines.dashboard.filters import Filters
from tiktok_pipelines.dashboard.pages import Section

__all__ = ["Build", "DatabaseNotFound", "Result", "csv_text", "display", "open_session"]


@dataclass(frozen=True)
class Build:
    """What the open database is: when it was built, its reporting time zone and day, its tables and the
    clients, channels and creators it holds (for the filters)."""

    built_at: datetime | None
    timezone: str | None
    day: date | None
    tables: frozenset[str]
    clients: tuple[str, ...]
    channels: tuple[str, ...]
    creators: tuple[str, ...] = ()


@dataclass
class Result:
    section: Section
    columns: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    missing: tuple[str, ...] = ()  # tables the section needs that the database does not have
    seconds: float = 0.0


@contextmanager
def open_session(path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only session on the published file, closed at the end (DatabaseNotFound if none)."""
    con = open_published(path)
    try:
        yield con
    finally:
        con.close()


def read_build(con: duckdb.DuckDBPyConnection) -> Build:
    tables = frozenset(
        r[0]
        for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()
    )
    built_at = timezone = day = None
    if "build_info" in tables:
        row = con.execute(
            "SELECT built_at, timezone, CAST(timezone(timezone, built_at) AS DATE) FROM build_info"
        ).fetchone()
        if row:
            built_at, timezone, day = row
    clients: set[str] = set()
    channels: set[str] = set()
    for table in ("listings", "sales_daily", "sync_health"):
        if table in tables:
            for client_id, channel in con.execute(
                f"SELECT DISTINCT client_id, channel FROM {table}"
            ).fetchall():
                if client_id:
                    clients.add(client_id)
                if channel:
                    channels.add(channel)
    creators: set[str] = set()
    for table in ("creator_growth_daily", "creator_video_performance"):
        if table in tables:
            creators.update(r[0] for r in con.execute(f"SELECT DISTINCT creator_id FROM {table}").fetchall())
    return Build(
        built_at,
        timezone,
        day,
        tables,
        tuple(sorted(clients)),
        tuple(sorted(channels)),
        tuple(sorted(c for c in creators if c)),
    )


def run_section(con: duckdb.DuckDBPyConnection, build: Build, section: Section, filters: Filters) -> Result:

    missing = tuple(t for t in section.requires if t not in build.tables)
    if missing:
        return Result(section, missing=missing)
    where, params = filters.where(section.alias, section.day, section.channel)
    started = time.perf_counter()
    cursor = con.execute(section.sql.format(where=where), params)
    columns = [d[0] for d in cursor.description]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return Result(section, columns, rows, seconds=time.perf_counter() - started)


def display(value: Any) -> str:
    """A value as the page shows it: thousands separated, money with two decimals, instants in UTC."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:,.0f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_text(result: Result) -> str:
    """The section's rows as CSV: plain values (dots for decimals, ISO dates and instants)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow(
            [
                "" if v is None else v.isoformat() if isinstance(v, date | datetime) else v
                for v in (row[c] for c in result.columns)
            ]
        )
    return out.getvalue()
