"""Alembic's environment for the state DB: revisions run on the connection `stores.schema` hands over, in
its transaction and under its lock (`tiktok-pipelines state migrate`, or opening the state DB)."""

from __future__ import annotations

from alembic import context

import tiktok_pipelines.stores  # noqa: F401  (registers every table on `metadata`)
from tiktok_pipelines.settings import ConfigError
from tiktok_pipelines.stores.db import metadata
from tiktok_pipelines.stores.schema import configure_context

connection = context.config.attributes.get("connection")
if connection is None:
    raise ConfigError("the state DB migrates through `tiktok-pipelines state migrate`, not alembic's command")
configure_context(context, connection, metadata)
with context.begin_transaction():
    context.run_migrations()
