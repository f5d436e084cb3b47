"""Dashboard: each page's load time on the analytics benchmark's ten million order lines.

Builds the analytics benchmark's database (benchmarks/analytics.py: three clients, 10M order lines over
180 days; or takes one already built with --database), then loads every page of the dashboard through
its ASGI app (request, read-only session, every section's SQL, charts, HTML), for all clients and for
one, over the default 30 days and over all days; best of three and first load. The baseline is the
same page's SQL alone on an open session (what the page costs beyond its queries is the difference).
Target: every page under 2 s.

    python benchmarks/dashboard.py [--lines 10000000] [--dir DIR] [--database FILE]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from starlette.testclient import TestClient

from tiktok_pipelines.dashboard.app import create_app
from tiktok_pipelines.dashboard.data import open_session, read_build, run_section
from tiktok_pipelines.dashboard.filters import Filters
from tiktok_pipelines.dashboard.pages import PAGES
from tiktok_pipelines.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from analytics import line
from analytics import run as build_benchmark_database

TARGET_SECONDS = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, help="an analytics.duckdb already built (skips the build)")
    parser.add_argument(
        "--dir", type=Path, help="work folder of the build (default: a temporary one, deleted)"
    )
    parser.add_argument("--lines", type=int, default=10_000_000, help="order lines the build generates")
    args = parser.parse_args()
    if args.database:
        measure(args.database)
        return
    with tempfile.TemporaryDirectory(prefix="ttp-bench-dashboard-") as tmp:
        folder = args.dir or Path(tmp)
        build_benchmark_database(folder, args.lines, baseline=False)
        measure(folder / "analytics.duckdb")


def measure(path: Path) -> None:
    con = duckdb.connect(str(path), read_only=True)
    lines = con.execute("SELECT count(*) FROM order_lines").fetchone()[0]
    client = con.execute("SELECT min(client_id) FROM sales_daily").fetchone()[0]
    con.close()
    print(
        f"# dashboard on {lines / 1e6:.2f} M order lines, cpus={os.cpu_count()}, duckdb {duckdb.__version__}"
    )
    settings = Settings.load({"TIKTOK_PIPELINES_DATA_DIR": str(path.parent)})
    http = TestClient(create_app(settings, path))
    slowest = 0.0
    for page in PAGES:
        for label, query in (
            ("30d", {}),
            ("all", {"period": "all"}),
            ("client.all", {"client": client, "period": "all"}),
        ):
            runs = []
            for _ in range(3):
                started = time.perf_counter()
                answer = http.get(f"/{page.slug}", params=query)
                runs.append(time.perf_counter() - started)
                assert answer.status_code == 200, answer.text[:500]
            sql = []
            with open_session(path) as session:
                build = read_build(session)
                filters = Filters.parse(query, build.day).restricted(page.filters, page.period)
                for _ in range(3):
                    started = time.perf_counter()
                    for section in page.sections:
                        run_section(session, build, section, filters)
                    sql.append(time.perf_counter() - started)
            line(f"page.{page.slug}.{label}.first_load", runs[0], "s", sql[0])
            line(f"page.{page.slug}.{label}.best_of_3", min(runs), "s", min(sql))
            slowest = max(slowest, min(runs))
    line("page.slowest_best_of_3", slowest, "s")
    print(f"# target: every page < {TARGET_SECONDS:g} s: {'met' if slowest < TARGET_SECONDS else 'NOT met'}")


if __name__ == "__main__":
    main()
