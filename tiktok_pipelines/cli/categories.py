"""`categories`: the client's category mapping to TikTok leaf categories."""

from __future__ import annotations

from collections.abc import Callable

import click

from tiktok_pipelines.cli.common import (
    EXIT_INVALID,
    EXIT_NOT_FOUND,
    fail,
    json_or_none,
    print_table,
    state_db_for,
)

SOURCE_KINDS = click.Choice(["product", "vtex_category", "product_type", "google_product_category"])


@click.group()
def categories() -> None:
    """The client's category mapping to TikTok leaf categories: review suggestions, accept, set by hand.

    A product is mapped by the first of: its product key (`product`), its VTEX category id
    (`vtex_category`), its `g:product_type` (`product_type`), its `g:google_product_category`. Only
    accepted mappings publish; `tiktok_shop/categories` suggests the others."""


@categories.command("list")
@click.argument("client_id")
@click.option(
    "--status", type=click.Choice(["accepted", "suggested", "rejected", "unmatched", "all"]), default="all"
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def categories_list(client_id: str, status: str, as_json: bool) -> None:
    """The mapping (and suggestions awaiting review), with the TikTok path of each leaf."""
    from tiktok_pipelines.lanes.catalog.categories import mapping_rows
    from tiktok_pipelines.stores.catalog import CategoryStore

    db, client_id = state_db_for(client_id)
    store = CategoryStore(db)
    rows = mapping_rows(store.mappings(client_id, None if status == "all" else status), store.tree(client_id))
    none = "no mapping yet: materialize tiktok_categories, or set one with `categories set`"
    if json_or_none(rows, as_json, none, ensure_ascii=False):
        return
    print_table(
        rows, ("status", "source", "value", "products", "channel_category_id", "channel_path", "origin"), 50
    )


@categories.command("set")
@click.argument("client_id")
@click.argument("kind", type=SOURCE_KINDS)
@click.argument("value")
@click.argument("tiktok_category_id")
def categories_set(client_id: str, kind: str, value: str, tiktok_category_id: str) -> None:
    """Map a category value (or one product) to a TikTok leaf category, accepted at once."""
    from tiktok_pipelines.lanes.catalog.categories import leaf_problem
    from tiktok_pipelines.stores.catalog import CategoryStore

    db, client_id = state_db_for(client_id)
    store = CategoryStore(db)
    tree = store.tree(client_id)
    if tree:
        problem = leaf_problem(tree, tiktok_category_id)
        if problem:
            fail(problem, EXIT_INVALID)
    else:
        click.echo(
            "warning: TikTok's tree is not cached yet (materialize tiktok_categories); not checked", err=True
        )
    store.set_mapping(
        client_id, kind, value, tiktok_category_id, status="accepted", origin="manual", label=value
    )
    path = tree[tiktok_category_id].path if tiktok_category_id in tree else tiktok_category_id
    click.echo(f"{kind} {value!r} → {path}")


@categories.command("accept")
@click.argument("client_id")
@click.argument("kind", type=SOURCE_KINDS, required=False)
@click.argument("value", required=False)
@click.option("--all", "accept_all", is_flag=True, help="Accept every suggestion awaiting review.")
def categories_accept(client_id: str, kind: str | None, value: str | None, accept_all: bool) -> None:
    """Accept a suggested mapping (or all of them, after review): its products publish on the next run."""
    from tiktok_pipelines.stores.catalog import CategoryStore

    db, client_id = state_db_for(client_id)
    store = CategoryStore(db)
    if accept_all:
        keys = [(m.source_kind, m.source_value) for m in store.mappings(client_id, "suggested")]
    elif kind and value is not None:
        keys = [(kind, value)]
    else:
        fail("give KIND and VALUE, or --all", EXIT_INVALID)
    for k, v in keys:
        mapping = store.mapping(client_id, k, v)
        if mapping is None or not mapping.channel_category_id:
            fail(f"no suggestion for {k} {v!r}: use `categories set`", EXIT_NOT_FOUND)
        store.decide(client_id, k, v, "accepted")
    click.echo(f"accepted {len(keys)} mapping(s)")


def _mapping_change(name: str, done: str, change: Callable[..., bool], help_text: str) -> click.Command:
    """The command `categories <name> CLIENT_ID KIND VALUE`: `change(store, client_id, kind, value)` acts
    on the mapping and says whether there was one; the command says `done` or exits 3."""

    @categories.command(name, help=help_text)
    @click.argument("client_id")
    @click.argument("kind", type=SOURCE_KINDS)
    @click.argument("value")
    def command(client_id: str, kind: str, value: str) -> None:
        from tiktok_pipelines.stores.catalog import CategoryStore

        db, client_id = state_db_for(client_id)
        if not change(CategoryStore(db), client_id, kind, value):
            fail(f"no mapping for {kind} {value!r}", EXIT_NOT_FOUND)
        click.echo(f"{done} {kind} {value!r}")

    return command


categories_reject = _mapping_change(
    "reject",
    "rejected",
    lambda store, *mapping: store.decide(*mapping, "rejected"),
    "Reject a suggestion; no other is made for that value until the mapping is unset.",
)
categories_unset = _mapping_change(
    "unset",
    "removed",
    lambda store, *mapping: store.remove_mapping(*mapping),
    "Forget a mapping or suggestion (a new suggestion is made on the next run).",
)


@categories.command("tree")
@click.argument("client_id")
@click.option("--search", help="Only leaves whose path contains this (case and accents ignored).")
def categories_tree(client_id: str, search: str | None) -> None:
    """TikTok's leaf categories as last fetched for the client's shop, to find an id."""
    from tiktok_pipelines.core.text import fold
    from tiktok_pipelines.stores.catalog import CategoryStore

    db, client_id = state_db_for(client_id)
    tree = CategoryStore(db).tree(client_id)
    if not tree:
        fail("TikTok's tree is not cached yet: materialize tiktok_categories", EXIT_NOT_FOUND)
    rows = [
        {"id": c.category_id, "path": c.path, "permitted": "yes" if c.permitted else "no"}
        for c in sorted(tree.values(), key=lambda c: c.path)
        if c.is_leaf and (not search or fold(search) in fold(c.path))
    ]
    print_table(rows, ("id", "path", "permitted"), 90)
