"""The state DB as a Dagster resource."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.db import StateDB, open_state_db
from tiktok_pipelines.stores.registry import ClientRegistry


def _value(configured: str | None) -> str | None:
    """A configured value, read from its variable when it is one (as Dagster does for a run), so the
    resource also works where Dagster does not resolve it (the CLI, tests, a sensor's own code)."""
    return configured.get_value() if isinstance(configured, dg.EnvVar) else configured


class StateStore(dg.ConfigurableResource):
    """The state DB: client registry, encrypted tokens and secrets, listing map, last pushed stock and
    prices, order map, webhook event log and sync logs. SQLite (WAL) by default, Postgres by URL."""

    database_url: str | None = Field(
        default=None,
        repr=False,
        description="SQLAlchemy URL of the state DB, from TIKTOK_PIPELINES_DATABASE_URL (it may hold a "
        "password: configured as the variable, never its value); unset: state.db in the data dir.",
    )
    secret_key: str | None = Field(
        default=None,
        repr=False,
        description="Fernet key(s) for secrets at rest; from TIKTOK_PIPELINES_SECRET_KEY.",
    )
    environment: str = Field(default="development", description="development or production.")
    data_dir: str = Field(default=".data", description="Where the development key lives.")

    @property
    def settings(self) -> Settings:
        return Settings.load(
            {
                "TIKTOK_PIPELINES_DATABASE_URL": _value(self.database_url) or "",
                "TIKTOK_PIPELINES_SECRET_KEY": _value(self.secret_key) or "",
                "TIKTOK_PIPELINES_ENV": self.environment,
                "TIKTOK_PIPELINES_DATA_DIR": self.data_dir,
            }
        )

    @property
    def db(self) -> StateDB:
        return open_state_db(self.settings)

    @property
    def registry(self) -> ClientRegistry:
        return ClientRegistry(self.db)

    @classmethod
    def from_settings(cls, settings: Settings) -> StateStore:
        def variable(name: str):
            return dg.EnvVar(name) if settings.get(name) else None

        return cls(
            database_url=variable("TIKTOK_PIPELINES_DATABASE_URL"),
            secret_key=variable("TIKTOK_PIPELINES_SECRET_KEY"),
            environment=settings.environment,
            data_dir=str(settings.data_dir),
        )
