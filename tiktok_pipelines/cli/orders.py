"""`orders`: TikTok orders in the order map, and sending failed ones again."""

from __future__ import annotations

import json
from typing import Any

import click

from tiktok_pipelines.cli.common import (
    EXIT_INVALID,
    EXIT_NOT_FOUND,
    client_registry,
    fail,
    print_table,
    state_db,
    state_db_for,
)
from tiktok_pipelines.settings import Settings


@click.group()
def orders() -> None:
    """TikTok orders in the order map: what reached VTEX, what failed and why, and sending them again."""


def _stamp(value) -> str | None:
    return value.isoformat() if value else None


def _order_row(record) -> dict[str, Any]:
    """An order map row without personal data (the detail stays encrypted)."""
    stamp = _stamp
    return {
        "order_id": record.order_id,
        "state": record.state,
        "channel_status": record.channel_status,
        "vtex_order_id": record.vtex_order_id,
        "vtex_status": record.vtex_status,
        "attempts": record.attempts,
        "needs_sync": record.needs_sync,
        "sync_reasons": record.sync_reasons,
        "failed": record.given_up,
        "claimed_by": record.claimed_by,
        "claim_expires_at": stamp(record.claim_expires_at),
        "placed_at": stamp(record.placed_at),
        "cancelled_at": stamp(record.cancelled_at),
        "updated_at": stamp(record.updated_at),
        "last_error": record.last_error,
    }


@orders.command("list")
@click.argument("client_id")
@click.option("--failed", "only_failed", is_flag=True, help="Only orders no run retries (they wait for you).")
@click.option("--state", help="Only orders in this state (pending, placing, authorized, failed...).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def orders_list(client_id: str, only_failed: bool, state: str | None, as_json: bool) -> None:
    """The client's orders, oldest change first."""
    from tiktok_pipelines.stores.orders import OrderStore

    db, client_id = state_db_for(client_id)
    store, client_id = OrderStore(db), client_id
    records = store.given_up(client_id) if only_failed else store.all(client_id)
    rows = [
        _order_row(r) for r in sorted(records, key=lambda r: r.updated_at) if not state or r.state == state
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif not rows:
        click.echo("no orders" + (" waiting for a person" if only_failed else ""))
    else:
        print_table(
            rows,
            ("order_id", "state", "channel_status", "vtex_order_id", "attempts", "updated_at", "last_error"),
        )


@orders.command("show")
@click.argument("client_id")
@click.argument("order_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def orders_show(client_id: str, order_id: str, as_json: bool) -> None:
    """One order: its states, its lines with the VTEX SKU each goes to VTEX as, its claim and last error."""
    from tiktok_pipelines.core.sku_ids import sku_id_map
    from tiktok_pipelines.defs.resources import build_resources
    from tiktok_pipelines.stores.orders import OrderStore

    db = state_db()
    client = client_registry().get(client_id)
    store = OrderStore(db)
    record = store.get(client.client_id, order_id)
    if record is None:
        fail(f"{client_id} has no order {order_id}", EXIT_NOT_FOUND)
    resources = build_resources(Settings.load())
    try:
        ids = sku_id_map(resources["lake"], client.client_id, client.options)
    except ValueError as exc:
        fail(str(exc), EXIT_INVALID)
    detail = store.detail(record)
    # The channel's own reading of the detail it sent (the order map keeps it as the channel sent it).
    lines = resources[record.channel].order_reader().order_from_detail(detail).lines if detail else []
    report = _order_row(record)
    report["lines"] = [
        {
            "seller_sku": line.seller_sku,
            "vtex_sku_id": ids.vtex_sku_id(line.seller_sku or ""),
            "sale_price": None if line.sale_price is None else str(line.sale_price),
            "status": line.status,
            "package_id": line.package_id,
        }
        for line in lines
    ]
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    for key, value in report.items():
        if key != "lines":
            click.echo(f"{key + ':':<18}{'' if value is None else value}")
    click.echo("lines:")
    if report["lines"]:
        print_table(report["lines"], ("seller_sku", "vtex_sku_id", "sale_price", "status", "package_id"))


@orders.command("reprocess")
@click.argument("client_id")
@click.argument("order_ids", nargs=-1)
@click.option("--all-failed", is_flag=True, help="Every order of the client no run retries.")
def orders_reprocess(client_id: str, order_ids: tuple[str, ...], all_failed: bool) -> None:
    """Send failed orders again: the next orders run fetches them from TikTok anew and places them (an
    attempt that may have reached VTEX is looked up there first)."""
    from tiktok_pipelines.stores.orders import OrderStore

    db, client_id = state_db_for(client_id)
    store = OrderStore(db)
    if all_failed == bool(order_ids):
        fail("name the orders to reprocess, or give --all-failed", EXIT_INVALID)
    wanted = [r.order_id for r in store.given_up(client_id)] if all_failed else list(order_ids)
    unknown = [o for o in wanted if store.get(client_id, o) is None]
    if unknown:
        fail(f"{client_id} has no order {', '.join(unknown)}", EXIT_NOT_FOUND)
    not_failed = [o for o in wanted if not store.get(client_id, o).given_up]
    if not_failed:
        fail(
            f"not waiting for a person (the orders runs still work on them, or they are done): "
            f"{', '.join(not_failed)}",
            EXIT_INVALID,
        )
    done = store.reprocess(client_id, wanted)
    click.echo(
        f"{len(done)} order(s) of {client_id} flagged: the next orders_job run sends them "
        f"(order_polling_schedule within 10 minutes, or materialize orders_job for partition {client_id})"
    )
