"""`clients`: register and manage clients (merchants)."""

from __future__ import annotations

import json
from typing import Any

import click

from tiktok_pipelines.cli.common import (
    EXIT_INVALID,
    EXIT_NOT_FOUND,
    client_registry,
    fail,
    json_or_none,
    options,
    print_table,
    secret_value,
)
from tiktok_pipelines.settings import Settings


@click.group()
def clients() -> None:
    """Register and manage clients (merchants)."""


def _parse_options(pairs: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            fail(f"--option takes key=value, got {pair!r}", EXIT_INVALID)
        key, raw = pair.split("=", 1)
        key = key.strip()
        if not key:
            fail(f"--option has an empty key in {pair!r}", EXIT_INVALID)
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def channel_stock_most() -> dict[str, int]:
    """The most units each channel shows, as its capabilities declare it."""
    from tiktok_pipelines.channels.mercado_livre.channel import capabilities as mercado_livre
    from tiktok_pipelines.channels.shopee.channel import capabilities as shopee
    from tiktok_pipelines.channels.tiktok_shop.channel import capabilities as tiktok_shop

    return {c.name.value: c.stock_most for c in (tiktok_shop(), mercado_livre(), shopee())}


def _check_channel_limits(options: dict[str, Any]) -> None:
    """Refuses (exit 2) a channel rule the channel cannot show, naming the channel and its limit."""
    from tiktok_pipelines.core.client_options import ClientOptionsError, check_channel_limits

    try:
        check_channel_limits(options, channel_stock_most())
    except ClientOptionsError as exc:
        fail(f"invalid options: {exc}", EXIT_INVALID)


# The options that set client fields, shared by `add` and `set`.
client_field_options = options(
    click.option("--display-name", help="A human name for the client."),
    click.option("--feed-url", help="URL of the product feed (Google Merchant XML)."),
    click.option("--vtex-account", help="VTEX account name (the store's subdomain)."),
    click.option("--vtex-environment", help="VTEX environment, default vtexcommercestable."),
    click.option("--vtex-app-key", help="VTEX app key; '-' reads it from standard input."),
    click.option("--vtex-app-token", help="VTEX app token; '-' reads it from standard input."),
    click.option(
        "--vtex-warehouse",
        "vtex_warehouse_ids",
        multiple=True,
        help="VTEX warehouse id (repeat for several).",
    ),
    click.option("--vtex-trade-policy", help="VTEX trade policy (sales channel), e.g. 1."),
    click.option("--vtex-affiliate-id", help="VTEX affiliate id of the TikTok Shop marketplace."),
    click.option("--tiktok-shop-code", help="TikTok Shop code (Seller Center), links the OAuth grant."),
    click.option("--tiktok-shop-id", help="TikTok shop id (normally filled by onboarding)."),
    click.option("--tiktok-shop-cipher", help="TikTok shop cipher (normally filled by onboarding)."),
    click.option(
        "--tiktok-warehouse",
        "tiktok_warehouse_ids",
        multiple=True,
        help="TikTok warehouse id (repeat for several).",
    ),
    click.option(
        "--option",
        "options",
        multiple=True,
        metavar="KEY=VALUE",
        help="A client option (each lane's document lists them); VALUE is JSON when it parses as JSON.",
    ),
)


def _fields_from(kwargs: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in kwargs.items() if v not in (None, ())}
    fields.pop("options", None)
    return fields


@clients.command("add")
@click.argument("client_id")
@client_field_options
def clients_add(client_id: str, **kwargs: Any) -> None:
    """Register a client. Secrets are encrypted before they are stored."""
    from tiktok_pipelines.stores.registry import build_client

    kwargs["vtex_app_key"] = secret_value(kwargs.get("vtex_app_key"), "vtex_app_key", True)
    kwargs["vtex_app_token"] = secret_value(kwargs.get("vtex_app_token"), "vtex_app_token", True)
    kwargs["tiktok_shop_cipher"] = secret_value(kwargs.get("tiktok_shop_cipher"), "tiktok_shop_cipher", False)
    fields = _fields_from(kwargs)
    options = _parse_options(kwargs.get("options", ()))
    _check_channel_limits(options)
    client = build_client(client_id=client_id, options=options, **fields)
    client_registry().add(client)
    click.echo(f"added client {client.client_id}")


@clients.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def clients_list(as_json: bool) -> None:
    """List the registered clients (no secret is printed)."""
    rows = [c.public_dict() for c in client_registry().list()]
    none = f"no clients registered in the state DB {Settings.load().database_label}"
    if json_or_none(rows, as_json, none, default=str):
        return
    columns = ("client_id", "status", "vtex_account", "tiktok_shop_code", "tiktok_shop_id", "feed_url")
    print_table(rows, columns, width=None)


@clients.command("show")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def clients_show(client_id: str, as_json: bool) -> None:
    """Show one client, with its authorization on each channel it has a grant on (`needs_authorization`
    since when and why once the channel ended it); secrets appear only as <set>."""
    from tiktok_pipelines.stores.channel_tokens import client_grants
    from tiktok_pipelines.stores.tiktok_auth import TikTokAuthStore

    registry = client_registry()
    data = registry.get(client_id).public_dict()
    tiktok = TikTokAuthStore(registry.db).status(client_id)
    grants = ([tiktok] if tiktok else []) + client_grants(registry.db, client_id)
    data["authorization"] = {g.channel: g.describe() for g in grants}
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
        return
    authorization = data.pop("authorization")
    for key, value in data.items():
        if isinstance(value, list | tuple):
            value = ", ".join(map(str, value))
        elif isinstance(value, dict):
            value = json.dumps(value, sort_keys=True)
        click.echo(f"{key}: {'' if value is None else value}")
    for channel, status in authorization.items():
        click.echo(f"authorization on {channel}: {status}")


def _client_status(value: str | None) -> str | None:
    """`active` or `paused`; `needs_reauthorization`, a status of former releases, is refused with where
    a channel's ended grant is now kept."""
    if value is None or value in ("active", "paused"):
        return value
    if value == "needs_reauthorization":
        raise click.BadParameter(
            "needs_reauthorization is no longer a client status: a grant a channel ended is marked on that "
            "channel alone (`tiktok-pipelines oauth status CLIENT_ID --channel CHANNEL`) and the seller's "
            "next consent clears it; `paused` stops every channel of the client"
        )
    raise click.BadParameter(f"{value!r} is not one of 'active', 'paused'")


@clients.command("set")
@click.argument("client_id")
@client_field_options
@click.option("--unset-option", "unset_options", multiple=True, metavar="KEY", help="Remove a client option.")
@click.option(
    "--status",
    callback=lambda ctx, param, value: _client_status(value),
    metavar="[active|paused]",
    help="Pause or resume the client's automation (every channel of it).",
)
def clients_set(client_id: str, unset_options: tuple[str, ...], **kwargs: Any) -> None:
    """Change fields or options of a client."""
    registry = client_registry()
    current = registry.get(client_id)
    for name in ("vtex_app_key", "vtex_app_token", "tiktok_shop_cipher"):
        if kwargs.get(name) is not None:
            kwargs[name] = secret_value(kwargs[name], name, False)
    changes = _fields_from(kwargs)
    options = dict(current.options)
    options.update(_parse_options(kwargs.get("options", ())))
    for key in unset_options:
        if key not in options:
            fail(f"client {client_id} has no option {key!r}", EXIT_NOT_FOUND)
        options.pop(key)
    if not changes and options == current.options:
        fail("nothing to change: give at least one field, --option or --unset-option", EXIT_INVALID)
    _check_channel_limits(options)
    registry.update(client_id, options=options, **changes)
    click.echo(f"updated client {client_id}")


@clients.command("remove")
@click.argument("client_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def clients_remove(client_id: str, yes: bool) -> None:
    """Remove a client and its state (its partition is deleted by client_registry_sensor)."""
    registry = client_registry()
    registry.get(client_id)
    if not yes and not click.confirm(f"remove client {client_id} and all of its state?"):
        fail("not confirmed", EXIT_INVALID)
    registry.remove(client_id)
    click.echo(f"removed client {client_id}")
