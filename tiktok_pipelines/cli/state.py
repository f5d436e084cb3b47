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
