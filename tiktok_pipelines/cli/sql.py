"""`sql`: read-only SQL on the published analytics database."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tiktok_pipelines.cli.common import EXIT_INVALID, EXIT_NOT_FOUND, fail
from tiktok_pipelines.settings import Settings


@click.command("sql")
@click.argument("query", required=False)
@click.option(
    "-f",
    "--file",
    "sql_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read the SQL from this file ('-' for standard input).",
)
@click.option("--csv", "output", flag_value="csv", help="Print CSV (every row).")
@click.option("--json", "output", flag_value="json", help="Print a JSON array of objects (every row).")
@click.option(
    "--max-rows",
    default=200,
    show_default=True,
    type=click.IntRange(min=1),
    help="Rows printed as a table; --csv and --json print them all.",
)
@click.option(
    "--database",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The DuckDB file (default: the published one, TIKTOK_PIPELINES_ANALYTICS_DB).",
)
def sql(
    query: str | None, sql_file: Path | None, output: str | None, max_rows: int, database: Path | None
) -> None:
    """Run SQL read-only on the published analytics database and print the result.

    QUERY is the SQL; give '-' (or nothing, with input piped in) to read it from standard input, or
    --file. Timestamps print in UTC. Tables and example queries: docs/analytics.md.
    """
    import duckdb

    from tiktok_pipelines.analytics.publish import DatabaseNotFound, open_published
    from tiktok_pipelines.analytics.sql_output import write_result

    if query is not None and sql_file is not None:
        fail("give the SQL either as an argument or with --file, not both", EXIT_INVALID)
    if sql_file is not None and str(sql_file) != "-":
        if not sql_file.is_file():
            fail(f"no SQL file at {sql_file}", EXIT_NOT_FOUND)
        text = sql_file.read_text(encoding="utf-8")
    elif query == "-" or str(sql_file) == "-" or (query is None and not sys.stdin.isatty()):
        text = sys.stdin.read()
    else:
        text = query or ""
    if not text.strip():
        fail("no SQL given: pass a query, --file, or pipe SQL on standard input", EXIT_INVALID)

    path = database or Settings.load().analytics_db_path
    try:
        con = open_published(path)
    except DatabaseNotFound as exc:
        fail(str(exc), EXIT_NOT_FOUND)
    except duckdb.Error as exc:
        fail(f"cannot open {path}: {exc}", 1)
    try:
        result = con.execute(text)
        write_result(result, output or "table", max_rows, click.get_text_stream("stdout"))
    except duckdb.InvalidInputException as exc:
        if "read-only" in str(exc):
            fail(
                f"the analytics database is read-only (it is rebuilt by the analytics assets): {exc}",
                EXIT_INVALID,
            )
        fail(str(exc), EXIT_INVALID)
    except (duckdb.ProgrammingError, duckdb.DataError) as exc:
        fail(str(exc), EXIT_INVALID)
    except duckdb.Error as exc:
        fail(str(exc), 1)
    finally:
        con.close()
