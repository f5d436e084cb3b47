"""`notifications`: where a client's notifications go, and what was sent (docs/notifications.md).

A destination's URL carries its credentials: it is read from the command line or standard input (`-`),
kept encrypted, and shown only as its scheme and host.
"""

from __future__ import annotations

import click

from tiktok_pipelines.cli import common
from tiktok_pipelines.cli.common import (
    EXIT_INVALID,
    EXIT_NOT_FOUND,
    fail,
    json_or_none,
    state_db,
    state_db_for,
)
from tiktok_pipelines.core.notifications import NotificationKind

KINDS = [k.value for k in NotificationKind]


@click.group()
def notifications() -> None:
    """Email and chat notifications: destinations per client, and what was sent."""


@notifications.group()
def destinations() -> None:
    """Where a client's notifications go (any Apprise URL: mailto://, slack://, msteams://, json://...)."""


def _destinations(db=None):
    from tiktok_pipelines.stores.notification_destinations import NotificationDestinations

    return NotificationDestinations(db or state_db())


@destinations.command("add")
@click.argument("client_id")
@click.argument("name")
@click.argument("url", required=False)
@click.option(
    "--kinds",
    help=f"Comma-separated kinds this destination gets (default: every kind): {', '.join(KINDS)}.",
)
@click.option("--quiet", "quiet", help="Quiet hours in local time, e.g. 22:00-07:00 (held, then delivered).")
@click.option("--timezone", default="America/Sao_Paulo", show_default=True, help="Time zone of --quiet.")
@click.option("--replace", is_flag=True, help="Change the destination of that name if there is one.")
def destinations_add(
    client_id: str,
    name: str,
    url: str | None,
    kinds: str | None,
    quiet: str | None,
    timezone: str,
    replace: bool,
) -> None:
    """Add destination NAME for CLIENT_ID: an Apprise URL (`-` reads it from standard input; missing, it is
    prompted for without echo)."""
    from tiktok_pipelines.lanes.notifications.transport import check_url
    from tiktok_pipelines.stores.notification_destinations import DestinationError

    db, client_id = state_db_for(client_id)
    store = _destinations(db)
    url = common.secret_value(url, "Apprise URL", required=True)
    assert url is not None
    chosen = [k.strip() for k in kinds.split(",") if k.strip()] if kinds else []
    unknown = [k for k in chosen if k not in KINDS]
    if unknown:
        fail(f"unknown kind(s) {', '.join(unknown)}; kinds are {', '.join(KINDS)}", EXIT_INVALID)
    try:
        check_url(url)
        added = store.add(client_id, name, url, chosen, quiet, timezone, replace=replace)
    except DestinationError as exc:
        fail(str(exc), exc.exit_code)
    except ValueError as exc:
        fail(str(exc), EXIT_INVALID)
    click.echo(
        f"{client_id}/{added.name}: {added.label}, kinds {added.kinds or 'all'}"
        + (f", quiet {added.quiet_hours} ({added.timezone})" if added.quiet_hours else "")
    )


@destinations.command("list")
@click.argument("client_id", required=False)
@click.option("--json", "as_json", is_flag=True)
def destinations_list(client_id: str | None, as_json: bool) -> None:
    """The destinations (of one client, or all), their URL shown as scheme and host only."""
    shown = ("client_id", "name", "timezone", "enabled")
    rows = [
        {
            **{k: getattr(d, k) for k in shown},
            "url": d.label,
            "kinds": d.kinds or "all",
            "quiet": d.quiet_hours,
        }
        for d in _destinations().list(client_id)
    ]
    if not json_or_none(rows, as_json, "no destinations"):
        common.print_table(rows, ("client_id", "name", "url", "kinds", "quiet", "enabled"))


@destinations.command("remove")
@click.argument("client_id")
@click.argument("name")
def destinations_remove(client_id: str, name: str) -> None:
    """Remove a destination (with what it was sent and what waited for it)."""
    if not _destinations().remove(client_id, name):
        fail(f"{client_id} has no destination named {name}", EXIT_NOT_FOUND)
    click.echo(f"removed {client_id}/{name}")


def _toggle(client_id: str, name: str, enabled: bool) -> None:
    if not _destinations().set_enabled(client_id, name, enabled):
        fail(f"{client_id} has no destination named {name}", EXIT_NOT_FOUND)
    click.echo(f"{client_id}/{name} {'enabled' if enabled else 'disabled (what waited for it is skipped)'}")


def _toggle_command(enabled: bool, help_text: str) -> click.Command:
    @click.argument("client_id")
    @click.argument("name")
    def toggle(client_id: str, name: str) -> None:
        _toggle(client_id, name, enabled)

    toggle.__doc__ = help_text
    return notifications.command("enable" if enabled else "disable")(toggle)


notifications_enable = _toggle_command(True, "Turn a destination on: it gets what is recorded from now on.")
notifications_disable = _toggle_command(
    False, "Turn a destination off: nothing new for it, and what waited for it is skipped."
)


@notifications.command("list")
@click.argument("client_id", required=False)
@click.option(
    "--state", "states", multiple=True, type=click.Choice(["pending", "delivered", "failed", "skipped"])
)
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def notifications_list(client_id: str | None, states: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Notifications, newest first, one line per destination: sent, pending (with its next attempt),
    failed or skipped."""
    from tiktok_pipelines.stores.notifications import NotificationOutbox

    rows = NotificationOutbox(state_db()).listing(client_id, states or None, limit)
    if json_or_none(rows, as_json, "no notifications", default=str):
        return
    for r in rows:
        r["created_at"] = f"{r['created_at']:%Y-%m-%d %H:%M:%S}"
        r["state"] = r["state"] or "no destination"
        r["when"] = (
            f"{r['delivered_at']:%H:%M:%S}"
            if r["delivered_at"]
            else (f"next {r['next_attempt_at']:%H:%M:%S}" if r["state"] == "pending" else "")
        )
        r["channel"] = r["channel"] or ""
    common.print_table(
        rows,
        (
            "id",
            "created_at",
            "client_id",
            "kind",
            "channel",
            "destination",
            "state",
            "attempts",
            "when",
            "last_error",
        ),
    )


@notifications.command("retry")
@click.argument("client_id")
def notifications_retry(client_id: str) -> None:
    """Deliver the client's failed notifications again (after their destination is fixed)."""
    from tiktok_pipelines.stores.notifications import NotificationOutbox

    db, client_id = state_db_for(client_id)
    count = NotificationOutbox(db).retry_failed(client_id)
    click.echo(f"{count} failed delivery(ies) of {client_id} pending again")


@notifications.command("test")
@click.argument("client_id")
@click.argument("name")
def notifications_test(client_id: str, name: str) -> None:
    """Send a test message to one destination now, and say whether it arrived."""
    from tiktok_pipelines.core.notification_text import Item, render
    from tiktok_pipelines.lanes.notifications.transport import AppriseTransport, DeliveryError
    from tiktok_pipelines.settings import Settings

    store = _destinations()
    destination = store.find(client_id, name)
    if destination is None:
        fail(f"{client_id} has no destination named {name}", EXIT_NOT_FOUND)
        return
    settings = Settings.load()
    message = render(
        NotificationKind.TEST,
        client_id,
        None,
        [Item({})],
        language=settings.require("TIKTOK_PIPELINES_NOTIFY_LANGUAGE"),
        ui_base_url=settings.get("TIKTOK_PIPELINES_DAGSTER_UI_URL"),
    )
    try:
        AppriseTransport().send(store.url(destination.id), message.title, message.body)
    except DeliveryError as exc:
        fail(f"{client_id}/{name} ({destination.label}) did not take the test message: {exc}", 1)
    click.echo(f"test message delivered to {client_id}/{name} ({destination.label})")
