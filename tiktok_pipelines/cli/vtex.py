"""`vtex`: VTEX store set-up for a client."""

from __future__ import annotations

import click

from tiktok_pipelines.cli.common import client_registry, fail


@click.group()
def vtex() -> None:
    """VTEX store set-up for a client."""


@vtex.command("hook")
@click.argument("client_id")
@click.option(
    "--receiver-url", required=True, help="Public base URL of the receiver, e.g. https://hooks.example.com"
)
def vtex_hook(client_id: str, receiver_url: str) -> None:
    """Point the client's VTEX order hook at the receiver (order status changes, with the shared secret)."""
    from tiktok_pipelines.defs.resources.vtex import Vtex
    from tiktok_pipelines.lanes.onboarding import configure_vtex_order_hook
    from tiktok_pipelines.settings import Settings
    from tiktok_pipelines.vtex.client import VtexError

    settings = Settings.load()
    secret = settings.require("TIKTOK_PIPELINES_VTEX_WEBHOOK_SECRET")
    client = client_registry().get(client_id)
    try:
        with Vtex.from_settings(settings).client_for(client) as api:
            url = configure_vtex_order_hook(api, receiver_url, secret)
    except VtexError as exc:
        fail(f"VTEX refused the hook: {exc}", 1)
    click.echo(f"VTEX order hook of {client_id} now posts to {url}")
