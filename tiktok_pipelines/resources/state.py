"""The state DB as a Dagster resource."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from tiktok_pipelines.settings import Settings
from tiktok_pipelines.state.db import StateDB, open_state_db
from tiktok_pipelines.state.feeds import FeedSnapshots
from tiktok_pipelines.state.registry import ClientRegistry


class StateStore(dg.ConfigurableResource):
    """The state DB: client registry, encrypted tokens and secrets, listing map, last pushed stock and
    prices, order map, webhook event log and sync logs. SQLite (WAL) by default, Postgres by URL."""

    database_url: str = Field(description="SQLAlchemy URL of the state DB.")
    secret_key: str | None = Field(
        default=None,
        repr=False,
        description="Fernet key(s) for secrets at rest; from TIKTOK_PIPELINES_SECRET_KEY.",
    )
    environment: str = Field(default="development", description="development or production.")
    data_dir: str = Field(default=".data", description="Where the development key lives.")

    @property
    def db(self) -> StateDB:
        return open_state_db(
            Settings.load(
                {
                    "TIKTOK_PIPELINES_DATABASE_URL": self.database_url,
                    "TIKTOK_PIPELINES_SECRET_KEY": self.secret_key or "",
                    "TIKTOK_PIPELINES_ENV": self.environment,
                    "TIKTOK_PIPELINES_DATA_DIR": self.data_dir,
                }
            )
        )

    @property
    def registry(self) -> ClientRegistry:
        return ClientRegistry(self.db)

    @property
    def feeds(self) -> FeedSnapshots:
        return FeedSnapshots(self.db)

    @classmethod
    def from_settings(cls, settings: Settings) -> StateStore:
        return cls(
            database_url=settings.database_url,
            secret_key=(
                dg.EnvVar("TIKTOK_PIPELINES_SECRET_KEY")
                if settings.get("TIKTOK_PIPELINES_SECRET_KEY")
                else None
            ),
            environment=settings.environment,
            data_dir=str(settings.data_dir),
        )
