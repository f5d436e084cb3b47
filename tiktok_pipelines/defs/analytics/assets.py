"""Sales analytics for analysts: the tables of `analytics.duckdb`, and compaction of the lake's parts.

One multi-asset builds every table, because they live in one DuckDB file that has one writer and is
published whole: a table built on its own would have to rewrite the published file (blocking on, or
breaking, analysts' sessions) or publish a database whose tables disagree. Each table is still its own
asset, with its own row count, preview and column schema. The build and the compaction share the pool
`analytics_duckdb` (a pool of one in dagster.yaml), so there is never more than one of them at a time.
"""

import dagster as dg
from pydantic import Field

from tiktok_pipelines.analytics.compaction import compact
from tiktok_pipelines.analytics.schema import ASSET_TABLES, Table
from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.core.tables import APPEND_ONLY_TABLES
from tiktok_pipelines.defs.keys import tiktok_shop_key
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.defs.resources.analytics import AnalyticsDatabase
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.defs.resources.storage import ParquetLake

ANALYTICS_POOL = "analytics_duckdb"
ANALYTICS_GROUP = Lane.ANALYTICS.value


def analytics_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["analytics", table])


# The assets that write the lake tables the build reads (more join as their lanes are built).
PRODUCERS = [
    tiktok_shop_key("listings"),
    tiktok_shop_key("orders"),
    dg.AssetKey("vtex_orders"),
    tiktok_shop_key("shipments"),
    tiktok_shop_key("product_performance"),
    tiktok_shop_key("shop_performance"),
    tiktok_shop_key("video_performance"),
    tiktok_shop_key("live_performance"),
    dg.AssetKey("vtex_stock"),
    dg.AssetKey("vtex_prices"),
    tiktok_shop_key("stock_price_state"),
    tiktok_shop_key("inventory"),
    tiktok_shop_key("prices"),
    dg.AssetKey(["creator", "profile"]),
    dg.AssetKey(["creator", "videos"]),
    dg.AssetKey(["creator", "video_metrics"]),
    dg.AssetKey(["creator", "recommendations"]),
]


def _spec(table: Table) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=analytics_key(table.name),
        deps=PRODUCERS,
        description=f"{table.description}\n\nGrain: {table.grain}. Table `{table.name}` of analytics.duckdb.",
        group_name=ANALYTICS_GROUP,
        kinds={"duckdb"},
        metadata={
            "dagster/table_name": f"analytics.main.{table.name}",
            "dagster/column_schema": dg.TableSchema(
                columns=[dg.TableColumn(c.name, c.type, description=c.description) for c in table.columns]
            ),
        },
    )


@dg.multi_asset(
    name="analytics_db",
    specs=[_spec(t) for t in ASSET_TABLES],
    pool=ANALYTICS_POOL,
    can_subset=False,
)
def analytics_db(
    context: dg.AssetExecutionContext, lake: ParquetLake, state: StateStore, analytics: AnalyticsDatabase
):
    """Builds analytics.duckdb for every client from the lake's append-only parts (orders, order lines,
    listings, stock pushes, product performance, sync log) and the state DB's webhook event log: a new
    file next to the published one, checkpointed and closed, then swapped in atomically. Analysts'
    sessions opened before keep reading the previous data until they reopen; none can make the build
    fail. An empty lake gives empty tables."""
    report = analytics.refresh(lake, state.db, log=context.log)
    context.log.info(
        "published %s (%.1f MB) in %.1f s from %d lake parts and %d webhook events",
        report.path,
        report.size_bytes / 1e6,
        report.seconds,
        report.source_files,
        report.event_log_rows,
    )
    build = {
        "database": dg.MetadataValue.path(str(report.path)),
        "built_at": report.built_at.isoformat(),
    }
    for table in ASSET_TABLES:
        built = report.tables[table.name]
        preview = markdown_table(built.preview, built.columns, limit=len(built.preview), width=40)
        if built.rows > len(built.preview):
            preview += f"\n\n_first {len(built.preview)} of {built.rows} rows, by {table.preview_order}_"
        metadata = {
            **build,
            "dagster/row_count": built.rows,
            "table_seconds": round(built.seconds, 3),
            "preview": md(preview),
        }
        if table.name == "orders":
            metadata |= {
                "inputs_fingerprint": report.fingerprint,
                "build_seconds": round(report.seconds, 2),
                "size_bytes": report.size_bytes,
                "source_files": report.source_files,
                "superseded_parts_skipped": report.superseded_parts,
                "parts_downloaded": report.downloaded,
                "order_versions_dropped": report.source_rows["orders"] - built.rows,
                "event_log_rows": report.event_log_rows,
            }
        if table.name == "order_lines":
            metadata |= {
                "line_versions_dropped": report.source_rows["order_lines"] - built.rows,
                "lines_without_order": report.orphan_lines,
            }
        yield dg.MaterializeResult(asset_key=analytics_key(table.name), metadata=metadata)


class LakeCompactionConfig(dg.Config):
    min_parts: int = Field(
        default=8, description="Compact a client's table once it has at least this many parts.", ge=2
    )
    tables: list[str] = Field(
        default_factory=lambda: list(APPEND_ONLY_TABLES), description="Lake tables to compact."
    )


@dg.asset(group_name=ANALYTICS_GROUP, kinds={"parquet"}, pool=ANALYTICS_POOL)
def lake_compaction(
    context: dg.AssetExecutionContext, config: LakeCompactionConfig, lake: ParquetLake
) -> dg.MaterializeResult:
    """The lake's append-only tables kept fast to read: each client's parts of a table, once there are
    `min_parts` of them, merged into one part (newest row per key for keyed tables, every row for facts).
    A part written while compaction runs is left alone and stays readable; readers never see a row twice.
    A failure on one table and client is reported and the others go on."""
    unknown = sorted(set(config.tables) - set(APPEND_ONLY_TABLES))
    if unknown:
        raise dg.Failure(description=f"unknown lake tables {unknown}; known: {sorted(APPEND_ONLY_TABLES)}")
    results, failures = [], []
    for name in config.tables:
        table = APPEND_ONLY_TABLES[name]
        for client_id in lake.clients_of(name):
            try:
                result = compact(lake, table, client_id, min_parts=config.min_parts)
            except Exception as exc:  # one folder's failure must not stop the others
                context.log.exception("compaction of %s for %s failed", name, client_id)
                failures.append({"table": name, "client_id": client_id, "error": str(exc)})
                continue
            results.append(result.row())
    merged = [r for r in results if r["parts_before"] > r["parts_after"]]
    columns = [
        "table",
        "client_id",
        "parts_before",
        "parts_after",
        "rows_before",
        "rows_after",
        "versions_dropped",
    ]
    metadata = {
        "folders": len(results),
        "folders_compacted": len(merged),
        "parts_removed": sum(r["parts_before"] - r["parts_after"] for r in merged),
        "versions_dropped": sum(r["versions_dropped"] for r in merged),
        "leftovers_deleted": sum(r["leftovers_deleted"] for r in results),
        "compacted": md(markdown_table(merged, columns, limit=30)),
        "failed": len(failures),
    }
    if failures:
        raise dg.Failure(
            description=f"compaction failed for {len(failures)} table/client folder(s); the others were compacted",
            metadata={
                **metadata,
                "failures": md(markdown_table(failures, ["table", "client_id", "error"], width=120)),
            },
        )
    return dg.MaterializeResult(metadata=metadata)
