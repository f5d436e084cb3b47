"""`demo`: the sandbox, a demo client and the Dagster UI."""

from __future__ import annotations

import sys
from typing import Any

import click

from tiktok_pipelines.cli.common import fail
from tiktok_pipelines.cli.sandbox import sandbox_config, sandbox_options


@click.group()
def demo() -> None:
    """The demo: the sandbox, a demo client and the Dagster UI."""


@demo.command("setup")
@sandbox_options
def demo_setup(**kw: Any) -> None:
    """Register (or refresh) the demo client and its partition, pointed at the sandbox, have the sandbox
    ERP invoice orders by itself, and authorize its sandbox TikTok shop (consent, OAuth callback, token
    exchange); the sandbox must be up."""
    from tiktok_pipelines.sandbox.demo import (
        authorize_demo_client,
        automate_demo_erp,
        connect_demo_notifications,
        connect_demo_shopee,
        setup_demo_client,
    )

    config = sandbox_config(**kw)
    client_id = setup_demo_client(config)
    connect_demo_notifications(config)
    click.echo("its notifications go to the sandbox's mailbox and chat sink (docs/notifications.md)")
    click.echo(
        f"demo client {client_id} is registered, its partition exists, and its catalog mapping (categories, "
        "attribute values, certificates) is set for the sandbox store"
    )
    automate_demo_erp(config)
    click.echo("the sandbox VTEX store's ERP now invoices orders by itself (docs/fulfilment.md)")
    try:
        report = authorize_demo_client(config)
    except RuntimeError as exc:
        fail(str(exc), 1)
    click.echo(
        f"demo client {client_id} authorized its sandbox TikTok shop"
        if client_id in report.associated
        else f"demo client {client_id} could not be authorized: {report.codes_failed or 'no code received'}"
    )
    try:
        click.echo(f"demo client {client_id} connected its sandbox Shopee shop {connect_demo_shopee(config)}")
    except RuntimeError as exc:
        click.echo(f"demo client {client_id} could not connect its Shopee shop: {exc}")


@demo.command("run")
@sandbox_options
@click.option("--dagster-port", default=3000, show_default=True)
@click.option(
    "--dashboard-port", type=int, default=None, help="Default TIKTOK_PIPELINES_DASHBOARD_PORT (8706)."
)
@click.option(
    "--walk-seconds",
    default=20.0,
    show_default=True,
    help="The VTEX store changes the stock or price of 2 SKUs this often (0: never).",
)
def demo_run(dagster_port: int, dashboard_port: int | None, walk_seconds: float, **kw: Any) -> None:
    """Start the sandbox, register the demo client and run `dagster dev`; Ctrl-C stops everything."""
    from tiktok_pipelines.sandbox.demo import run_demo

    sys.exit(
        run_demo(
            sandbox_config(**kw),
            dagster_port=dagster_port,
            walk_seconds=walk_seconds,
            dashboard_port=dashboard_port,
        )
    )
