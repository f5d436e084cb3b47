"""The analytics database as a Dagster resource: where it is published and how it is built."""

from __future__ import annotations

from datetime import datetime

import dagster as dg
import duckdb
from pydantic import Field

from tiktok_pipelines.analytics.publish import open_published
from tiktok_pipelines.analytics.refresh import BuildOptions, RefreshReport, refresh
from tiktok_pipelines.defs.resources.storage import ParquetLake
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.db import StateDB


class AnalyticsDatabase(dg.ConfigurableResource):
    """The DuckDB database analysts query (`analytics.duckdb`). A build writes a new file next to the
    published one and swaps it in atomically, so open analyst sessions never block or break a build."""

    path: str = Field(description="Path of the published DuckDB file.")
    timezone: str = Field(
        default="America/Sao_Paulo", description="Time zone of the tables' `day` and period columns."
    )
    memory_limit: str = Field(default="4GB", description="DuckDB memory limit while building.")
    threads: int = Field(default=0, description="DuckDB threads while building; 0 lets DuckDB choose.")
    top_n: int = Field(default=20, description="Products ranked per client and period in `top_products`.")
    fresh_minutes: int = Field(
        default=0,
        description="analytics_freshness_sensor rebuilds changed inputs once the last build is this old "
        "(0: off, the hourly schedule builds).",
    )

    def options(self) -> BuildOptions:
        return BuildOptions(
            timezone=self.timezone,
            memory_limit=self.memory_limit,
            threads=self.threads or None,
            top_n=self.top_n,
        )

    def refresh(
        self, lake: ParquetLake, db: StateDB, log=None, as_of: datetime | None = None
    ) -> RefreshReport:
        """Builds the database from the lake and the event log and publishes it."""
        return refresh(lake, db, self.path, self.options(), as_of=as_of, log=log)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A read-only session on the published database (timestamps shown in UTC)."""
        return open_published(self.path)

    @classmethod
    def from_settings(cls, settings: Settings) -> AnalyticsDatabase:
        return cls(
            path=str(settings.analytics_db_path),
            timezone=settings.analytics_timezone,
            memory_limit=settings.require("TIKTOK_PIPELINES_ANALYTICS_MEMORY_LIMIT"),
            fresh_minutes=settings.int("TIKTOK_PIPELINES_ANALYTICS_FRESH_MINUTES"),
        )
