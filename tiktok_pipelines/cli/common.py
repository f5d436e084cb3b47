"""What the command groups share: exit codes, failing with one, the root group that maps the project's
errors, opening the state DB, reading a secret, printing a table.

Exit codes, for scripts: 0 done; 1 unexpected error; 2 invalid input (bad value, missing field, usage);
3 not found; 4 already exists; 5 configuration error (e.g. no encryption key in production).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from tiktok_pipelines.settings import ConfigError, Settings

EXIT_INVALID, EXIT_NOT_FOUND, EXIT_EXISTS, EXIT_CONFIG = 2, 3, 4, 5


def fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


class RootGroup(click.Group):
    """The `tiktok-pipelines` group: an error of the project, whichever command raises it, becomes a message
    and its exit code."""

    def invoke(self, ctx: click.Context):
        from tiktok_pipelines.stores.crypto import SecretDecryptionError
        from tiktok_pipelines.stores.registry import RegistryError

        try:
            return super().invoke(ctx)
        except RegistryError as exc:
            where = f" (state DB {Settings.load().database_label})" if exc.exit_code == EXIT_NOT_FOUND else ""
            fail(f"{exc}{where}", exc.exit_code)
        except (ConfigError, SecretDecryptionError) as exc:
            fail(str(exc), EXIT_CONFIG)


def options(*decorators: Callable) -> Callable:
    """One decorator that applies click options (or arguments) in the order given, which is their order in
    `--help`."""

    def apply(fn: Callable) -> Callable:
        for decorator in reversed(decorators):
            fn = decorator(fn)
        return fn

    return apply


def state_db():
    """The state DB this configuration names (never created here: `init` does that)."""
    from tiktok_pipelines.stores.db import open_state_db

    return open_state_db(Settings.load())


def client_registry():
    from tiktok_pipelines.stores.registry import ClientRegistry

    return ClientRegistry(state_db())


def state_db_for(client_id: str):
    """The state DB and the id of a client registered in it; an unknown client exits 3."""
    from tiktok_pipelines.stores.registry import ClientRegistry

    db = state_db()
    return db, ClientRegistry(db).get(client_id).client_id


def secret_value(value: str | None, name: str, required: bool) -> str | None:
    """'-' reads the secret from stdin; missing and interactive prompts without echo."""
    if value == "-":
        line = sys.stdin.readline().rstrip("\n")
        if not line:
            fail(f"{name}: nothing on standard input", EXIT_INVALID)
        return line
    if value is None and required:
        if sys.stdin.isatty():
            return click.prompt(name, hide_input=True)
        fail(f"{name} is required (give it, or '-' to read it from standard input)", EXIT_INVALID)
    return value


def json_or_none(rows: list[dict], as_json: bool, none: str, **dumps: Any) -> bool:
    """What a listing prints before its own lines: the rows as JSON when asked (`dumps` are `json.dumps`'
    options), or `none` when there is no row. True when that is all there is to print."""
    if as_json:
        click.echo(json.dumps(rows, indent=2, **dumps))
    elif not rows:
        click.echo(none)
    return as_json or not rows


def print_table(rows: list[dict], columns: tuple[str, ...], width: int | None = 60) -> None:
    """Rows as aligned columns under a header; a cell longer than `width` (if any) is cut with an ellipsis."""

    def cell(value) -> str:
        text = "" if value is None else str(value)
        return text if width is None or len(text) <= width else text[: width - 1] + "…"

    widths = {c: max(len(c), *(len(cell(r.get(c))) for r in rows)) for c in columns}
    click.echo("  ".join(c.ljust(widths[c]) for c in columns))
    for r in rows:
        click.echo("  ".join(cell(r.get(c)).ljust(widths[c]) for c in columns))
