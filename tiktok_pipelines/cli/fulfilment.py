"""`fulfilment`: invoices sent to TikTok, packages shipped, dead letters."""

from __future__ import annotations

import json

import click

from tiktok_pipelines.cli.common import EXIT_NOT_FOUND, client_registry, fail, state_db


@click.group()
def fulfilment() -> None:
    """Invoices sent to TikTok, packages shipped, and what could not be done."""


@fulfilment.command("status")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True)
def fulfilment_status(client_id: str, as_json: bool) -> None:
    """Uploads and shipments by status, and the open dead letters (oldest first) of a client."""
    from collections import Counter

    from tiktok_pipelines.stores.fulfilment import FulfilmentStore

    client_registry().get(client_id)
    store = FulfilmentStore(state_db())
    letters = [
        {
            "id": d.id,
            "stage": d.stage,
            "reason": d.reason,
            "check": d.failed_check,
            "order_id": d.order_id,
            "package_id": d.package_id,
            "since": d.first_at.isoformat(),
            "times": d.occurrences,
            "detail": d.detail,
        }
        for d in store.open_dead_letters(client_id)
    ]
    report = {
        "uploads": dict(Counter(u.status for u in store.uploads(client_id))),
        "shipments": dict(Counter(s.status for s in store.shipments(client_id))),
        "dead_letters": letters,
    }
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"invoice uploads: {report['uploads'] or 'none'}")
    click.echo(f"shipments:       {report['shipments'] or 'none'}")
    click.echo(f"open dead letters: {len(letters)}")
    for d in letters:
        click.echo(
            f"  #{d['id']} {d['since'][:16]}  {d['stage']:<8} {d['reason']:<24} {d['check'] or '-':<14} "
            f"order {d['order_id'] or '-'} package {d['package_id'] or '-'} (x{d['times']}): {d['detail']}"
        )


@fulfilment.command("resolve")
@click.argument("client_id")
@click.argument("letter_id", type=int)
def fulfilment_resolve(client_id: str, letter_id: int) -> None:
    """Close a dead letter dealt with by hand (e.g. the NF-e uploaded in Seller Center)."""
    from tiktok_pipelines.stores.fulfilment import FulfilmentStore

    client_registry().get(client_id)
    if not FulfilmentStore(state_db()).resolve_by_hand(client_id, letter_id):
        fail(f"{client_id} has no open dead letter #{letter_id}", EXIT_NOT_FOUND)
    click.echo(f"dead letter #{letter_id} of {client_id} closed")
