"""The state DB's schema migrations (Alembic): `versions/` holds one revision per schema change.

A state DB upgrades itself when it is opened (`stores.schema.upgrade`), and `tiktok-pipelines state
migrate` / `state version` do it by hand. To change a table: edit its declaration on `metadata`, then add a
revision that brings an existing database there (`tiktok-pipelines state revision "what changed"` writes
one from the difference, to be read and completed); `tiktok_pipelines_tests/stores/test_migrations.py`
fails while the declared tables and the migrated schema differ. How-to: docs/architecture.md.
"""
