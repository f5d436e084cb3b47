"""`tiktok-pipelines sql`: read-only queries on the published database, output formats, exit codes."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from tiktok_pipelines.cli.main import main


@pytest.fixture
def sql(generated):
    runner = CliRunner()
    database = str(generated.db_path)

    def run(*args: str, input: str | None = None, database: str | None = database):
        extra = ["--database", database] if database else []
        return runner.invoke(main, ["sql", *extra, *args], input=input, catch_exceptions=False)

    return run


def test_a_query_prints_an_aligned_table(sql):
    result = sql(
        "SELECT client_id, sum(orders) AS orders, sum(net) AS net FROM sales_daily GROUP BY 1 ORDER BY 1"
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["client_id", "orders", "net"]
    assert set(lines[1]) <= {"-", " "}
    assert [line.split()[0] for line in lines[2:4]] == ["loja-1", "loja-2"]
    assert lines[-1] == "(2 rows)"
    assert len(lines[2]) == len(lines[3])  # numbers are right-aligned in their column


def test_csv_and_json_print_every_row_with_exact_values(sql, generated):
    query = "SELECT order_id, net, created_at, is_sale FROM order_lines ORDER BY line_id LIMIT 300"
    as_csv = sql("--csv", query)
    assert as_csv.exit_code == 0
    table = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert len(table) == 300
    as_json = sql("--json", query)
    assert as_json.exit_code == 0
    data = json.loads(as_json.output)
    assert len(data) == 300
    assert [str(r["net"]) for r in table[:5]] == [f"{d['net']:.2f}" for d in data[:5]]
    assert data[0]["created_at"].endswith("+00:00")  # UTC
    assert isinstance(data[0]["is_sale"], bool)
    assert json.loads(sql("--json", "SELECT 1 AS x WHERE false").output) == []


def test_the_table_stops_at_max_rows(sql):
    result = sql("--max-rows", "5", "SELECT * FROM range(20) t(n)")
    assert result.exit_code == 0
    assert result.output.splitlines()[-1].startswith("(first 5 rows shown")
    assert len(result.output.splitlines()) == 2 + 5 + 1


def test_sql_from_a_file_or_standard_input(sql, tmp_path):
    query = tmp_path / "q.sql"
    query.write_text("SELECT count(*) AS n FROM orders;\n")
    from_file = sql("--file", str(query), "--json")
    from_stdin = sql("--json", input="SELECT count(*) AS n FROM orders")
    from_dash = sql("--json", "-", input="SELECT count(*) AS n FROM orders")
    assert from_file.exit_code == from_stdin.exit_code == from_dash.exit_code == 0
    assert json.loads(from_file.output) == json.loads(from_stdin.output) == json.loads(from_dash.output)
    assert json.loads(from_file.output)[0]["n"] == 1600


def test_the_database_is_read_only(sql, generated):
    before = generated.db_path.stat().st_mtime_ns
    for statement in ("DROP TABLE orders", "DELETE FROM orders", "CREATE TABLE x AS SELECT 1"):
        result = sql(statement)
        assert result.exit_code == 2, statement
        assert "read-only" in result.output
    assert generated.db_path.stat().st_mtime_ns == before
    assert sql("--json", "SELECT count(*) AS n FROM orders").exit_code == 0


@pytest.mark.parametrize(
    "args,code,message",
    [
        (("SELEC 1",), 2, "syntax error"),
        (("SELECT * FROM no_such_table",), 2, "no_such_table"),
        (("SELECT CAST('x' AS INTEGER)",), 2, "Conversion"),
        (("   ",), 2, "no SQL given"),
        (("--file", "/nonexistent/q.sql"), 3, "no SQL file"),
        (("SELECT 1", "--file", "/nonexistent/q.sql"), 2, "not both"),
        (("--csv", "--max-rows", "0", "SELECT 1"), 2, "max-rows"),
    ],
)
def test_clear_errors_and_exit_codes(sql, args, code, message):
    result = sql(*args, input="")
    assert result.exit_code == code, result.output
    assert message.lower() in result.output.lower()


def test_no_published_database_is_not_found(sql):
    result = sql("SELECT 1", database=None)  # the default path, in this test's empty data dir
    assert result.exit_code == 3
    assert "materialize" in result.output
