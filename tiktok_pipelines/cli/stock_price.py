"""`stock-price`: the stock and price sync VTEX → each channel, per SKU (`--channel`, TikTok Shop by
default)."""

from __future__ import annotations

import json

import click

from tiktok_pipelines.cli.common import EXIT_INVALID, EXIT_NOT_FOUND, fail, print_table, state_db
from tiktok_pipelines.core.names import ChannelName

CHANNELS = tuple(c.value for c in ChannelName)

channel_option = click.option(
    "--channel",
    type=click.Choice(CHANNELS),
    default=CHANNELS[0],
    show_default=True,
    help="The channel whose SKUs these are.",
)


@click.group("stock-price")
def stock_price() -> None:
    """The stock and price sync VTEX → each channel: state per SKU, held price drops, the dead letter."""


def _stock_price(client_id: str, channel: str = CHANNELS[0]):
    from tiktok_pipelines.core.stock_price import StockPriceOptions, StockPriceOptionsError
    from tiktok_pipelines.stores.registry import ClientRegistry
    from tiktok_pipelines.stores.stock_price import SkuSyncStore

    db = state_db()
    client = ClientRegistry(db).get(client_id)
    try:
        options = StockPriceOptions.from_client_options(client.options)
    except StockPriceOptionsError as exc:
        fail(str(exc), EXIT_INVALID)
    return client, options, SkuSyncStore(db, channel)


def _when(value) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if value else "-"


@stock_price.command("status")
@click.argument("client_id")
@channel_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stock_price_status(client_id: str, channel: str, as_json: bool) -> None:
    """SKUs per kind: in step with the channel, pending, failing, in the dead letter, held, waiting for a
    read."""
    client, options, store = _stock_price(client_id, channel)
    rows = [vars(s) for s in store.summary(client.client_id, options.stock_price_max_attempts)]
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    for row in rows:
        row["last_read"], row["last_confirmed"] = _when(row["last_read"]), _when(row["last_confirmed"])
    print_table(
        rows,
        (
            "kind",
            "skus",
            "in_sync",
            "pending",
            "failing",
            "dead",
            "held",
            "dirty",
            "never_read",
            "last_read",
            "last_confirmed",
        ),
    )


@stock_price.command("options")
@click.argument("client_id")
def stock_price_options(client_id: str) -> None:
    """The client's stock and price rules in effect (defaults included) and its warehouse map."""
    from tiktok_pipelines.cli.clients import channel_stock_most
    from tiktok_pipelines.core.stock_price import StockPriceOptionsError, warehouse_plan

    client, options, _ = _stock_price(client_id)
    for name, value in options.describe().items():
        shown = "(default)" if name not in client.options else ""
        click.echo(f"{name}: {value} {shown}".rstrip())
    most = channel_stock_most()
    try:
        on_channels = {channel: options.for_channel(channel, most[channel]) for channel in most}
    except StockPriceOptionsError as exc:
        fail(str(exc), EXIT_INVALID)
    for channel, rules in sorted(options.channel_rules.items()):
        on_channel = on_channels[channel]
        click.echo(f"on {channel}: " + ", ".join(f"{name}: {getattr(on_channel, name)}" for name in rules))
    for channel, on_channel in on_channels.items():
        click.echo(f"most units shown on {channel}: {on_channel.stock_max_quantity}")
    try:
        plan = warehouse_plan(options, client.vtex_warehouse_ids, client.tiktok_warehouse_ids)
    except StockPriceOptionsError as exc:
        fail(str(exc), EXIT_INVALID)
    for vtex_wh, tiktok_wh in sorted(plan.items()):
        click.echo(f"warehouse: VTEX {vtex_wh} → TikTok {tiktok_wh}")


@stock_price.command("skus")
@click.argument("client_id")
@click.argument("seller_skus", nargs=-1)
@channel_option
@click.option("--pending", is_flag=True, help="Only SKUs whose target the channel has not confirmed.")
@click.option("--kind", type=click.Choice(["stock", "price"]))
@click.option("--limit", default=50, show_default=True)
def stock_price_skus(
    client_id: str, seller_skus: tuple[str, ...], channel: str, pending: bool, kind: str | None, limit: int
) -> None:
    """Per SKU: what VTEX said, the target, what the channel confirmed, failures."""
    client, _, store = _stock_price(client_id, channel)
    rows = []
    for k in (kind,) if kind else ("stock", "price"):
        rows += store.rows(client.client_id, k, seller_skus or None)
    if pending:
        rows = [r for r in rows if not r.in_sync]
    if not rows:
        click.echo("no SKUs")
        return
    print_table(
        [
            {**vars(r), "read": _when(r.observed_at), "confirmed_at": _when(r.confirmed_at)}
            for r in rows[:limit]
        ],
        (
            "kind",
            "seller_sku",
            "target",
            "confirmed",
            "read",
            "confirmed_at",
            "attempts",
            "error_code",
            "held",
        ),
        70,
    )
    if len(rows) > limit:
        click.echo(f"... {len(rows) - limit} more (--limit)")


@stock_price.command("held")
@click.argument("client_id")
@channel_option
def stock_price_held(client_id: str, channel: str) -> None:
    """Price drops the guard holds back on the channel until confirmed (`confirm-price`)."""
    client, _, store = _stock_price(client_id, channel)
    held = store.held(client.client_id)
    if not held:
        click.echo("no price drop waits for a confirmation")
        return
    print_table([vars(r) for r in held], ("seller_sku", "held", "target"), 100)


@stock_price.command("confirm-price")
@click.argument("client_id")
@click.argument("seller_skus", nargs=-1)
@channel_option
@click.option("--all", "confirm_all", is_flag=True, help="Every held price drop.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def stock_price_confirm_price(
    client_id: str, seller_skus: tuple[str, ...], channel: str, confirm_all: bool, yes: bool
) -> None:
    """Let held price drops go to the channel on the next stock and price run. Each confirms the price it
    was held at: a later, lower VTEX price is held again."""
    import getpass

    client, _, store = _stock_price(client_id, channel)
    held = {r.seller_sku: r for r in store.held(client.client_id)}
    if not seller_skus and not confirm_all:
        fail("give seller SKUs or --all", EXIT_INVALID)
    wanted = sorted(held) if confirm_all else list(seller_skus)
    missing = [s for s in wanted if s not in held]
    if missing or not wanted:
        fail(f"no held price drop for {', '.join(missing) or 'this client'}", EXIT_NOT_FOUND)
    for sku in wanted:
        click.echo(f"{sku}: {held[sku].held}")
    if not yes and not click.confirm(f"send {len(wanted)} price drop(s) to {channel}?"):
        fail("not confirmed", EXIT_INVALID)
    approved = store.approve(client.client_id, wanted, f"cli:{getpass.getuser()}")
    click.echo(
        f"confirmed {len(approved)} price drop(s); the next stock and price run of {client.client_id} sends them"
    )


@stock_price.command("dead-letter")
@click.argument("client_id")
@channel_option
@click.option("--kind", type=click.Choice(["stock", "price"]))
def stock_price_dead_letter(client_id: str, channel: str, kind: str | None) -> None:
    """SKUs the channel refused `stock_price_max_attempts` times in a row: left alone until their target
    changes, `retry`, or the nightly full reconcile."""
    client, options, store = _stock_price(client_id, channel)
    dead = store.dead_letter(client.client_id, options.stock_price_max_attempts, kind)
    if not dead:
        click.echo("the dead letter is empty")
        return
    print_table(
        [{**vars(r), "last_push": _when(r.pushed_at)} for r in dead],
        ("kind", "seller_sku", "channel_product_id", "attempts", "error_code", "error_message", "last_push"),
        80,
    )


@stock_price.command("retry")
@click.argument("client_id")
@click.argument("seller_skus", nargs=-1)
@channel_option
@click.option("--all", "retry_all", is_flag=True, help="Every failing SKU.")
@click.option("--kind", type=click.Choice(["stock", "price"]))
def stock_price_retry(
    client_id: str, seller_skus: tuple[str, ...], channel: str, retry_all: bool, kind: str | None
) -> None:
    """Clear the failure count of SKUs (out of the dead letter): the next run pushes them again."""
    client, _, store = _stock_price(client_id, channel)
    if not seller_skus and not retry_all:
        fail("give seller SKUs or --all", EXIT_INVALID)
    changed = store.retry(client.client_id, kind, None if retry_all else seller_skus)
    click.echo(f"{changed} SKU row(s) will be pushed again on the next run")
