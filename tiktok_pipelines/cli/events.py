"""`events`: the event log of webhooks and notifications."""

from __future__ import annotations

import click

from tiktok_pipelines.cli.common import json_or_none, state_db


@click.group()
def events() -> None:
    """The event log: every webhook and notification received, and what was done about it."""


@events.command("list")
@click.option("--client", "client_id", help="Only this client's events.")
@click.option("--status", type=click.Choice(["pending", "handled", "ignored", "failed"]))
@click.option("--type", "event_type", help="Only this event type (e.g. 1, 36, vtex:order_hook).")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def events_list(
    client_id: str | None, status: str | None, event_type: str | None, limit: int, as_json: bool
) -> None:
    """The most recent events, newest first (bodies are not printed)."""
    import sqlalchemy as sa

    from tiktok_pipelines.stores.events import event_log

    query = (
        sa.select(
            event_log.c.id,
            event_log.c.received_at,
            event_log.c.source,
            event_log.c.event_type,
            event_log.c.client_id,
            event_log.c.action,
            event_log.c["keys"],
            event_log.c.status,
            event_log.c.skew_seconds,
            event_log.c.error,
        )
        .order_by(event_log.c.id.desc())
        .limit(limit)
    )
    for column, value in (("client_id", client_id), ("status", status), ("event_type", event_type)):
        if value:
            query = query.where(event_log.c[column] == value)
    with state_db().read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    if json_or_none(rows, as_json, "no events", default=str):
        return
    for r in rows:
        click.echo(
            f"{r['received_at']:%Y-%m-%d %H:%M:%S}  {r['source']}:{r['event_type']:<16} "
            f"{r['client_id'] or '-':<12} {r['action']:<22} {r['status']:<8} {r['keys'] or ''}"
            + (f"  skew: {r['skew_seconds']:.0f} s" if r["skew_seconds"] is not None else "")
            + (f"  error: {r['error']}" if r["error"] else "")
        )
