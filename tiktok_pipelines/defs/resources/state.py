"""The state DB as a Dagster resource."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from tiktok_pipelines.defs.resources.secrets import configured_secret, secret_field, secret_value
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.db import StateDB, open_state_db
from tiktok_pipelines.stores.registry import ClientRegistry


class StateStore(dg.ConfigurableResource):
    """The state DB: client registry, encrypted tokens and secrets, listing map, last pushed stock and
    prices, order map, webhook event log and sync logs. SQLite (WAL) by default, Postgres by URL."""

    database_url: str | None = secret_field(
        "SQLAlchemy URL of the state DB, from TIKTOK_PIPELINES_DATABASE_URL (it may hold a password: "
        "configured as the variable, never its value); unset: state.db in the data dir."
    )
    secret_key: str | None = secret_field(
        "Fernet key(s) for secrets at rest; from TIKTOK_PIPELINES_SECRET_KEY."
    )
    environment: str = Field(default="development", description="development or production.")
    data_dir: str = Field(default=".data", description="Where the development key lives.")

    @property
    def settings(self) -> Settings:
        return Settings.load(
            {
                "TIKTOK_PIPELINES_DATABASE_URL": secret_value(self.database_url) or "",
                "TIKTOK_PIPELINES_SECRET_KEY": secret_value(self.secret_key) or "",
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
        return cls(
            database_url=configured_secret(settings, "TIKTOK_PIPELINES_DATABASE_URL"),
            secret_key=configured_secret(settings, "TIKTOK_PIPELINES_SECRET_KEY"),
            environment=settings.environment,
            data_dir=str(settings.data_dir),
        )

    @classmethod
    def standalone(cls, settings: Settings) -> StateStore:
        """For code that runs outside Dagster (CLI, demo, tests): secrets as values, not EnvVars."""
        return cls(
            database_url=settings.database_url,
            secret_key=settings.get("TIKTOK_PIPELINES_SECRET_KEY"),
            environment=settings.environment,
            data_dir=str(settings.data_dir),
        )
