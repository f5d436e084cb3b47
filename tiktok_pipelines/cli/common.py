"""What the command groups share: exit codes, failing with one, mapping the project's errors, opening the
state DB, reading a secret, printing a table.

Exit codes, for scripts: 0 done; 1 unexpected error; 2 invalid input (bad value, missing field, usage);
3 not found; 4 already exists; 5 configuration error (e.g. no encryption key in production).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps

import click

from tiktok_pipelines.settings import ConfigError, Settings

EXIT_INVALID, EXIT_NOT_FOUND, EXIT_EXISTS, EXIT_CONFIG = 2, 3, 4, 5


def fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def handle_errors(fn: Callable) -> Callable:
    """Maps the project's errors to messages and exit codes."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        from tiktok_pipelines.stores.crypto import SecretDecryptionError
        from tiktok_pipelines.stores.registry import RegistryError

        try:
            return fn(*args, **kwargs)
        except RegistryError as exc:
            where = f" (state DB {Settings.load().database_label})" if exc.exit_code == EXIT_NOT_FOUND else ""
            fail(f"{exc}{where}", exc.exit_code)
        except ConfigError as exc:
            fail(str(exc), EXIT_CONFIG)
        except SecretDecryptionError as exc:
            fail(str(exc), EXIT_CONFIG)

    return wrapper


def state_db():
    """The state DB this configuration names (never created here: `init` does that)."""
    from tiktok_pipelines.stores.db import open_state_db

    return open_state_db(Settings.load())


def client_registry():
    from tiktok_pipelines.stores.registry import ClientRegistry

    return ClientRegistry(state_db())


def known_client_id(db, client_id: str) -> str:
    """The id of a registered client; an unknown one exits 3 (through `handle_errors`)."""
    from tiktok_pipelines.stores.registry import ClientRegistry

    return ClientRegistry(db).get(client_id).client_id


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


def print_table(rows: list[dict], columns: tuple[str, ...], width: int = 60) -> None:
    """Rows as aligned columns under a header; a cell longer than `width` is cut with an ellipsis."""

    def cell(value) -> str:
        text = "" if value is None else str(value)
        return text if len(text) <= width else text[: width - 1] + "…"

    widths = {c: max(len(c), *(len(cell(r.get(c))) for r in rows)) for c in columns}
    click.echo("  ".join(c.ljust(widths[c]) for c in columns))
    for r in rows:
        click.echo("  ".join(cell(r.get(c)).ljust(widths[c]) for c in columns))
