"""`tiktok-pipelines`: the command line of the project, assembled from one module per command group.

Exit codes, for scripts: 0 done; 1 unexpected error; 2 invalid input (bad value, missing field, usage);
3 not found; 4 already exists; 5 configuration error (e.g. no encryption key in production).
"""

from __future__ import annotations

import click

from tiktok_pipelines.cli.attributes import attributes
from tiktok_pipelines.cli.brands import brands
from tiktok_pipelines.cli.catalog import catalog
from tiktok_pipelines.cli.categories import categories
from tiktok_pipelines.cli.clients import clients
from tiktok_pipelines.cli.common import RootGroup
from tiktok_pipelines.cli.creators import creators
from tiktok_pipelines.cli.dashboard import dashboard
from tiktok_pipelines.cli.demo import demo
from tiktok_pipelines.cli.events import events
from tiktok_pipelines.cli.fulfilment import fulfilment
from tiktok_pipelines.cli.notifications import notifications
from tiktok_pipelines.cli.oauth import oauth
from tiktok_pipelines.cli.orders import orders
from tiktok_pipelines.cli.posts import posts
from tiktok_pipelines.cli.sandbox import sandbox
from tiktok_pipelines.cli.secrets import secrets
from tiktok_pipelines.cli.sql import sql
from tiktok_pipelines.cli.state import init, state, where
from tiktok_pipelines.cli.stock_price import stock_price
from tiktok_pipelines.cli.vtex import vtex
from tiktok_pipelines.cli.webhooks import webhooks

COMMANDS = (
    where,
    init,
    state,
    clients,
    creators,
    posts,
    secrets,
    oauth,
    webhooks,
    vtex,
    categories,
    attributes,
    brands,
    catalog,
    stock_price,
    orders,
    fulfilment,
    events,
    notifications,
    sql,
    dashboard,
    sandbox,
    demo,
)


@click.group(cls=RootGroup)
@click.version_option(package_name="tiktok-pipelines")
def main() -> None:
    """Run a VTEX merchant's TikTok Shop with Dagster: catalog, stock and prices, orders, analytics."""


for command in COMMANDS:
    main.add_command(command)


if __name__ == "__main__":
    main()
