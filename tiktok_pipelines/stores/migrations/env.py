"""Alembic's environment for the state DB: it runs on the connection `stores.schema` hands over (in its
transaction, under its lock), or, from the `alembic` command line, on the configured state DB."""

from __future__ import annotations

from alembic import context

import tiktok_pipelines.stores  # noqa: F401  (registers every table on `metadata`)
from tiktok_pipelines.stores.db import metadata
from tiktok_pipelines.stores.schema import configure_context

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    from tiktok_pipelines.settings import Settings
    from tiktok_pipelines.stores.db import create_state_engine

    engine = create_state_engine(Settings.load().database_url)
    with engine.begin() as connection:
        configure_context(context, connection, metadata)
        context.run_migrations()
    engine.dispose()
else:
    configure_context(context, connection, metadata)
    with context.begin_transaction():
        context.run_migrations()
