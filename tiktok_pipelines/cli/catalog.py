"""`catalog`: listing status, paused products, shrink-guard confirmations."""

from __future__ import annotations

import click

from tiktok_pipelines.cli.common import EXIT_INVALID, EXIT_NOT_FOUND, fail, print_table, state_db_for


@click.group()
def catalog() -> None:
    """The client's catalog on TikTok: listing status, paused products, shrink-guard confirmations."""


@catalog.command("status")
@click.argument("client_id")
@click.option("--paused", "only_paused", is_flag=True, help="List paused and failing products.")
def catalog_status(client_id: str, only_paused: bool) -> None:
    """Listings per status, failing and paused products, and pending shrink confirmations."""
    from collections import Counter

    from tiktok_pipelines.stores.catalog import ShrinkGuardStore
    from tiktok_pipelines.stores.listings import ListingMap

    db, client_id = state_db_for(client_id)
    products = ListingMap(db).products(client_id)
    counts = Counter(p.status for p in products.values())
    click.echo(", ".join(f"{status}: {n}" for status, n in sorted(counts.items())) or "nothing listed yet")
    failing = [p for p in products.values() if p.failures or p.paused]
    click.echo(f"failing: {len(failing)}, paused: {sum(p.paused for p in failing)}")
    if only_paused and failing:
        print_table(
            [{**p.__dict__, "paused": "yes" if p.paused else ""} for p in failing],
            ("product_key", "channel_product_id", "failures", "paused", "last_error"),
            80,
        )
    for record in ShrinkGuardStore(db).pending(client_id):
        click.echo(
            f"shrink guard: snapshot {record.snapshot_hash[:12]} would delete {record.removed} of "
            f"{record.listed} listed products (detected {record.detected_at:%Y-%m-%d %H:%M} UTC)"
        )


@catalog.command("unpause")
@click.argument("client_id")
@click.argument("product_keys", nargs=-1)
@click.option("--all", "unpause_all", is_flag=True, help="Every paused product.")
def catalog_unpause(client_id: str, product_keys: tuple[str, ...], unpause_all: bool) -> None:
    """Let paused products be tried again on the next run (a product whose payload changes is tried
    again anyway)."""
    from tiktok_pipelines.stores.listings import ListingMap

    db, client_id = state_db_for(client_id)
    listings = ListingMap(db)
    paused = {k for k, p in listings.products(client_id).items() if p.paused}
    keys = sorted(paused) if unpause_all else list(product_keys)
    if not keys:
        fail("give product keys or --all", EXIT_INVALID)
    for key in keys:
        if key not in paused:
            fail(f"product {key} is not paused", EXIT_NOT_FOUND)
        listings.unpause(client_id, key)
    click.echo(f"unpaused {len(keys)} product(s)")


@catalog.command("confirm-shrink")
@click.argument("client_id")
@click.option("--snapshot", help="The snapshot hash (or its first 8+ characters) the shrink guard reported.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def catalog_confirm_shrink(client_id: str, snapshot: str | None, yes: bool) -> None:
    """Confirm that a feed snapshot the shrink guard held back really is the catalog: its deletions go
    ahead on the next catalog_job run of the client. Only that snapshot is confirmed."""
    import getpass

    from tiktok_pipelines.stores.catalog import ShrinkGuardStore

    db, client_id = state_db_for(client_id)
    guard = ShrinkGuardStore(db)
    pending = guard.pending(client_id)
    if not pending:
        fail(f"no snapshot of {client_id} is held back by the shrink guard", EXIT_NOT_FOUND)
    if snapshot is None:
        if len(pending) > 1:
            fail(
                "several snapshots are held back; name one with --snapshot: "
                + ", ".join(r.snapshot_hash[:12] for r in pending),
                EXIT_INVALID,
            )
        snapshot = pending[0].snapshot_hash
    record = next((r for r in pending if r.snapshot_hash.startswith(snapshot)), None)
    if record is None or len(snapshot) < 8:
        fail(f"no held-back snapshot {snapshot!r} for {client_id}", EXIT_NOT_FOUND)
    question = (
        f"snapshot {record.snapshot_hash[:12]} deletes {record.removed} of {record.listed} listed products "
        f"({record.share:.0%}) from TikTok; confirm?"
    )
    if not yes and not click.confirm(question):
        fail("not confirmed", EXIT_INVALID)
    guard.confirm(client_id, record.snapshot_hash, f"cli:{getpass.getuser()}")
    click.echo(
        f"confirmed snapshot {record.snapshot_hash[:12]}: run catalog_job for partition {client_id} "
        "(or wait for the next run) to delete them"
    )
