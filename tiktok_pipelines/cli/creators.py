"""`tiktok-pipelines creators`: TikTok creator accounts (add, list, show, connect, status, sync,
disconnect, delete, audit)."""

from __future__ import annotations

import json
from datetime import timedelta

import click

from tiktok_pipelines.cli.common import EXIT_INVALID, fail, handle_errors, print_table, state_db
from tiktok_pipelines.settings import Settings


def _lane():
    from tiktok_pipelines.creator.app import CreatorApp
    from tiktok_pipelines.lanes.creators.access import CreatorContext

    return CreatorContext(state_db(), CreatorApp.from_settings(Settings.load()))


def _echo(data: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
        return
    for key, value in data.items():
        click.echo(
            f"{key}: {', '.join(value) if isinstance(value, list) else ('' if value is None else value)}"
        )


@click.group()
def creators() -> None:
    """TikTok creator accounts: connect with Login Kit, sync profile and videos, disconnect, delete."""


@creators.command("add")
@click.argument("creator_id")
@click.option("--client", "client_id", help="The client (merchant) the creator belongs to, if any.")
@click.option("--timezone", default=None, help="The creator's IANA time zone (default: the analytics one).")
@handle_errors
def add(creator_id: str, client_id: str | None, timezone: str | None) -> None:
    """Registers a creator (not connected yet: `creators connect` gives the consent link)."""
    from tiktok_pipelines.stores.creators import CreatorRegistry

    tz = timezone or Settings.load().analytics_timezone
    creator = CreatorRegistry(state_db()).add(creator_id, client_id, tz)
    click.echo(
        f"creator {creator.creator_id} added; `tiktok-pipelines creators connect {creator.creator_id}`"
    )


@creators.command("list")
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def list_(as_json: bool) -> None:
    """Every creator, with its status and last sync."""
    from tiktok_pipelines.stores.creators import CreatorRegistry

    rows = [c.public_dict() for c in CreatorRegistry(state_db()).list()]
    if as_json:
        click.echo(json.dumps(rows, indent=2, sort_keys=True))
    elif rows:
        print_table(rows, ("creator_id", "client_id", "status", "username", "follower_count", "last_sync_at"))
    else:
        click.echo("no creator")


@creators.command("show")
@click.argument("creator_id")
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def show(creator_id: str, as_json: bool) -> None:
    """A creator's registry entry (tokens are never shown)."""
    lane = _lane()
    data = lane.registry.get(creator_id).public_dict()
    tokens = lane.auth.get_tokens(creator_id)
    data["tokens"] = "<set>" if tokens else None
    if tokens:
        data["access_expires_at"] = tokens.access_expires_at.isoformat()
        data["refresh_expires_at"] = tokens.refresh_expires_at.isoformat()
        data["refreshes"] = tokens.refreshes
    _echo(data, as_json)


@creators.command("connect")
@click.argument("creator_id")
@handle_errors
def connect(creator_id: str) -> None:
    """Prints a consent link for the creator (single use, valid TIKTOK_CREATOR_STATE_TTL_MINUTES)."""
    from tiktok_pipelines.lanes.creators.connect import consent_link

    ttl = timedelta(minutes=Settings.load().float("TIKTOK_CREATOR_STATE_TTL_MINUTES"))
    click.echo(consent_link(_lane(), creator_id, ttl))


@creators.command("status")
@click.argument("creator_id")
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def status(creator_id: str, as_json: bool) -> None:
    """Whether the creator is connected, the scopes granted, the last sync and error."""
    from tiktok_pipelines.receiver.creators import creator_status

    lane = _lane()
    _echo(creator_status(lane.registry.get(creator_id), lane.auth.pending_sync(creator_id)), as_json)


@creators.command("sync")
@click.argument("creator_id")
@handle_errors
def sync(creator_id: str) -> None:
    """Asks for a sync run now (`creator_sync_sensor` starts it within seconds)."""
    lane = _lane()
    creator = lane.registry.get(creator_id)
    if creator.status != "connected":
        fail(f"creator {creator_id} is {creator.status}: connect it first", EXIT_INVALID)
    queued = lane.auth.request_sync(creator_id, "cli")
    click.echo("sync requested" if queued else "a sync is already waiting")


@creators.command("disconnect")
@click.argument("creator_id")
@handle_errors
def disconnect_(creator_id: str) -> None:
    """Revokes the creator's token at TikTok and stops its syncs (the data stays; `delete` removes it)."""
    from tiktok_pipelines.lanes.creators.removal import disconnect

    done = disconnect(_lane(), creator_id)
    click.echo(
        f"creator {creator_id} disconnected"
        + ("" if done.revoked or not done.had_tokens else f" ({done.note})")
    )


@creators.command("delete")
@click.argument("creator_id")
@click.option("--yes", is_flag=True, help="Confirm: everything of the creator is removed for good.")
@click.option("--no-rebuild", is_flag=True, help="Do not rebuild analytics.duckdb to prove the deletion.")
@handle_errors
def delete(creator_id: str, yes: bool, no_rebuild: bool) -> None:
    """Deletes the creator (LGPD/GDPR): revokes and drops its tokens, removes its registry entry and every
    lake file, rebuilds analytics.duckdb and checks that no row of it is left; prints the audit receipt."""
    from tiktok_pipelines.analytics.creators import creator_rows
    from tiktok_pipelines.defs.resources import build_resources
    from tiktok_pipelines.lanes.creators.removal import delete_creator
    from tiktok_pipelines.stores.creator_lake import CreatorLake

    if not yes:
        fail("deleting a creator cannot be undone: add --yes", EXIT_INVALID)
    lane = _lane()
    lane.registry.get(creator_id)
    resources = build_resources(Settings.load())
    lake = CreatorLake(resources["lake"].objects)

    def prove(cid: str) -> dict[str, int]:
        resources["analytics"].refresh(resources["lake"], lane.db)
        with resources["analytics"].connect() as con:
            left = creator_rows(con, cid)
        return {"lake_files": len(lake.keys(cid)), **left}

    done = delete_creator(lane, lake, creator_id, "cli", None if no_rebuild else prove)
    click.echo(
        f"creator {creator_id} deleted: {done.lake_files} lake file(s), tokens {'revoked' if done.revoked else 'dropped'}"
    )
    if done.analytics_rows_left:
        click.echo(
            "left after an analytics rebuild: "
            + ", ".join(f"{k}={v}" for k, v in done.analytics_rows_left.items())
        )
    click.echo(f"audit receipt: {done.receipt}")
    if not no_rebuild and not done.proved:
        fail("rows of the creator are still there (see above)", 1)


@creators.command("audit")
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def audit(as_json: bool) -> None:
    """The deletion audit: what was deleted when, counts only (no personal data)."""
    from tiktok_pipelines.stores.creators import CreatorAudit

    rows = CreatorAudit(state_db()).entries()
    if as_json:
        click.echo(json.dumps(rows, indent=2, sort_keys=True))
    elif rows:
        print_table(
            [{**r, "detail": json.dumps(r["detail"], sort_keys=True)} for r in rows],
            ("at", "action", "requested_via", "receipt", "detail"),
            width=200,
        )
    else:
        click.echo("no entry")
