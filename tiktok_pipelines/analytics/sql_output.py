"""Printing query results for the command line: an aligned table, CSV or JSON."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, TextIO

BATCH = 10_000


def _text(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return repr(round(value, 6))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        as_float = float(value)
        # A number when a float holds it exactly (money always fits), else the exact digits as text.
        return as_float if Decimal(repr(as_float)) == value else str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def write_result(result, output: str, max_rows: int, out: TextIO) -> int:
    """Writes a DuckDB result; returns the rows written. Statements without rows print nothing."""
    if result.description is None:
        return 0
    columns = [d[0] for d in result.description]
    if output == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        count = 0
        while rows := result.fetchmany(BATCH):
            writer.writerows([["" if v is None else _text(v) for v in row] for row in rows])
            count += len(rows)
        return count
    if output == "json":
        out.write("[")
        count = 0
        while rows := result.fetchmany(BATCH):
            for row in rows:
                out.write(",\n" if count else "\n")
                out.write(
                    json.dumps(dict(zip(columns, map(_json_value, row), strict=True)), ensure_ascii=False)
                )
                count += 1
        out.write("\n]\n" if count else "]\n")
        return count
    rows = result.fetchmany(max_rows + 1)
    more = len(rows) > max_rows
    rows = rows[:max_rows]
    cells = [[_text(v) for v in row] for row in rows]
    right = [any(_numeric(row[i]) for row in rows) for i in range(len(columns))]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)
        ).rstrip()

    out.write(line(columns) + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        out.write(line(row) + "\n")
    if more:
        out.write(f"(first {max_rows} rows shown; use --max-rows, --csv or --json for more)\n")
    else:
        out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")
    return len(rows)
