"""`dashboard`: serve the sales dashboard, and make the hash of its password."""

from __future__ import annotations

from pathlib import Path

import click

from tiktok_pipelines.cli.common import EXIT_INVALID, fail, handle_errors
from tiktok_pipelines.settings import Settings


@click.group()
def dashboard() -> None:
    """The sales dashboard: pages over the published analytics database (docs/dashboard.md)."""


@dashboard.command("serve")
@click.option("--host", default=None, help="Default TIKTOK_PIPELINES_DASHBOARD_HOST.")
@click.option("--port", type=int, default=None, help="Default TIKTOK_PIPELINES_DASHBOARD_PORT.")
@click.option(
    "--database",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The DuckDB file (default: the published one, TIKTOK_PIPELINES_ANALYTICS_DB).",
)
@handle_errors
def dashboard_serve(host: str | None, port: int | None, database: Path | None) -> None:
    """Serve the dashboard until Ctrl-C (read-only; a login outside development)."""
    import uvicorn

    from tiktok_pipelines.dashboard.app import create_app

    settings = Settings.load()
    app = create_app(settings, database)
    host = host or settings.require("TIKTOK_PIPELINES_DASHBOARD_HOST")
    port = port or settings.int("TIKTOK_PIPELINES_DASHBOARD_PORT")
    click.echo(f"dashboard on http://{host}:{port} (reads {database or settings.analytics_db_path})")
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=True)


@dashboard.command("hash-password")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the password from standard input (one line).")
@handle_errors
def dashboard_hash_password(from_stdin: bool) -> None:
    """Print the hash to set as TIKTOK_PIPELINES_DASHBOARD_PASSWORD_HASH; the password is prompted for
    (not echoed) or read from standard input, never taken on the command line, and kept nowhere."""
    from tiktok_pipelines.dashboard.auth import hash_password

    if from_stdin:
        password = click.get_text_stream("stdin").readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 12:
        fail("the password must have at least 12 characters", EXIT_INVALID)
    click.echo(hash_password(password))
