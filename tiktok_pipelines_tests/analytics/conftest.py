"""Fixtures of the analytics tests: writing lake parts row by row, building, reading the result."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pytest

from tiktok_pipelines.analytics.refresh import RefreshReport
from tiktok_pipelines.core.tables import APPEND_ONLY_TABLES
from tiktok_pipelines.defs.analytics.assets import analytics_db
from tiktok_pipelines.defs.resources import build_resources
from tiktok_pipelines.defs.resources.analytics import AnalyticsDatabase
from tiktok_pipelines.defs.resources.storage import ParquetLake
from tiktok_pipelines.sandbox.sales import SalesConfig, SalesSummary, generate_event_log, generate_sales
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.db import open_state_db


class PinnedAnalytics(AnalyticsDatabase):
    """The analytics resource with a fixed build time, so durations up to `built_at` are exact."""

    as_of: str = ""

    def refresh(self, lake, db, log=None, as_of=None):
        pinned = datetime.fromisoformat(self.as_of) if self.as_of else None
        return super().refresh(lake, db, log=log, as_of=as_of or pinned)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def money(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def rows_table(table: str, rows: list[dict]) -> pa.Table:
    """A lake table of `rows`; columns not given are NULL."""
    schema = APPEND_ONLY_TABLES[table].schema
    unknown = {k for r in rows for k in r} - set(schema.names)
    assert not unknown, f"not in the {table} contract: {unknown}"
    return pa.Table.from_pylist([{n: r.get(n) for n in schema.names} for r in rows], schema=schema)


def write_part(lake: ParquetLake, table: str, client_id: str, rows: list[dict]) -> str:
    """Appends one part to the lake, as a producer does."""
    return lake.append_part(table, client_id, rows_table(table, rows))


def materialize_analytics(
    instance: dg.DagsterInstance, resources: dict, as_of: datetime | None = None
) -> dg.ExecuteInProcessResult:
    """Materializes the analytics assets (`as_of` pins `built_at`)."""
    res = dict(resources)
    if as_of is not None:
        res["analytics"] = PinnedAnalytics(**res["analytics"].model_dump(), as_of=as_of.isoformat())
    result = dg.materialize([analytics_db], instance=instance, resources=res)
    assert result.success
    return result


def materializations(result: dg.ExecuteInProcessResult) -> dict[dg.AssetKey, dict]:
    return {m.asset_key: m.metadata for m in result.asset_materializations_for_node("analytics_db")}


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    result = con.execute(sql, params or [])
    columns = [d[0] for d in result.description]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


@dataclass
class AnalyticsEnv:
    settings: Settings
    resources: dict
    instance: dg.DagsterInstance

    @property
    def lake(self) -> ParquetLake:
        return self.resources["lake"]


@contextmanager
def analytics_env(folder: Path) -> Iterator[AnalyticsEnv]:
    """Stores and a Dagster instance in `folder`, for fixtures shared by a module's tests."""
    settings = Settings.load({"TIKTOK_PIPELINES_DATA_DIR": str(folder / "data")})
    open_state_db(settings, create=True)  # a new data dir, state DB and development key
    (folder / "dagster_home").mkdir(parents=True)
    with dg.instance_for_test(temp_dir=str(folder / "dagster_home")) as instance:
        yield AnalyticsEnv(settings, build_resources(settings), instance)


@pytest.fixture
def materialize(instance, resources) -> Callable[..., dg.ExecuteInProcessResult]:
    """Materializes the analytics assets with the test's resources."""
    return lambda as_of=None: materialize_analytics(instance, resources, as_of)


@pytest.fixture
def published(resources) -> Iterator[Callable[[], duckdb.DuckDBPyConnection]]:
    """Opens the published database read-only (closed at the end of the test)."""
    opened: list[duckdb.DuckDBPyConnection] = []

    def connect() -> duckdb.DuckDBPyConnection:
        con = resources["analytics"].connect()
        opened.append(con)
        return con

    yield connect
    for con in opened:
        con.close()


GENERATED = SalesConfig(clients=2, orders=800, products=30, days=45, parts=3, seed=11)
GENERATED_AS_OF = utc(2026, 2, 15, 3)  # the end of the generated span (midnight in São Paulo)


@dataclass
class Generated:
    env: AnalyticsEnv
    summary: SalesSummary
    result: dg.ExecuteInProcessResult

    @property
    def db_path(self) -> Path:
        return self.env.settings.analytics_db_path


@pytest.fixture(scope="package")
def generated(tmp_path_factory) -> Iterator[Generated]:
    """A generated data set (two clients, 800 orders each, re-ingested versions...) built once."""
    with analytics_env(tmp_path_factory.mktemp("generated")) as env:
        summary = generate_sales(env.lake, GENERATED)
        generate_event_log(env.resources["state"].db, GENERATED)
        result = materialize_analytics(env.instance, env.resources, as_of=GENERATED_AS_OF)
        yield Generated(env, summary, result)


@pytest.fixture
def refresh(resources, state_db) -> Callable[..., RefreshReport]:
    """Builds and publishes without Dagster (for tests of the build itself, not of the asset)."""
    return lambda as_of=None: resources["analytics"].refresh(resources["lake"], state_db, as_of=as_of)
