"""`oauth`: authorize clients' shops (TikTok Shop) and seller accounts (Mercado Livre)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from tiktok_pipelines.cli.common import fail
from tiktok_pipelines.settings import Settings


def _tiktok():
    from tiktok_pipelines.defs.resources.tiktok_shop import standalone_tiktok_shop

    return standalone_tiktok_shop(Settings.load())


@click.group()
def oauth() -> None:
    """Authorize clients' shops on each channel: links for sellers, token exchange and status."""


def _mercado_livre():
    from tiktok_pipelines.defs.resources.mercado_livre import standalone_mercado_livre

    return standalone_mercado_livre(Settings.load())


def channel_option(help_text: str):
    return click.option(
        "--channel",
        type=click.Choice(["tiktok_shop", "mercado_livre", "shopee"]),
        default="tiktok_shop",
        show_default=True,
        help=help_text,
    )


@oauth.command("url")
@click.argument("client_id")
@channel_option("The channel whose account the seller connects.")
def oauth_url(client_id: str, channel: str) -> None:
    """Print the authorization link to send to the client's seller (single use, expires)."""
    if channel == "mercado_livre":
        _echo_link(
            _mercado_livre(),
            client_id,
            ", once; the seller lands on the application's redirect URI (…/oauth/mercado-livre/callback), "
            "which connects the account at once",
        )
        return
    if channel == "shopee":
        from tiktok_pipelines.defs.resources.shopee import Shopee
        from tiktok_pipelines.defs.resources.state import StateStore

        settings = Settings.load()
        _echo_link(
            Shopee.from_settings(settings, StateStore.from_settings(settings), env_vars=False),
            client_id,
            " (Shopee's link itself 5), once; the seller lands on SHOPEE_REDIRECT_URL "
            "(…/oauth/shopee/callback), which connects the shop at once",
        )
        return
    _echo_link(
        _tiktok(),
        client_id,
        ", once; the seller lands on the redirect URL set in Partner Center (…/oauth/tiktok/callback), "
        "then `tiktok_token_job` (hourly) or `tiktok-pipelines oauth exchange` finishes the connection",
    )


def _echo_link(channel: Any, client_id: str, after_validity: str) -> None:
    """The authorization link of a channel's resource on standard output, and on standard error how long
    it is valid, followed by `after_validity` (what else limits it and where the seller lands)."""
    click.echo(channel.authorization_link(client_id))
    click.echo(f"valid for {channel.oauth_state_ttl_minutes:g} minutes{after_validity}", err=True)


@oauth.command("exchange")
def oauth_exchange() -> None:
    """Run the token manager now: exchange received auth codes, associate shops, renew due tokens."""
    from tiktok_pipelines.channels.tiktok_shop.client import TikTokShopError

    try:
        with _tiktok().token_manager() as manager:
            report = manager.run()
    except TikTokShopError as exc:
        fail(str(exc), 1)
    click.echo(
        f"codes exchanged: {len(report.codes_exchanged)}, shops associated: {len(report.associated)}, "
        f"tokens renewed: {len(report.renewed)}, failures: {report.failures}"
    )
    for client_id, reason in report.codes_failed + report.renewal_failed:
        click.echo(f"  {client_id}: {reason}", err=True)
    for client_id in sorted(set(report.needs_authorization)):
        click.echo(f"  {client_id}: needs authorization (`tiktok-pipelines oauth url {client_id}`)", err=True)
    if report.failures:
        sys.exit(1)


@oauth.command("status")
@click.argument("client_id", required=False)
@click.option(
    "--log", "log_lines", default=0, show_default=True, help="Also print the last N token log steps."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@channel_option("The channel whose authorizations are shown.")
def oauth_status(client_id: str | None, log_lines: int, as_json: bool, channel: str) -> None:
    """Show each client's authorization on a channel: account, token expiry, status (never a token), and
    `needs_authorization` with its reason and since when once the channel ended the grant."""
    if channel != "tiktok_shop":
        _channel_status(channel, client_id, as_json)
        return
    tiktok = _tiktok()
    registry, store = tiktok.state.registry, tiktok.auth_store
    clients = [registry.get(client_id)] if client_id else registry.list()
    rows = []
    for client in clients:
        tokens = store.get_tokens(client.client_id)
        grant = store.status(client.client_id)
        rows.append(
            {
                "client_id": client.client_id,
                "status": client.status,
                "authorization": grant.status if grant else None,
                "needs_authorization_since": grant.row()["needs_authorization_since"] if grant else None,
                "reason": grant.needs_authorization_reason if grant else None,
                "tiktok_shop_code": client.tiktok_shop_code,
                "tiktok_shop_id": client.tiktok_shop_id,
                "access_token_expires_at": tokens.access_token_expires_at.isoformat() if tokens else None,
                "refresh_token_expires_at": tokens.refresh_token_expires_at.isoformat() if tokens else None,
                "log": [
                    {
                        "at": e.created_at.isoformat(),
                        "step": e.step,
                        "outcome": e.outcome,
                        "code": e.code,
                        "message": e.message,
                    }
                    for e in store.log_entries(client.client_id, limit=log_lines)
                ]
                if log_lines
                else [],
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(
            f"{row['client_id']}: {row['status']}, shop {row['tiktok_shop_code'] or '-'} / {row['tiktok_shop_id'] or '-'}, "
            f"access token until {row['access_token_expires_at'] or '-'}, refresh until {row['refresh_token_expires_at'] or '-'}"
            + (f", {row['authorization']}" if row["authorization"] else ", not connected")
            + (
                f" since {row['needs_authorization_since']}: {row['reason']}"
                if row["needs_authorization_since"]
                else ""
            )
        )
        for entry in row["log"]:
            click.echo(
                f"  {entry['at']} {entry['step']} {entry['outcome']} {entry['code'] or ''} {entry['message'] or ''}".rstrip()
            )


def _channel_status(channel: str, client_id: str | None, as_json: bool) -> None:
    from tiktok_pipelines.cli.common import client_registry
    from tiktok_pipelines.stores.channel_tokens import ChannelTokenStore

    registry = client_registry()
    store = ChannelTokenStore(registry.db, channel)
    if client_id:
        registry.get(client_id)
        found = store.status(client_id)
        statuses = [found] if found else []
    else:
        statuses = store.statuses()
    rows = [s.row() for s in statuses]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo(f"no client has a {channel} authorization")
    for row in rows:
        line = (
            f"{row['client_id']}: {row['status']}, account {row['account'] or '-'}, access token until "
            f"{row['access_token_expires_at']}, refresh until {row['refresh_token_expires_at']}"
        )
        if row["authorization_expires_at"]:
            line += f", consent until {row['authorization_expires_at']}"
        if row["needs_authorization_since"]:
            line += f"; since {row['needs_authorization_since']}: {row['reason']}"
        click.echo(line)
