"""The state DB's URL can hold a production password: it never reaches the Dagster UI or GraphQL (the
code location's snapshot, which the webserver serves), a repr, or a message."""

import dagster as dg
from dagster._core.remote_representation.external_data import RepositorySnap
from dagster._serdes import serialize_value

from tiktok_pipelines.defs.resources import build_resources
from tiktok_pipelines.settings import Settings

PASSWORD = "Sup3r-s3cret-pw"
URL = f"postgresql+psycopg2://ttp:{PASSWORD}@db.internal:5432/ttp"


def test_the_database_url_is_configured_as_its_variable_never_its_value(monkeypatch):
    from tiktok_pipelines.definitions import defs as project

    monkeypatch.setenv("TIKTOK_PIPELINES_DATABASE_URL", URL)
    resources = build_resources(Settings.load())
    defs = dg.Definitions(
        assets=project.assets,
        jobs=project.jobs,
        schedules=project.schedules,
        sensors=project.sensors,
        resources=resources,
    )
    snapshot = serialize_value(RepositorySnap.from_def(defs.get_repository_def()))
    assert PASSWORD not in snapshot
    assert "TIKTOK_PIPELINES_DATABASE_URL" in snapshot  # Deployment → Resources names the variable
    assert PASSWORD not in repr(resources["state"]) + repr(resources["tiktok_shop"]) + repr(
        resources["event_queue"]
    )
    # Where Dagster does not resolve the variable (the CLI, a sensor's code), the resource reads it.
    assert resources["state"].settings.database_url == URL


def test_messages_name_the_database_without_its_password(monkeypatch):
    monkeypatch.setenv("TIKTOK_PIPELINES_DATABASE_URL", URL)
    label = Settings.load().database_label
    assert label == "postgresql+psycopg2://ttp:***@db.internal:5432/ttp"
