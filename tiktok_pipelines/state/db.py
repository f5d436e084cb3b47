"""The state DB: SQLAlchemy Core over a SQLite file (WAL) by default, Postgres by URL.

Every table of the project is declared on `metadata` by the module that owns it (registry, feeds,
tokens, listings, orders, events...). `tiktok_pipelines.state` imports them all, so `StateDB` creates
every table it knows on first use; creation is idempotent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tiktok_pipelines.settings import Settings
from tiktok_pipelines.state.crypto import SecretBox

metadata = sa.MetaData()

_SQLITE_BUSY_TIMEOUT_S = 60


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite stores naive values)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def create_state_engine(url: str) -> Engine:
    """An engine tuned for many short transactions from several processes."""
    if url.startswith("sqlite"):
        database = sa.engine.make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url,
            connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
            pool_pre_ping=False,
        )

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):
            # pysqlite's own transaction handling is bypassed so that `begin` below controls it.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_S * 1000}")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn: Connection):
            # Write transactions take the lock up front (BEGIN IMMEDIATE) so that two writers queue on
            # the busy timeout instead of failing with "database is locked" when a reader upgrades.
            mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def add_missing_columns(engine: Engine) -> list[str]:
    """Adds the nullable columns a table gained since its database was created (`create_all` only
    creates missing tables), so that an existing state DB keeps working; returns `table.column` added.
    Anything else (a new key, a type change) needs a real migration."""
    inspector = sa.inspect(engine)
    existing_tables = set(inspector.get_table_names())
    missing = []
    # Read everything first: on SQLite a read inside the write transaction below would wait for its lock.
    for table in metadata.sorted_tables:
        if table.name not in existing_tables:
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        missing.extend(
            (table, column)
            for column in table.columns
            if column.name not in present and column.nullable and not column.primary_key
        )
    added = []
    if missing:
        with engine.begin() as conn:
            for table, column in missing:
                ddl = sa.schema.CreateColumn(column).compile(dialect=engine.dialect)
                conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {ddl}")
                added.append(f"{table.name}.{column.name}")
    return added


class StateDB:
    """Connections to the state DB and the box that encrypts its secrets."""

    def __init__(self, url: str, secrets: SecretBox):
        self.url = url
        self.engine = create_state_engine(url)
        self.secrets = secrets
        self.create_tables()

    def create_tables(self) -> None:
        import tiktok_pipelines.state  # noqa: F401  (registers every table on `metadata`)

        metadata.create_all(self.engine)
        add_missing_columns(self.engine)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction, committed on exit."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (on SQLite, a deferred one that takes no write lock)."""
        with self.engine.connect().execution_options(sqlite_begin="DEFERRED") as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


_DBS: dict[tuple[str, str], StateDB] = {}
_DBS_LOCK = threading.Lock()


def open_state_db(settings: Settings) -> StateDB:
    """One StateDB (one connection pool) per process, database and key."""
    cache_key = (settings.database_url, settings.get("TIKTOK_PIPELINES_SECRET_KEY") or str(settings.data_dir))
    with _DBS_LOCK:
        db = _DBS.get(cache_key)
        if db is None:
            db = _DBS[cache_key] = StateDB(settings.database_url, SecretBox.from_settings(settings))
        return db
