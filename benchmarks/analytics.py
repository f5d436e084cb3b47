"""Analytics: the DuckDB build and the ten documented queries on ten million order lines.

Generates (fixed seed) a lake of three clients with 10M order lines over 180 days, updated versions of a
quarter of the orders, listings, stock pushes, product performance and the sync log, plus webhook events
in a SQLite state DB; then times:
  project:  the build of analytics.duckdb (`analytics.refresh.refresh`, what `analytics_db` runs), then
            each example query of docs/analytics.md on the published file (best of three runs, and the
            first run), target ≤ 1 s each;
  baseline: the same queries with no build, on views over the raw Parquet parts (each query dedups
            versions and joins again: what an analyst querying the lake directly would pay).
Prints one line per figure: name, value, unit, ratio to the baseline.

    python benchmarks/analytics.py [--lines 10000000] [--dir DIR] [--no-baseline]
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from tiktok_pipelines.analytics.build import SOURCE_TABLES, BuildInputs, create_views
from tiktok_pipelines.analytics.lake import LakeFiles, list_parts
from tiktok_pipelines.analytics.publish import open_published
from tiktok_pipelines.analytics.refresh import BuildOptions, read_event_log, refresh
from tiktok_pipelines.analytics.schema import example_queries
from tiktok_pipelines.defs.resources.storage import LocalObjectStore, ParquetLake
from tiktok_pipelines.sandbox.sales import SalesConfig, generate_event_log, generate_sales
from tiktok_pipelines.stores.crypto import SecretBox
from tiktok_pipelines.stores.db import StateDB

DOCS = Path(__file__).resolve().parents[1] / "docs" / "analytics.md"
MEAN_LINES_PER_ORDER = 1.86  # the generator's basket sizes: 1 to 5 lines, half of them one
CLIENTS, DAYS = 3, 180


def line(name: str, value: float, unit: str, baseline: float | None = None) -> None:
    ratio = f"  ratio {value / baseline:.4f} (baseline {baseline:.3f} {unit})" if baseline else ""
    print(f"{name:<44} {value:>10.3f} {unit}{ratio}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000_000, help="order lines to generate (about)")
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one, deleted)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the raw-parts baseline")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ttp-bench-analytics-") as tmp:
        run(args.dir or Path(tmp), args.lines, not args.no_baseline)


def run(folder: Path, lines: int, baseline: bool) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lake = ParquetLake(objects=LocalObjectStore(base_dir=str(folder / "lake")))
    db = StateDB(f"sqlite:///{folder / 'state.db'}", SecretBox.from_key_string(SecretBox.generate_key()))
    orders = math.ceil(lines / MEAN_LINES_PER_ORDER / CLIENTS)
    config = SalesConfig(
        clients=CLIENTS,
        orders=orders,
        products=2_000,
        days=DAYS,
        parts=24,
        seed=2026,
        sync_calls_per_day=2_000,
        webhooks_per_day=2_000,
    )
    print(
        f"# {CLIENTS} clients x {orders:,} orders, {DAYS} days, cpus={os.cpu_count()}, duckdb {duckdb.__version__}"
    )

    started = time.perf_counter()
    summary = generate_sales(lake, config)
    seconds = time.perf_counter() - started
    line("generate.order_lines", summary.lines / 1e6, "M rows")
    line("generate.lake_rows", sum(summary.rows.values()) / 1e6, "M rows")
    line("generate.lake_parts", sum(summary.parts.values()), "files")
    line("generate.seconds", seconds, "s")
    line("generate.lake_rows_per_second", sum(summary.rows.values()) / seconds / 1e6, "M rows/s")
    started = time.perf_counter()
    events = generate_event_log(db, config)
    line("generate.webhook_events", events / 1e6, "M rows")
    line("generate.webhook_events_seconds", time.perf_counter() - started, "s")

    path = folder / "analytics.duckdb"
    as_of = datetime(2026, 6, 30, 3, tzinfo=UTC)  # the end of the generated span
    started = time.perf_counter()
    report = refresh(lake, db, path, BuildOptions(memory_limit="6GB"), as_of=as_of)
    build = time.perf_counter() - started
    line("build.seconds", build, "s")
    line("build.database_size", report.size_bytes / 1e6, "MB")
    for name in ("orders", "order_lines", "sales_daily", "conversion", "stock_outs", "sync_health"):
        line(f"build.rows.{name}", report.tables[name].rows / 1e6, "M rows")
    for name in ("order_lines", "orders", "conversion", "stock_outs"):
        line(f"build.table_seconds.{name}", report.tables[name].seconds, "s")
    started = time.perf_counter()
    read_event_log(db)
    line("build.read_event_log_seconds", time.perf_counter() - started, "s")
    line("build.peak_rss", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "MB")

    queries = example_queries(DOCS.read_text())
    timings: list[tuple[str, float, float]] = []
    con = open_published(path)
    for number, (_, sql) in enumerate(queries, 1):
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            con.execute(sql).fetchall()
            runs.append(time.perf_counter() - started)
        timings.append((f"query.{number:02d}", runs[0], min(runs)))
    con.close()

    base: dict[str, float] = {}
    if baseline:
        raw = duckdb.connect(config={"memory_limit": "6GB"})
        files = LakeFiles(lake, folder / "unused")
        inputs = BuildInputs(
            files={t: files.resolve(list_parts(lake, t)).paths for t in SOURCE_TABLES},
            event_log=read_event_log(db),
            as_of=as_of,
        )
        create_views(raw, inputs)
        for number, (_, sql) in enumerate(queries, 1):
            started = time.perf_counter()
            raw.execute(sql).fetchall()
            base[f"query.{number:02d}"] = time.perf_counter() - started
        raw.close()

    for (name, first, best), (title, _) in zip(timings, queries, strict=True):
        line(f"{name}.first_run  {title[:28]}", first, "s", base.get(name))
        line(f"{name}.best_of_3", best, "s", base.get(name))
    slowest = max(best for _, _, best in timings)
    line("query.slowest_best_of_3", slowest, "s")
    print(f"# target: every query <= 1 s: {'met' if slowest <= 1.0 else 'NOT met'}")
    if base:
        line("baseline.all_ten_queries", sum(base.values()), "s")
        line("project.build_plus_ten_queries", build + sum(b for _, _, b in timings), "s", sum(base.values()))


if __name__ == "__main__":
    main()
