"""`where` and `init`: which data dir, state DB and key this configuration uses, and creating them."""

from __future__ import annotations

import click

from tiktok_pipelines.settings import Settings


def _state_lines(settings: Settings) -> list[str]:
    """Which data dir, state DB and key this configuration uses, and whether they exist."""
    from tiktok_pipelines.stores.db import sqlite_file

    data_dir = settings.data_dir
    lines = [
        f"environment: {settings.environment}",
        f"data dir: {data_dir} ({'exists' if data_dir.exists() else 'does not exist'}; "
        f"{settings.data_dir_origin()})",
    ]
    db_file = sqlite_file(settings.database_url)
    state = "" if db_file is None else f" ({'exists' if db_file.exists() else 'does not exist'})"
    lines.append(f"state DB: {settings.database_label}{state}")
    if settings.get("TIKTOK_PIPELINES_SECRET_KEY"):
        lines.append("encryption key: TIKTOK_PIPELINES_SECRET_KEY")
    elif settings.is_production:
        lines.append("encryption key: none (TIKTOK_PIPELINES_SECRET_KEY is required in production)")
    else:
        key = settings.dev_key_path
        lines.append(
            f"encryption key: development key {key} ({'exists' if key.exists() else 'does not exist'})"
        )
    return lines


@click.command("where")
def where() -> None:
    """Say which data dir, state DB (password hidden) and encryption key this configuration uses, and
    whether they exist; creates nothing."""
    for line in _state_lines(Settings.load()):
        click.echo(line)


@click.command("init")
def init() -> None:
    """Create the data dir, the state DB and (in development, without TIKTOK_PIPELINES_SECRET_KEY) the
    development key where the configuration says, if they do not exist yet. Other commands never create
    them: run from another folder, they say where they looked instead."""
    from tiktok_pipelines.stores.db import open_state_db
    from tiktok_pipelines.stores.registry import ClientRegistry

    settings = Settings.load()
    before = _state_lines(settings)
    registry = ClientRegistry(open_state_db(settings, create=True))
    for was, now in zip(before, _state_lines(settings), strict=True):
        click.echo(
            now.replace("(exists", "(created") if "does not exist" in was and "(exists" in now else now
        )
    click.echo(f"clients registered: {len(registry.ids())}")


def _schema_engine(settings: Settings):
    """An engine on the configured state DB, after the checks every command makes (it must exist)."""
    from tiktok_pipelines.stores.db import check_state_location, create_state_engine

    check_state_location(settings)
    return create_state_engine(settings.database_url)


@click.group("state")
def state() -> None:
    """The state DB's schema: its version and its migrations (Alembic)."""


@state.command("version")
def state_version() -> None:
    """Say the state DB's schema revision, the newest one and those still to apply; changes nothing."""
    from tiktok_pipelines.stores.db import sqlite_file
    from tiktok_pipelines.stores.schema import BASELINE, pending, version

    settings = Settings.load()
    file = sqlite_file(settings.database_url)
    if file is not None and not file.exists():
        click.echo(f"state DB: {settings.database_label} (does not exist yet)")
        return
    engine = _schema_engine(settings)
    try:
        found = version(engine)
    finally:
        engine.dispose()
    click.echo(f"state DB: {settings.database_label}")
    if found.current is None and not found.tables:
        click.echo(f"revision: none (a new database; it is made at {found.head} when first opened)")
    elif found.current is None:
        click.echo(f"revision: none (the release before versions: upgraded from {BASELINE})")
    else:
        click.echo(f"revision: {found.current}")
    click.echo(f"newest: {found.head}")
    to_apply = pending(found)
    click.echo(f"to apply: {', '.join(to_apply) if to_apply else 'nothing, up to date'}")


@state.command("migrate")
def state_migrate() -> None:
    """Bring the state DB to the newest revision now (opening it does the same); one process at a time."""
    import tiktok_pipelines.stores  # noqa: F401  (registers every table on `metadata`)
    from tiktok_pipelines.stores.db import metadata
    from tiktok_pipelines.stores.schema import head, upgrade

    settings = Settings.load()
    engine = _schema_engine(settings)
    try:
        applied = upgrade(engine, metadata)
    finally:
        engine.dispose()
    if applied:
        click.echo(f"state DB {settings.database_label}: applied {', '.join(applied)}; now at {head()}")
    else:
        click.echo(f"state DB {settings.database_label}: at {head()}, nothing to apply")


@state.command("revision")
@click.argument("message")
def state_revision(message: str) -> None:
    """Write a new revision (in stores/migrations/versions of this checkout) from what the declared tables
    have that the newest revision's schema does not; read it and complete it before committing."""
    from tiktok_pipelines.stores.schema import write_revision

    click.echo(f"wrote {write_revision(message)}")
