"""`brands`: the client's brand map to TikTok brands."""

from __future__ import annotations

import click

from tiktok_pipelines.cli.common import print_table, state_db_for


@click.group()
def brands() -> None:
    """The client's brand map: each brand of its products and its TikTok brand."""


@brands.command("list")
@click.argument("client_id")
@click.option("--failed", is_flag=True, help="Only brands without a TikTok brand.")
def brands_list(client_id: str, failed: bool) -> None:
    from tiktok_pipelines.stores.catalog import BrandMap

    db, client_id = state_db_for(client_id)
    entries = sorted(BrandMap(db).all(client_id).values(), key=lambda e: e.brand_key)
    rows = [e.__dict__ for e in entries if not failed or not e.channel_brand_id]
    if not rows:
        click.echo("no brand yet" if not failed else "every brand is mapped")
        return
    print_table(rows, ("brand_name", "channel_brand_id", "channel_brand_name", "origin", "last_error"), 60)


@brands.command("set")
@click.argument("client_id")
@click.argument("brand_name")
@click.argument("tiktok_brand_id")
def brands_set(client_id: str, brand_name: str, tiktok_brand_id: str) -> None:
    """Pin a brand (as the feed names it) to a TikTok brand id, e.g. one authorized in Seller Center."""
    from tiktok_pipelines.channels.tiktok_shop.brands import brand_key
    from tiktok_pipelines.stores.catalog import BrandMap

    db, client_id = state_db_for(client_id)
    BrandMap(db).save(
        client_id,
        brand_key(brand_name),
        brand_name,
        channel_brand_id=tiktok_brand_id,
        origin="manual",
    )
    click.echo(f"brand {brand_name!r} → TikTok brand {tiktok_brand_id}")
