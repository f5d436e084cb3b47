"""`vtex`: VTEX store set-up for a client."""

from __future__ import annotations

import click

from tiktok_pipelines.cli.common import fail, handle_errors


@click.group()
def vtex() -> None:
    """VTEX store set-up for a client."""


@vtex.command("hook")
@click.argument("client_id")
@click.option(
    "--receiver-url", required=True, help="Public base URL of the receiver, e.g. https://hooks.example.com"
)
@handle_errors
def vtex_hook(client_id: str, receiver_url: str) -> None:
    """Point the client's VTEX order hook at the receiver (order status changes, with the shared secret)."""
    from tiktok_pipelines.lanes.onboarding import configure_vtex_order_hook
    from tiktok_pipelines.vtex.client import VtexError

    try:
        url = configure_vtex_order_hook(client_id, receiver_url)
    except VtexError as exc:
        fail(f"VTEX refused the hook: {exc}", 1)
    click.echo(f"VTEX order hook of {client_id} now posts to {url}")
