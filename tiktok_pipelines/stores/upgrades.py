"""In-place upgrades of an existing state DB to the tables `metadata` declares, run when it is opened.

`create_all` only makes missing tables and `add_missing_columns` only adds nullable columns; what else
changed in a table since a state DB was created is declared here and applied once, before anything
reads the tables, on SQLite and Postgres alike:

- tables and columns renamed (the names every layer uses for a channel's ids: `channel_product_id`,
  `channel_sku_id`..., see docs/architecture.md);
- the `channel` column of the tables that hold a channel's ids, every existing row being TikTok Shop's.
  Where the column is part of the primary key, the table is rebuilt in the declared shape (SQLite cannot
  change a key in place) and its rows copied over.

Each step looks before it acts, so running it again, or in a second process that waited for the first,
does nothing. It runs in one transaction: a failure leaves the database as it was.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tiktok_pipelines.stores.db import DEFAULT_CHANNEL, metadata

# Former table name → current one.
TABLE_RENAMES: dict[str, str] = {
    "tiktok_brands": "channel_brands",
    "tiktok_categories": "channel_categories",
    "tiktok_category_rules": "channel_category_rules",
    "tiktok_images": "channel_images",
}

# Current table name → {former column name: current one}.
COLUMN_RENAMES: dict[str, dict[str, str]] = {
    "listing_products": {"tiktok_product_id": "channel_product_id"},
    "listing_skus": {"tiktok_product_id": "channel_product_id", "tiktok_sku_id": "channel_sku_id"},
    "sku_sync": {"tiktok_product_id": "channel_product_id", "tiktok_sku_id": "channel_sku_id"},
    "orders": {"tiktok_status": "channel_status", "tiktok_update_time": "channel_update_time"},
    "invoice_uploads": {"tiktok_status": "channel_status"},
    "channel_brands": {"tiktok_brand_id": "channel_brand_id", "tiktok_brand_name": "channel_brand_name"},
    "category_mappings": {"tiktok_category_id": "channel_category_id"},
}

_REBUILT_SUFFIX = "__new"
_POSTGRES_LOCK = 7_263_401  # pg_advisory_xact_lock key: one upgrading process at a time


def upgrade_schema(engine: Engine) -> list[str]:
    """Brings an existing state DB to the declared tables; returns what it did (empty when nothing)."""
    with engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
        pending = _pending(conn)
        conn.rollback()
    if not pending:
        return []
    with engine.begin() as conn:  # on SQLite, BEGIN IMMEDIATE: the write lock, before looking again
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_POSTGRES_LOCK})")
        return _upgrade(conn)


def _pending(conn: Connection) -> bool:
    inspector = sa.inspect(conn)
    tables = set(inspector.get_table_names())
    if any(old in tables and new not in tables for old, new in TABLE_RENAMES.items()):
        return True
    for name in tables & set(COLUMN_RENAMES):
        present = {c["name"] for c in inspector.get_columns(name)}
        if present & set(COLUMN_RENAMES[name]):
            return True
    return any(
        "channel" in table.c and "channel" not in {c["name"] for c in inspector.get_columns(table.name)}
        for table in metadata.sorted_tables
        if table.name in tables
    )


def _upgrade(conn: Connection) -> list[str]:
    done: list[str] = []
    quote = conn.dialect.identifier_preparer.quote
    tables = set(sa.inspect(conn).get_table_names())
    for old, new in TABLE_RENAMES.items():
        if old in tables and new not in tables:
            conn.exec_driver_sql(f"ALTER TABLE {quote(old)} RENAME TO {quote(new)}")
            _rename_constraints(conn, new, old)
            tables = (tables - {old}) | {new}
            done.append(f"table {old} → {new}")
    for name, renames in COLUMN_RENAMES.items():
        if name not in tables:
            continue
        present = {c["name"] for c in sa.inspect(conn).get_columns(name)}
        for old, new in renames.items():
            if old in present and new not in present:
                conn.exec_driver_sql(f"ALTER TABLE {quote(name)} RENAME COLUMN {quote(old)} TO {quote(new)}")
                done.append(f"column {name}.{old} → {new}")
    for table in metadata.sorted_tables:
        if table.name not in tables or "channel" not in table.c:
            continue
        present = [c["name"] for c in sa.inspect(conn).get_columns(table.name)]
        if "channel" in present:
            continue
        if table.c.channel.primary_key:
            _rebuild(conn, table, present)
            done.append(f"table {table.name} rebuilt with channel in its key")
        else:
            ddl = sa.schema.CreateColumn(table.c.channel).compile(dialect=conn.dialect)
            conn.exec_driver_sql(f"ALTER TABLE {quote(table.name)} ADD COLUMN {ddl}")
            done.append(f"column {table.name}.channel")
    return done


def _rebuild(conn: Connection, table: sa.Table, present: list[str]) -> None:
    """The table made anew in its declared shape, with the rows of the existing one (their channel the
    default); the existing table's indexes are dropped first, since the new ones take their names."""
    quote = conn.dialect.identifier_preparer.quote
    for index in sa.inspect(conn).get_indexes(table.name):
        if index.get("duplicates_constraint") or not index.get("name"):
            continue
        conn.exec_driver_sql(f"DROP INDEX {quote(index['name'])}")
    scratch = sa.MetaData()
    for fk in table.foreign_keys:  # the tables it refers to, so that its DDL compiles
        metadata.tables[fk.column.table.name].to_metadata(scratch)
    temporary = table.to_metadata(scratch, name=table.name + _REBUILT_SUFFIX)
    temporary.create(conn)
    copied = [c.name for c in table.columns if c.name in present]
    columns = ", ".join(quote(c) for c in copied)
    conn.exec_driver_sql(
        f"INSERT INTO {quote(temporary.name)} ({columns}, {quote('channel')}) "
        f"SELECT {columns}, '{DEFAULT_CHANNEL}' FROM {quote(table.name)}"
    )
    conn.exec_driver_sql(f"DROP TABLE {quote(table.name)}")
    conn.exec_driver_sql(f"ALTER TABLE {quote(temporary.name)} RENAME TO {quote(table.name)}")
    _rename_constraints(conn, table.name, temporary.name)


def _rename_constraints(conn: Connection, table: str, former: str) -> None:
    """Postgres keeps a renamed table's constraint names (`<former>_pkey`...): they follow its name, so a
    later table of the former name can be made."""
    if conn.dialect.name != "postgresql":
        return
    names = conn.execute(
        sa.text("SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass)"), {"t": table}
    ).scalars()
    quote = conn.dialect.identifier_preparer.quote
    for name in list(names):
        if name.startswith(former + "_"):
            renamed = table + name[len(former) :]
            conn.exec_driver_sql(
                f"ALTER TABLE {quote(table)} RENAME CONSTRAINT {quote(name)} TO {quote(renamed)}"
            )
