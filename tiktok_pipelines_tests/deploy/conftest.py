"""What the deployment files are checked against here: loopback PostgreSQL and moto in place of the
images, and the environment of deploy/.env.example with loopback values."""

from __future__ import annotations

from pathlib import Path

import pytest

import tiktok_pipelines
from tiktok_pipelines.sandbox.postgres import create_database

ROOT = Path(tiktok_pipelines.__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def env_file(path: Path) -> dict[str, str]:
    """The variables of a `.env` file (KEY=value lines; blank lines and comments skipped)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


@pytest.fixture
def loopback_env(postgres_server, postgres_url, moto_server, tmp_path) -> dict[str, str]:
    """deploy/.env.example with its hosts on loopback: the Dagster instance's database and the state DB
    on the test's PostgreSQL server, the bucket on moto, a fresh key and data dir."""
    import sqlalchemy as sa
    from cryptography.fernet import Fernet

    url = sa.engine.make_url(postgres_url)
    instance_db = f"{url.database}_dagster"
    create_database(postgres_server, instance_db)
    home = tmp_path / "dagster_home"
    home.mkdir()
    return {
        **env_file(DEPLOY / ".env.example"),
        "TIKTOK_PIPELINES_SECRET_KEY": Fernet.generate_key().decode(),
        "TIKTOK_PIPELINES_DATABASE_URL": postgres_url,
        "TIKTOK_PIPELINES_S3_ENDPOINT_URL": moto_server,
        "TIKTOK_PIPELINES_S3_BUCKET": "ttp-test",
        "TIKTOK_PIPELINES_DATA_DIR": str(tmp_path / "data"),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "DAGSTER_PG_HOST": "127.0.0.1",
        "DAGSTER_PG_PORT": str(url.port),
        "DAGSTER_PG_USER": url.username,
        "DAGSTER_PG_PASSWORD": "",
        "DAGSTER_PG_DB": instance_db,
        "DAGSTER_HOME": str(home),
        "DAGSTER_K8S_NAMESPACE": "tiktok-pipelines",
    }
