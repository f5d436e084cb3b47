"""A Postgres state DB named by the usual URL, `postgresql://...` without a driver, opens with the driver
the project installs (SQLAlchemy 2.1 would take psycopg 3 for it, which is not installed)."""

import sqlalchemy as sa

from tiktok_pipelines.stores.crypto import SecretBox
from tiktok_pipelines.stores.db import StateDB
from tiktok_pipelines.stores.registry import ClientRegistry, build_client
from tiktok_pipelines_tests.stores.test_registry import FIELDS


def test_a_postgres_url_without_a_driver_opens_the_state_db(postgres_url, settings):
    bare = str(sa.engine.make_url(postgres_url).set(drivername="postgresql").render_as_string(False))
    assert bare.startswith("postgresql://")
    db = StateDB(bare, SecretBox.from_settings(settings))
    try:
        ClientRegistry(db).add(build_client(**FIELDS))
        assert ClientRegistry(db).ids() == [FIELDS["client_id"]]
    finally:
        db.dispose()
