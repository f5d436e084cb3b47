"""The state DB: SQLAlchemy Core over a SQLite file (WAL) by default, Postgres by URL.

Every table of the project is declared on `metadata` by the module that owns it (registry, feeds,
tokens, listings, orders, events...). `tiktok_pipelines.stores` imports them all, so `StateDB` creates
every table it knows on first use; creation is idempotent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tiktok_pipelines.core.names import ChannelName
from tiktok_pipelines.settings import ConfigError, Settings
from tiktok_pipelines.stores.crypto import SecretBox

metadata = sa.MetaData()

# The channel of rows written before tables named their channel: every one of them was TikTok Shop's.
DEFAULT_CHANNEL = ChannelName.TIKTOK_SHOP.value

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


def client_column(**kwargs: Any) -> sa.Column:
    """The client a row belongs to (`primary_key=True` or `nullable=False` as the table needs); its rows
    go when the client is deleted."""
    return sa.Column(
        "client_id", sa.String(63), sa.ForeignKey("clients.client_id", ondelete="CASCADE"), **kwargs
    )


def channel_column(primary_key: bool = False) -> sa.Column:
    """The sales channel a row belongs to (a `ChannelName` value), in the tables that hold a channel's
    ids; part of the key where two channels' rows would otherwise collide."""
    return sa.Column(
        "channel",
        sa.String(30),
        primary_key=primary_key,
        nullable=False,
        default=DEFAULT_CHANNEL,
        server_default=DEFAULT_CHANNEL,
    )


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


# Any fixed number, the same in every process: the key of the advisory lock of the state DB's schema.
SCHEMA_LOCK_KEY = 7_463_001


@contextmanager
def schema_lock(engine: Engine) -> Iterator[None]:
    """One process at a time sets up the schema. Processes that start together on a new PostgreSQL
    database (receivers, the code location, runs) would otherwise each create the same tables, and all
    but one fail on PostgreSQL's catalog; they wait on an advisory lock instead, and the later ones find
    the tables made. SQLite takes its own file lock for each statement."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.exec_driver_sql(f"SELECT pg_advisory_lock({SCHEMA_LOCK_KEY})")
        try:
            yield
        finally:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({SCHEMA_LOCK_KEY})")
            conn.commit()


class StateDB:
    """Connections to the state DB and the box that encrypts its secrets."""

    def __init__(self, url: str, secrets: SecretBox):
        self.url = url
        self.engine = create_state_engine(url)
        self.secrets = secrets
        self.create_tables()

    def create_tables(self) -> None:
        import tiktok_pipelines.stores  # noqa: F401  (registers every table on `metadata`)
        from tiktok_pipelines.stores.upgrades import upgrade_schema

        with schema_lock(self.engine):
            upgrade_schema(self.engine)  # before `create_all`, which would make a renamed table anew
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


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite state DB (None for another database, or an in-memory one)."""
    if not url.startswith("sqlite"):
        return None
    database = sa.engine.make_url(url).database
    return Path(database).resolve() if database and database != ":memory:" else None


def _clients_registered(url: str) -> int:
    """How many clients an existing state DB holds (0 when it does not exist yet); creates nothing."""
    path = sqlite_file(url)
    if path is not None and not path.exists():
        return 0
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("clients"):
                return 0
            return conn.execute(sa.text("SELECT COUNT(*) FROM clients")).scalar_one()
    finally:
        engine.dispose()


def check_state_location(settings: Settings, create: bool = False) -> None:
    """Refuses, saying where it looked, a state DB that is not where the configuration says (a SQLite
    file whose folder does not exist) unless `create`, and a new development key for a state DB that
    already holds secrets (a new key could not read them)."""
    path = sqlite_file(settings.database_url)
    if path is not None and not path.parent.exists() and not create:
        raise ConfigError(
            f"no state DB at {settings.database_label}: the folder {path.parent} does not exist (data dir: "
            f"{settings.data_dir_origin()}). Run from the project's folder, or set TIKTOK_PIPELINES_DATA_DIR "
            "(or TIKTOK_PIPELINES_DATABASE_URL); `tiktok-pipelines init` creates a new one there."
        )
    needs_dev_key = not settings.get("TIKTOK_PIPELINES_SECRET_KEY") and not settings.is_production
    if needs_dev_key and not settings.dev_key_path.exists():
        clients = _clients_registered(settings.database_url)
        if clients:
            raise ConfigError(
                f"the state DB {settings.database_label} holds {clients} client(s) whose secrets were "
                f"encrypted with a development key, but there is none at {settings.dev_key_path}: restore it, "
                "or set TIKTOK_PIPELINES_SECRET_KEY to the key that encrypted them (a new key could not read "
                "them)"
            )


def open_state_db(settings: Settings, create: bool = False) -> StateDB:
    """One StateDB (one connection pool) per process, database and key.

    Nothing new is made unless `create` (`tiktok-pipelines init`, the demo): a SQLite state DB whose
    folder does not exist, or a missing development key, is a ConfigError that says where it looked.
    """
    cache_key = (settings.database_url, settings.get("TIKTOK_PIPELINES_SECRET_KEY") or str(settings.data_dir))
    check_state_location(settings, create)
    with _DBS_LOCK:
        db = _DBS.get(cache_key)
        if db is None:
            secrets = SecretBox.from_settings(settings, create_key=create)
            db = _DBS[cache_key] = StateDB(settings.database_url, secrets)
        return db


def update_or_insert(
    conn: Connection,
    table: sa.Table,
    key: dict[str, Any],
    values: dict[str, Any],
    insert_only: dict[str, Any] | None = None,
) -> None:
    """Sets `values` on the row of `table` with `key`, or inserts it when there is none (with the
    `insert_only` columns too, unless `values` name them); in `conn`'s transaction."""
    where = [table.c[k] == v for k, v in key.items()]
    if values and conn.execute(table.update().where(*where).values(**values)).rowcount:
        return
    if not values and conn.execute(sa.select(*[table.c[k] for k in key]).where(*where)).first():
        return
    conn.execute(table.insert().values({**(insert_only or {}), **values, **key}))


def channel_key() -> tuple[sa.Column, sa.Column]:
    """The columns the key of a client's rows on one channel begins with: the client and the channel."""
    return client_column(primary_key=True), channel_column(primary_key=True)


class ChannelStore:
    """A store of what clients have on one channel (a `ChannelName` value), over tables keyed by client and
    channel; every write is one short transaction."""

    def __init__(self, db: StateDB, channel: str = DEFAULT_CHANNEL):
        self.db = db
        self.channel = str(channel)

    def _of(self, table: sa.Table, client_id: str) -> sa.ColumnElement[bool]:
        """The rows of a client on this store's channel."""
        return sa.and_(table.c.client_id == client_id, table.c.channel == self.channel)

    def _rows(self, table: sa.Table, client_id: str, *where: Any) -> list[sa.Row]:
        """The client's rows of `table` on this store's channel that match `where`."""
        with self.db.read() as conn:
            return list(conn.execute(sa.select(table).where(self._of(table, client_id), *where)).all())

    def _first(self, table: sa.Table, client_id: str, *where: Any) -> sa.Row | None:
        """The client's row of `table` on this store's channel that matches `where` (None: none does)."""
        with self.db.read() as conn:
            return conn.execute(sa.select(table).where(self._of(table, client_id), *where)).first()

    def _update(self, table: sa.Table, client_id: str, *where: Any, **values: Any) -> int:
        """Sets `values` on the client's rows of `table` that match `where`; returns how many matched."""
        with self.db.begin() as conn:
            return conn.execute(
                table.update().where(self._of(table, client_id), *where).values(**values)
            ).rowcount

    def _delete(self, table: sa.Table, client_id: str, *where: Any) -> int:
        """Deletes the client's rows of `table` that match `where`; returns how many."""
        with self.db.begin() as conn:
            return conn.execute(table.delete().where(self._of(table, client_id), *where)).rowcount

    def _save(
        self,
        table: sa.Table,
        client_id: str,
        values: dict[str, Any],
        insert_only: dict[str, Any] | None = None,
        **key: Any,
    ) -> None:
        """Sets `values` on the client's row of `table` with `key` on this store's channel, or inserts it
        when there is none (`update_or_insert`)."""
        with self.db.begin() as conn:
            update_or_insert(conn, table, self._key(client_id, **key), values, insert_only)

    def _key(self, client_id: str, **key: Any) -> dict[str, Any]:
        """A row's key values on this store's channel."""
        return {"client_id": client_id, "channel": self.channel, **key}
