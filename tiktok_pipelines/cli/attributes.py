"""`attributes`: where TikTok product attributes take their values."""

from __future__ import annotations

import click

from tiktok_pipelines.cli.common import EXIT_INVALID, EXIT_NOT_FOUND, fail, print_table, state_db_for


@click.group()
def attributes() -> None:
    """Where TikTok product attributes take their values: feed:<field>, vtex:<specification>, value:<text>.

    Without a rule an attribute is looked for in the feed field of the same meaning (material, color,
    size, gender, age_group, pattern) and in a VTEX specification of the same name."""


@attributes.command("list")
@click.argument("client_id")
def attributes_list(client_id: str) -> None:
    """The client's attribute rules (`*`: every leaf category)."""
    from tiktok_pipelines.stores.catalog import AttributeRuleStore

    db, client_id = state_db_for(client_id)
    rules = AttributeRuleStore(db).all(client_id)
    if not rules:
        click.echo("no attribute rule: built-in sources only")
        return
    print_table([r.__dict__ for r in rules], ("category_id", "attribute", "source"))


@attributes.command("set")
@click.argument("client_id")
@click.argument("attribute")
@click.argument("source")
@click.option(
    "--category", "category_id", default="*", show_default=True, help="A TikTok leaf id, or * for all."
)
def attributes_set(client_id: str, attribute: str, source: str, category_id: str) -> None:
    """Set where ATTRIBUTE (its TikTok name or id) takes its value: e.g. `Material value:Algodão`,
    `Material vtex:Composição`, `Gênero feed:gender`."""
    from tiktok_pipelines.stores.catalog import AttributeRuleStore

    db, client_id = state_db_for(client_id)
    try:
        AttributeRuleStore(db).set(client_id, attribute, source, category_id)
    except ValueError as exc:
        fail(str(exc), EXIT_INVALID)
    click.echo(f"{attribute} ({'every leaf' if category_id == '*' else category_id}) ← {source}")


@attributes.command("unset")
@click.argument("client_id")
@click.argument("attribute")
@click.option("--category", "category_id", default="*", show_default=True)
def attributes_unset(client_id: str, attribute: str, category_id: str) -> None:
    """Remove a rule."""
    from tiktok_pipelines.stores.catalog import AttributeRuleStore

    db, client_id = state_db_for(client_id)
    if not AttributeRuleStore(db).remove(client_id, attribute, category_id):
        fail(f"no rule for {attribute} in {category_id}", EXIT_NOT_FOUND)
    click.echo(f"removed the rule of {attribute} ({category_id})")
