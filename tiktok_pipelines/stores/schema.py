"""The state DB's schema version and its upgrade, with Alembic (revisions in `stores/migrations/versions`).

`upgrade` runs when a state DB is opened (`StateDB`) and by `tiktok-pipelines state migrate`: a new
database is made in the declared shape and stamped with the newest revision; one of the release before
versions (no `alembic_version` table, tables present) is stamped with the baseline, `0001`, and upgraded
from there; any other is upgraded from its version. One process migrates at a time: on Postgres under an
advisory lock, on SQLite under the database's write lock (BEGIN IMMEDIATE); the others wait, look again and
find nothing to do. It all happens in one transaction, so a failed revision leaves the database as it was.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from tiktok_pipelines.settings import ConfigError

SCRIPT_LOCATION = "tiktok_pipelines.stores:migrations"
BASELINE = "0001"  # the schema of the release before versions
VERSION_TABLE = "alembic_version"
_POSTGRES_LOCK = 7_263_401  # pg_advisory_xact_lock key: one migrating process at a time


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for the state DB; its revisions are found inside the installed package."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The newest revision: the schema `metadata` declares."""
    return _scripts().get_current_head()


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Revisions spell the project's column types in SQLAlchemy's, so they never change under them."""
    from tiktok_pipelines.stores.db import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def configure_context(context: Any, connection: Connection, metadata: sa.MetaData) -> None:
    """How revisions run and compare (`env.py`; the same settings for autogenerate and the schema test)."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        render_item=_render_item,
        render_as_batch=True,  # SQLite changes a table by rebuilding it
        version_table=VERSION_TABLE,
    )


@dataclass(frozen=True)
class SchemaVersion:
    current: str | None  # None: a new database, or one of the release before versions
    head: str
    tables: int  # the project's tables it holds

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def version(engine: Engine) -> SchemaVersion:
    """Where a state DB stands; changes nothing."""
    with engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
        found = _version(conn)
        conn.rollback()
    return found


def _version(conn: Connection) -> SchemaVersion:
    current = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()
    tables = set(sa.inspect(conn).get_table_names()) - {VERSION_TABLE}
    return SchemaVersion(current, head(), len(tables))


def upgrade(engine: Engine, metadata: sa.MetaData) -> list[str]:
    """Brings a state DB to the newest revision; returns the revisions applied (empty: it was there)."""
    if version(engine).up_to_date:
        return []
    with engine.begin() as conn:  # on SQLite, BEGIN IMMEDIATE: the write lock, before looking again
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_POSTGRES_LOCK})")
        return _upgrade(conn, metadata)


def _upgrade(conn: Connection, metadata: sa.MetaData) -> list[str]:
    found = _version(conn)
    if found.up_to_date:
        return []
    config = alembic_config(conn)
    if found.current is None and not found.tables:
        metadata.create_all(conn)
        command.stamp(config, "head")
        return [found.head]
    applied = pending(found)
    if found.current is None:
        command.stamp(config, BASELINE)
    command.upgrade(config, "head")
    return applied


def differences(conn: Connection, metadata: sa.MetaData) -> list[Any]:
    """What autogenerate finds between a database and the declared tables, and the primary keys it does
    not compare (empty: they agree): a table, column, index or key declared without a revision shows here."""
    from alembic.autogenerate import compare_metadata

    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "version_table": VERSION_TABLE, "target_metadata": metadata}
    )
    found = list(compare_metadata(context, metadata))
    inspector = sa.inspect(conn)
    present = set(inspector.get_table_names())
    for table in metadata.sorted_tables:
        if table.name not in present:
            continue
        declared = [c.name for c in table.primary_key.columns]
        actual = inspector.get_pk_constraint(table.name)["constrained_columns"]
        if actual != declared:
            found.append(("primary_key", table.name, actual, declared))
    return found


def pending(found: SchemaVersion) -> list[str]:
    """The revisions `upgrade` would apply to a database where `version` found it; a ConfigError for a
    database at a revision this release does not have (a newer release migrated it)."""
    if found.up_to_date or (found.current is None and not found.tables):
        return []
    known = {script.revision for script in _scripts().walk_revisions()}
    if found.current is not None and found.current not in known:
        raise ConfigError(
            f"the state DB is at schema revision {found.current}, which this release does not know (its "
            f"newest is {found.head}): a newer release migrated it; run that release"
        )
    start = found.current or BASELINE
    return [script.revision for script in _scripts().iterate_revisions(found.head, start)][::-1]


def write_revision(message: str) -> str:
    """A new revision file (`<number>_<slug>.py`) from what autogenerate finds between the newest
    revision's schema, built in a scratch SQLite database, and the declared tables; returns its path."""
    import tempfile
    from pathlib import Path

    import tiktok_pipelines.stores  # noqa: F401  (registers every table on `metadata`)
    from tiktok_pipelines.stores.db import create_state_engine

    with tempfile.TemporaryDirectory() as folder:
        engine = create_state_engine(f"sqlite:///{Path(folder) / 'scratch.db'}")
        try:
            with engine.begin() as conn:
                command.upgrade(alembic_config(conn), "head")
                number = f"{int(head()) + 1:04d}"
                script = command.revision(alembic_config(conn), message, autogenerate=True, rev_id=number)
        finally:
            engine.dispose()
    _scripts.cache_clear()
    return (script[0] if isinstance(script, list) else script).path
