"""The SQL that turns the lake's append-only parts, the webhook event log and the notification outbox
into the analytics tables.

`build_tables` materializes every table of `schema.TABLES` in a DuckDB connection; `create_views`
defines the same relations as views over the raw parts, which is what querying the lake without a build
costs (the benchmark's baseline). Both run the same SELECTs, so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from tiktok_pipelines.analytics.creators import CREATOR_SOURCE_TABLES, creator_relations
from tiktok_pipelines.analytics.notifications import NOTIFICATION_LOG_SCHEMA, notifications_relation
from tiktok_pipelines.analytics.schema import TABLES, TABLES_BY_NAME, duckdb_type
from tiktok_pipelines.analytics.shop_performance import (
    SHOP_PERFORMANCE_SOURCE_TABLES,
    shop_performance_relations,
)
from tiktok_pipelines.channels.tiktok_shop.notifications import WEBHOOK_NAMES
from tiktok_pipelines.core.events import INTERNAL_EVENT_NAMES
from tiktok_pipelines.core.tables import APPEND_ONLY_TABLES, FORMER_CHANNEL, AppendOnlyTable

# Sources the build reads, per client (the channel's shop, video and LIVE analytics among them); price
# history stays in the lake (no table is made of it yet).
SOURCE_TABLES = (
    "orders",
    "order_lines",
    "listings",
    "product_performance",
    *SHOP_PERFORMANCE_SOURCE_TABLES,
    "stock_history",
    "sync_log",
)
# With the creator tables (folders per creator, not per client).
ALL_SOURCE_TABLES = (*SOURCE_TABLES, *CREATOR_SOURCE_TABLES)

EVENT_LOG_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("event_type", pa.string()),
        ("client_id", pa.string()),
        ("received_at", pa.timestamp("us", tz="UTC")),
        ("handled_at", pa.timestamp("us", tz="UTC")),
        ("status", pa.string()),
    ]
)

CANCELLED = "('CANCELLED', 'CANCEL')"


class BuildError(ValueError):
    """The build cannot run as configured (e.g. an unknown time zone)."""


@dataclass
class BuildInputs:
    """What one build reads: local Parquet files per lake table and the event log as Arrow."""

    files: Mapping[str, Sequence[str]]
    event_log: pa.Table = field(default_factory=EVENT_LOG_SCHEMA.empty_table)
    notifications: pa.Table = field(default_factory=NOTIFICATION_LOG_SCHEMA.empty_table)
    timezone: str = "America/Sao_Paulo"
    as_of: datetime = field(default_factory=lambda: datetime.now(UTC))
    top_n: int = 20
    fingerprint: str = ""


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(sql_string(v) for v in values) + "]"


def source_select(
    con: duckdb.DuckDBPyConnection, table: AppendOnlyTable, files: Sequence[str], keep_extra: bool = False
) -> str:
    """SELECT of a lake table's rows over `files`, in contract columns and types, plus `_file` and `_row`
    (the part and row position, which break ties between versions ingested at the same instant).

    Columns a part lacks (written before the contract grew) read as NULL; a column an older part carries
    under its former name (`core.tables.FORMER_COLUMN_NAMES`) reads from that, and a part without
    `channel` is `FORMER_CHANNEL`'s. No files, no rows. With `keep_extra`, columns the contract does not
    know (written by newer code) follow as they are."""
    if not files:
        cols = ", ".join(f'CAST(NULL AS {duckdb_type(f.type)}) AS "{f.name}"' for f in table.schema)
        return f"SELECT {cols}, CAST(NULL AS VARCHAR) AS _file, CAST(NULL AS BIGINT) AS _row WHERE false"
    scan = f"read_parquet({sql_list(list(files))}, union_by_name = true, filename = true, file_row_number = true)"
    present = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()]
    former = table.former_names
    cols = [f'{_column_value(f, present, former.get(f.name))} AS "{f.name}"' for f in table.schema]
    if keep_extra:
        known = {*table.schema.names, *former.values(), "filename", "file_row_number"}
        cols += [f'"{name}"' for name in present if name not in known]
    return f"SELECT {', '.join(cols)}, filename AS _file, file_row_number AS _row FROM {scan}"


def _column_value(field: pa.Field, present: Sequence[str], former: str | None) -> str:
    """A contract column of a row: its value under its name, else under its former name, else NULL (and
    for `channel`, the channel of every row written before rows named theirs)."""
    type_ = duckdb_type(field.type)
    values = [f'CAST("{name}" AS {type_})' for name in (field.name, former) if name and name in present]
    if field.name == "channel":
        values.append(f"CAST({sql_string(FORMER_CHANNEL)} AS {type_})")
    if not values:
        return f"CAST(NULL AS {type_})"
    return values[0] if len(values) == 1 else f"coalesce({', '.join(values)})"


def newest_select(table: AppendOnlyTable, relation: str) -> str:
    """The newest version of every key of a keyed table (the last written wins a tie)."""
    assert table.key is not None
    keys = ", ".join(table.key)
    return (
        f"SELECT * EXCLUDE (_file, _row) FROM {relation} QUALIFY row_number() OVER "
        f'(PARTITION BY {keys} ORDER BY "{table.time_column}" DESC NULLS LAST, _file DESC, _row DESC) = 1'
    )


def _check_timezone(con: duckdb.DuckDBPyConnection, tz: str) -> None:
    known = con.execute("SELECT count(*) FROM pg_timezone_names() WHERE name = ?", [tz]).fetchone()
    if not known or not known[0]:
        raise BuildError(f"unknown time zone {tz!r} (an IANA name such as America/Sao_Paulo)")


def define_sources(con: duckdb.DuckDBPyConnection, inputs: BuildInputs) -> None:
    """Temporary views `src_<table>` (every row) and `cur_<table>` (newest per key), `src_event_log` and
    `src_notifications`."""
    _check_timezone(con, inputs.timezone)
    for name in ALL_SOURCE_TABLES:
        table = APPEND_ONLY_TABLES[name]
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW src_{name} AS {source_select(con, table, inputs.files.get(name, ()))}"
        )
        if table.key:
            con.execute(f"CREATE OR REPLACE TEMP VIEW cur_{name} AS {newest_select(table, f'src_{name}')}")
    con.register("event_log_arrow", inputs.event_log.cast(EVENT_LOG_SCHEMA))
    con.execute("CREATE OR REPLACE TEMP VIEW src_event_log AS SELECT * FROM event_log_arrow")
    con.register("notifications_arrow", inputs.notifications.cast(NOTIFICATION_LOG_SCHEMA))
    con.execute("CREATE OR REPLACE TEMP VIEW src_notifications AS SELECT * FROM notifications_arrow")
    known = {**{str(k): v for k, v in WEBHOOK_NAMES.items()}, **INTERNAL_EVENT_NAMES}
    names = ", ".join(f"({sql_string(k)}, {sql_string(v)})" for k, v in known.items())
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW event_names AS SELECT * FROM (VALUES {names}) AS t(event_type, event_name)"
    )


def _periods(relation: str, kinds: Sequence[str]) -> str:
    """`relation` (with a `day` column) once per period kind, with period, period_start and period_end."""
    parts = []
    for kind in kinds:
        if kind == "day":
            parts.append(
                f"SELECT 'day' AS period, day AS period_start, day + 1 AS period_end, * FROM {relation}"
            )
        elif kind in ("week", "month"):
            step = "7 DAY" if kind == "week" else "1 MONTH"
            parts.append(
                f"SELECT '{kind}' AS period, CAST(date_trunc('{kind}', day) AS DATE) AS period_start, "
                f"CAST(date_trunc('{kind}', day) + INTERVAL {step} AS DATE) AS period_end, * FROM {relation}"
            )
        elif kind == "all_time":
            parts.append(
                "SELECT 'all_time' AS period, min(day) OVER (PARTITION BY client_id) AS period_start, "
                f"max(day) OVER (PARTITION BY client_id) + 1 AS period_end, * FROM {relation}"
            )
        else:
            raise ValueError(kind)
    return " UNION ALL ".join(parts)


def relations(inputs: BuildInputs) -> list[tuple[str, str]]:
    """(name, SELECT) of every table in dependency order; names starting with `_` are intermediate."""
    tz = sql_string(inputs.timezone)
    as_of = f"TIMESTAMPTZ {sql_string(inputs.as_of.astimezone(UTC).isoformat())}"

    def local_day(column: str) -> str:
        return f"CAST(timezone({tz}, {column}) AS DATE)"

    return [
        ("listings", "SELECT * FROM cur_listings"),
        (
            "orders",
            f"""
            SELECT *, {local_day("created_at")} AS day,
                   upper(coalesce(status, '')) IN {CANCELLED} AS is_cancelled,
                   coalesce(upper(status) NOT IN ('UNPAID', 'CANCELLED', 'CANCEL')
                            AND NOT coalesce(is_sample, false), false) AS is_sale
            FROM cur_orders""",
        ),
        (
            "order_lines",
            f"""
            SELECT l.* EXCLUDE (status), l.status,
                   coalesce(o.day, {local_day("l.created_at")}) AS day,
                   CAST(l.quantity * l.original_price AS DECIMAL(18,2)) AS gross,
                   CAST(coalesce(l.seller_discount, 0) + coalesce(l.platform_discount, 0) AS DECIMAL(18,2))
                       AS discounts,
                   CAST(l.quantity * l.original_price - coalesce(l.seller_discount, 0)
                        - coalesce(l.platform_discount, 0) AS DECIMAL(18,2)) AS net,
                   coalesce(o.is_sale, false) AND upper(coalesce(l.status, '')) NOT IN {CANCELLED} AS is_sale,
                   coalesce(o.is_cancelled, false) OR upper(coalesce(l.status, '')) IN {CANCELLED}
                       AS is_cancelled
            FROM cur_order_lines l
            LEFT JOIN orders o ON o.client_id = l.client_id AND o.channel = l.channel AND o.order_id = l.order_id""",
        ),
        (
            "sales_daily",
            """
            WITH o AS (
                SELECT client_id, channel, day, currency,
                       count(*) FILTER (WHERE is_sale) AS orders,
                       count(*) FILTER (WHERE is_cancelled) AS cancelled_orders,
                       sum(shipping_fee) FILTER (WHERE is_sale) AS shipping_fee,
                       sum(total) FILTER (WHERE is_sale) AS total
                FROM orders GROUP BY client_id, channel, day, currency),
            l AS (
                SELECT client_id, channel, day, currency,
                       sum(quantity) FILTER (WHERE is_sale) AS units,
                       sum(gross) FILTER (WHERE is_sale) AS gross,
                       sum(seller_discount) FILTER (WHERE is_sale) AS seller_discount,
                       sum(platform_discount) FILTER (WHERE is_sale) AS platform_discount,
                       sum(discounts) FILTER (WHERE is_sale) AS discounts,
                       sum(net) FILTER (WHERE is_sale) AS net,
                       sum(net) FILTER (WHERE is_cancelled) AS cancelled_net
                FROM order_lines GROUP BY client_id, channel, day, currency)
            SELECT coalesce(o.client_id, l.client_id) AS client_id, coalesce(o.channel, l.channel) AS channel,
                   coalesce(o.day, l.day) AS day,
                   coalesce(o.currency, l.currency) AS currency,
                   coalesce(o.orders, 0) AS orders, coalesce(o.cancelled_orders, 0) AS cancelled_orders,
                   coalesce(l.units, 0) AS units, coalesce(l.gross, 0) AS gross,
                   coalesce(l.seller_discount, 0) AS seller_discount,
                   coalesce(l.platform_discount, 0) AS platform_discount,
                   coalesce(l.discounts, 0) AS discounts, coalesce(l.net, 0) AS net,
                   coalesce(l.cancelled_net, 0) AS cancelled_net,
                   coalesce(o.shipping_fee, 0) AS shipping_fee, coalesce(o.total, 0) AS total
            FROM o FULL OUTER JOIN l
              ON o.client_id IS NOT DISTINCT FROM l.client_id AND o.channel IS NOT DISTINCT FROM l.channel
             AND o.day IS NOT DISTINCT FROM l.day
             AND o.currency IS NOT DISTINCT FROM l.currency
            WHERE coalesce(o.orders, 0) + coalesce(o.cancelled_orders, 0) + coalesce(l.units, 0) > 0
               OR l.cancelled_net IS NOT NULL""",
        ),
        (
            "product_sales",
            """
            SELECT client_id, channel, day, currency, channel_product_id, channel_sku_id, seller_sku,
                   arg_max(product_name, created_at) AS product_name,
                   arg_max(sku_name, created_at) AS sku_name,
                   count(DISTINCT order_id) FILTER (WHERE is_sale) AS orders,
                   coalesce(sum(quantity) FILTER (WHERE is_sale), 0) AS units,
                   coalesce(sum(gross) FILTER (WHERE is_sale), 0) AS gross,
                   coalesce(sum(discounts) FILTER (WHERE is_sale), 0) AS discounts,
                   coalesce(sum(net) FILTER (WHERE is_sale), 0) AS net,
                   coalesce(sum(quantity) FILTER (WHERE is_cancelled), 0) AS cancelled_units
            FROM order_lines WHERE is_sale OR is_cancelled
            GROUP BY client_id, channel, day, currency, channel_product_id, channel_sku_id, seller_sku""",
        ),
        (
            "product_daily",
            """
            SELECT client_id, channel, day, currency, channel_product_id,
                   arg_max(product_name, created_at) AS product_name,
                   count(DISTINCT order_id) AS orders, sum(quantity) AS units,
                   sum(gross) AS gross, sum(discounts) AS discounts, sum(net) AS net
            FROM order_lines WHERE is_sale
            GROUP BY client_id, channel, day, currency, channel_product_id""",
        ),
        (
            "top_products",
            f"""
            WITH p AS ({_periods("product_daily", ("week", "month", "all_time"))}),
            totals AS (
                SELECT client_id, channel, period, period_start, period_end, currency, channel_product_id,
                       arg_max(product_name, day) AS product_name,
                       sum(orders) AS orders, sum(units) AS units, sum(gross) AS gross,
                       sum(discounts) AS discounts, sum(net) AS net
                FROM p GROUP BY client_id, channel, period, period_start, period_end, currency, channel_product_id),
            ranked AS (
                SELECT *,
                       row_number() OVER (PARTITION BY client_id, channel, period, period_start, currency
                                          ORDER BY net DESC, units DESC, channel_product_id) AS rank,
                       CAST(net AS DOUBLE) / nullif(CAST(sum(net) OVER (
                           PARTITION BY client_id, channel, period, period_start, currency) AS DOUBLE), 0) AS net_share
                FROM totals)
            SELECT * FROM ranked WHERE rank <= {int(inputs.top_n)}""",
        ),
        (
            "conversion",
            f"""
            WITH perf AS (
                SELECT client_id, channel, date AS day, channel_product_id, page_views, impressions,
                       orders AS channel_orders, units AS channel_units
                FROM cur_product_performance),
            sold AS (
                SELECT client_id, channel, day, channel_product_id, max(product_name) AS product_name,
                       sum(orders) AS orders, sum(units) AS units
                FROM product_daily GROUP BY client_id, channel, day, channel_product_id),
            titles AS (
                SELECT client_id, channel, channel_product_id,
                       first(title ORDER BY updated_at DESC, seller_sku) AS title
                FROM listings WHERE channel_product_id IS NOT NULL
                GROUP BY client_id, channel, channel_product_id),
            daily AS (
                SELECT coalesce(p.client_id, s.client_id) AS client_id,
                       coalesce(p.channel, s.channel) AS channel, coalesce(p.day, s.day) AS day,
                       coalesce(p.channel_product_id, s.channel_product_id) AS channel_product_id,
                       s.product_name, p.page_views, p.impressions,
                       coalesce(s.orders, 0) AS orders, coalesce(s.units, 0) AS units,
                       p.channel_orders, p.channel_units
                FROM perf p FULL OUTER JOIN sold s
                  ON p.client_id = s.client_id AND p.channel = s.channel AND p.day = s.day
                 AND p.channel_product_id = s.channel_product_id),
            p AS ({_periods("daily", ("day", "week", "month"))}),
            totals AS (
                SELECT client_id, channel, period, period_start, period_end, channel_product_id,
                       arg_max(product_name, day) FILTER (WHERE product_name IS NOT NULL) AS product_name,
                       sum(page_views) AS page_views, sum(impressions) AS impressions,
                       sum(orders) AS orders, sum(units) AS units,
                       sum(channel_orders) AS channel_orders, sum(channel_units) AS channel_units
                FROM p GROUP BY client_id, channel, period, period_start, period_end, channel_product_id)
            SELECT t.* EXCLUDE (product_name), coalesce(t.product_name, n.title) AS product_name,
                   CAST(t.orders AS DOUBLE) / nullif(t.page_views, 0) AS view_to_order_rate,
                   CAST(t.page_views AS DOUBLE) / nullif(t.impressions, 0) AS impression_to_view_rate
            FROM totals t LEFT JOIN titles n
              ON n.client_id = t.client_id AND n.channel = t.channel
             AND n.channel_product_id = t.channel_product_id""",
        ),
        (
            "stock_outs",
            f"""
            WITH pushes AS (
                SELECT client_id, channel, seller_sku, channel_sku_id,
                       coalesce(channel_warehouse_id, '') AS channel_warehouse_id,
                       quantity, pushed_at, _file, _row
                FROM src_stock_history
                WHERE result = 'ok' AND pushed_at IS NOT NULL AND quantity IS NOT NULL),
            changes AS (
                -- what each push changed in its warehouse, so that a running sum is the SKU's total
                SELECT *, quantity - coalesce(lag(quantity) OVER (
                    PARTITION BY client_id, channel, seller_sku, channel_sku_id, channel_warehouse_id
                    ORDER BY pushed_at, _file, _row), 0) AS change
                FROM pushes),
            levels AS (
                -- RANGE: the total after every push of one instant, so simultaneous pushes to two
                -- warehouses never make a zero that the channel never showed
                SELECT DISTINCT client_id, channel, seller_sku, channel_sku_id, pushed_at,
                       sum(change) OVER (PARTITION BY client_id, channel, seller_sku, channel_sku_id
                                         ORDER BY pushed_at RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS available
                FROM changes),
            flagged AS (
                SELECT *, available <= 0 AS at_zero,
                       coalesce(lag(available <= 0) OVER (PARTITION BY client_id, channel, seller_sku, channel_sku_id
                                                          ORDER BY pushed_at), false) AS was_at_zero
                FROM levels),
            edges AS (
                SELECT *, lead(pushed_at) OVER (PARTITION BY client_id, channel, seller_sku, channel_sku_id
                                                ORDER BY pushed_at) AS next_edge
                FROM flagged WHERE at_zero <> was_at_zero)
            SELECT e.client_id, e.channel, e.seller_sku, e.channel_sku_id, li.channel_product_id,
                   {local_day("e.pushed_at")} AS day,
                   e.pushed_at AS started_at, e.next_edge AS ended_at, e.next_edge IS NULL AS ongoing,
                   greatest(epoch(coalesce(e.next_edge, {as_of}) - e.pushed_at), 0) / 3600.0 AS duration_hours
            FROM edges e
            LEFT JOIN listings li
              ON li.client_id = e.client_id AND li.channel = e.channel AND li.seller_sku = e.seller_sku
            WHERE e.at_zero""",
        ),
        (
            "sync_health",
            f"""
            WITH events AS (
                SELECT e.client_id, CAST(NULL AS VARCHAR) AS channel, {local_day("e.received_at")} AS day,
                       'webhook' AS kind, e.source,
                       e.event_type, coalesce(n.event_name, e.event_type) AS event_name,
                       CAST(NULL AS VARCHAR) AS lane, CAST(NULL AS VARCHAR) AS operation,
                       e.status = 'handled' AS ok, e.status = 'failed' AS bad, e.status = 'ignored' AS skip,
                       e.status = 'pending' AS waiting,
                       CASE WHEN e.status <> 'pending' AND e.handled_at IS NOT NULL
                            THEN epoch(e.handled_at - e.received_at) END AS latency
                FROM src_event_log e LEFT JOIN event_names n ON n.event_type = e.event_type),
            calls AS (
                SELECT client_id, channel, {local_day('"at"')} AS day, 'api' AS kind, api AS source,
                       CAST(NULL AS VARCHAR) AS event_type, CAST(NULL AS VARCHAR) AS event_name,
                       lane, operation,
                       result = 'ok' AS ok, result = 'failed' AS bad, result = 'skipped' AS skip, false AS waiting,
                       duration_ms / 1000.0 AS latency
                FROM src_sync_log)
            SELECT client_id, channel, day, kind, source, event_type, event_name, lane, operation,
                   count(*) AS total, count(*) FILTER (WHERE ok) AS succeeded,
                   count(*) FILTER (WHERE bad) AS failed, count(*) FILTER (WHERE skip) AS skipped,
                   count(*) FILTER (WHERE waiting) AS pending,
                   CAST(count(*) FILTER (WHERE bad) AS DOUBLE)
                       / nullif(count(*) FILTER (WHERE ok OR bad), 0) AS error_rate,
                   quantile_cont(latency, 0.5) AS latency_p50_seconds,
                   quantile_cont(latency, 0.95) AS latency_p95_seconds,
                   max(latency) AS latency_max_seconds
            FROM (SELECT * FROM events UNION ALL SELECT * FROM calls)
            GROUP BY client_id, channel, day, kind, source, event_type, event_name, lane, operation""",
        ),
        (
            "sync_errors",
            f"""
            SELECT client_id, channel, {local_day('"at"')} AS day, api AS source, lane, operation, error_code,
                   count(*) AS errors, count(DISTINCT item_key) AS items, min("at") AS first_at,
                   max("at") AS last_at, arg_max(error_message, "at") AS last_message
            FROM src_sync_log WHERE result = 'failed'
            GROUP BY client_id, channel, day, source, lane, operation, error_code""",
        ),
        *shop_performance_relations(),
        notifications_relation(local_day),
        *creator_relations(inputs.timezone, inputs.top_n),
    ]


def build_tables(con: duckdb.DuckDBPyConnection, inputs: BuildInputs, log=None) -> dict[str, float]:
    """Creates every table of `schema.TABLES` (exact declared types) in `con`; returns seconds per table."""
    import time

    define_sources(con, inputs)
    seconds: dict[str, float] = {}
    con.execute("BEGIN TRANSACTION")
    for name, select in relations(inputs):
        started = time.monotonic()
        if name.startswith("_"):
            con.execute(f"CREATE TEMP TABLE {name} AS {select}")
        else:
            table = TABLES_BY_NAME[name]
            con.execute(table.ddl())
            # No ORDER BY: sorting the order tables costs more build time than it saves any example query.
            columns = ", ".join(table.column_names)
            con.execute(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM ({select})")
        seconds[name] = time.monotonic() - started
        if log is not None:
            log.info("analytics table %s built in %.2f s", name, seconds[name])
    _insert_build_info(con, inputs)
    _comment(con)
    con.execute("COMMIT")
    return seconds


def _insert_build_info(con: duckdb.DuckDBPyConnection, inputs: BuildInputs) -> None:
    con.execute(TABLES_BY_NAME["build_info"].ddl())
    files = [f for name in ALL_SOURCE_TABLES for f in inputs.files.get(name, ())]
    rows = 0
    if files:
        rows = con.execute(
            f"SELECT count(*) FROM read_parquet({sql_list(files)}, union_by_name = true)"
        ).fetchone()[0]
    con.execute(
        "INSERT INTO build_info VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            inputs.as_of.astimezone(UTC),
            inputs.timezone,
            len(files),
            rows,
            inputs.event_log.num_rows,
            inputs.fingerprint,
            duckdb.__version__,
        ],
    )


def _comment(con: duckdb.DuckDBPyConnection) -> None:
    """Table and column descriptions inside the file, for analysts' SQL tools (duckdb_columns())."""
    statements = []
    for table in TABLES:
        statements.append(f"COMMENT ON TABLE {table.name} IS {sql_string(table.description)}")
        statements += [
            f"COMMENT ON COLUMN {table.name}.{c.name} IS {sql_string(c.description)}" for c in table.columns
        ]
    con.execute(";\n".join(statements))


def create_views(con: duckdb.DuckDBPyConnection, inputs: BuildInputs) -> None:
    """The same relations as views over the raw parts: every query recomputes deduplication and joins."""
    define_sources(con, inputs)
    for name, select in relations(inputs):
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {select}")
