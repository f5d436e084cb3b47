"""Processes that open a new PostgreSQL state DB at the same moment (a deployment starting: receivers,
the code location, runs) all start: one creates the tables, the others wait for it and find them."""

from __future__ import annotations

import sqlalchemy as sa

from tiktok_pipelines.stores.db import metadata
from tiktok_pipelines_tests.processes import at_once


def open_state_db_at_once(url: str, key: str, start, results) -> None:
    import os

    os.environ["TIKTOK_PIPELINES_DATABASE_URL"] = url
    os.environ["TIKTOK_PIPELINES_SECRET_KEY"] = key
    from tiktok_pipelines.settings import Settings
    from tiktok_pipelines.stores.db import open_state_db

    start.wait()
    try:
        open_state_db(Settings.load())
        results.put("opened")
    except Exception as exc:
        results.put(f"{type(exc).__name__}: {exc}"[:300])


def test_processes_opening_a_new_postgres_state_db_at_once_all_start(postgres_url, isolated_env):
    processes_count = 4
    key = isolated_env["TIKTOK_PIPELINES_SECRET_KEY"]
    outcomes = at_once(open_state_db_at_once, (postgres_url, key), processes_count, timeout=120)

    assert outcomes == ["opened"] * processes_count
    engine = sa.create_engine(postgres_url)
    try:
        assert set(metadata.tables) <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
