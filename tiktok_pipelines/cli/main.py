"""`tiktok-pipelines`: the command line of the project.

Exit codes, for scripts: 0 done; 1 unexpected error; 2 invalid input (bad value, missing field, usage);
3 not found; 4 already exists; 5 configuration error (e.g. no encryption key in production).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from tiktok_pipelines.settings import ConfigError, Settings

EXIT_INVALID, EXIT_NOT_FOUND, EXIT_EXISTS, EXIT_CONFIG = 2, 3, 4, 5


def fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _registry():
    from tiktok_pipelines.stores.db import open_state_db
    from tiktok_pipelines.stores.registry import ClientRegistry

    return ClientRegistry(open_state_db(Settings.load()))


def handle_errors(fn: Callable) -> Callable:
    """Maps the project's errors to messages and exit codes."""
    from functools import wraps

    @wraps(fn)
    def wrapper(*args, **kwargs):
        from tiktok_pipelines.stores.crypto import SecretDecryptionError
        from tiktok_pipelines.stores.registry import RegistryError

        try:
            return fn(*args, **kwargs)
        except RegistryError as exc:
            where = f" (state DB {Settings.load().database_label})" if exc.exit_code == EXIT_NOT_FOUND else ""
            fail(f"{exc}{where}", exc.exit_code)
        except ConfigError as exc:
            fail(str(exc), EXIT_CONFIG)
        except SecretDecryptionError as exc:
            fail(str(exc), EXIT_CONFIG)

    return wrapper


@click.group()
@click.version_option(package_name="tiktok-pipelines")
def main() -> None:
    """Run a VTEX merchant's TikTok Shop with Dagster: catalog, stock and prices, orders, analytics."""


# ---------------------------------------------------------------- where the state is
def _state_lines(settings: Settings) -> list[str]:
    """Which data dir, state DB and key this configuration uses, and whether they exist."""
    from tiktok_pipelines.stores.db import sqlite_file

    data_dir = settings.data_dir
    lines = [
        f"environment: {settings.environment}",
        f"data dir: {data_dir} ({'exists' if data_dir.exists() else 'does not exist'}; "
        f"{settings.data_dir_origin()})",
    ]
    db_file = sqlite_file(settings.database_url)
    state = "" if db_file is None else f" ({'exists' if db_file.exists() else 'does not exist'})"
    lines.append(f"state DB: {settings.database_label}{state}")
    if settings.get("TIKTOK_PIPELINES_SECRET_KEY"):
        lines.append("encryption key: TIKTOK_PIPELINES_SECRET_KEY")
    elif settings.is_production:
        lines.append("encryption key: none (TIKTOK_PIPELINES_SECRET_KEY is required in production)")
    else:
        key = settings.dev_key_path
        lines.append(
            f"encryption key: development key {key} ({'exists' if key.exists() else 'does not exist'})"
        )
    return lines


@main.command("where")
@handle_errors
def where() -> None:
    """Say which data dir, state DB (password hidden) and encryption key this configuration uses, and
    whether they exist; creates nothing."""
    for line in _state_lines(Settings.load()):
        click.echo(line)


@main.command("init")
@handle_errors
def init() -> None:
    """Create the data dir, the state DB and (in development, without TIKTOK_PIPELINES_SECRET_KEY) the
    development key where the configuration says, if they do not exist yet. Other commands never create
    them: run from another folder, they say where they looked instead."""
    from tiktok_pipelines.stores.db import open_state_db
    from tiktok_pipelines.stores.registry import ClientRegistry

    settings = Settings.load()
    before = _state_lines(settings)
    registry = ClientRegistry(open_state_db(settings, create=True))
    for was, now in zip(before, _state_lines(settings), strict=True):
        click.echo(
            now.replace("(exists", "(created") if "does not exist" in was and "(exists" in now else now
        )
    click.echo(f"clients registered: {len(registry.ids())}")


# ---------------------------------------------------------------- clients
@main.group()
def clients() -> None:
    """Register and manage clients (merchants)."""


def _secret_value(value: str | None, name: str, required: bool) -> str | None:
    """'-' reads the secret from stdin; missing and interactive prompts without echo."""
    if value == "-":
        line = sys.stdin.readline().rstrip("\n")
        if not line:
            fail(f"{name}: nothing on standard input", EXIT_INVALID)
        return line
    if value is None and required:
        if sys.stdin.isatty():
            return click.prompt(name, hide_input=True)
        fail(f"{name} is required (give it, or '-' to read it from standard input)", EXIT_INVALID)
    return value


def _parse_options(pairs: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            fail(f"--option takes key=value, got {pair!r}", EXIT_INVALID)
        key, raw = pair.split("=", 1)
        key = key.strip()
        if not key:
            fail(f"--option has an empty key in {pair!r}", EXIT_INVALID)
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def client_field_options(required: bool) -> Callable:
    """The options that set client fields, shared by `add` (where some are required) and `set`."""

    def deco(fn: Callable) -> Callable:
        opts = [
            click.option("--display-name", help="A human name for the client."),
            click.option("--feed-url", help="URL of the product feed (Google Merchant XML)."),
            click.option("--vtex-account", help="VTEX account name (the store's subdomain)."),
            click.option("--vtex-environment", help="VTEX environment, default vtexcommercestable."),
            click.option("--vtex-app-key", help="VTEX app key; '-' reads it from standard input."),
            click.option("--vtex-app-token", help="VTEX app token; '-' reads it from standard input."),
            click.option(
                "--vtex-warehouse",
                "vtex_warehouse_ids",
                multiple=True,
                help="VTEX warehouse id (repeat for several).",
            ),
            click.option("--vtex-trade-policy", help="VTEX trade policy (sales channel), e.g. 1."),
            click.option("--vtex-affiliate-id", help="VTEX affiliate id of the TikTok Shop marketplace."),
            click.option(
                "--tiktok-shop-code", help="TikTok Shop code (Seller Center), links the OAuth grant."
            ),
            click.option("--tiktok-shop-id", help="TikTok shop id (normally filled by onboarding)."),
            click.option("--tiktok-shop-cipher", help="TikTok shop cipher (normally filled by onboarding)."),
            click.option(
                "--tiktok-warehouse",
                "tiktok_warehouse_ids",
                multiple=True,
                help="TikTok warehouse id (repeat for several).",
            ),
            click.option(
                "--option",
                "options",
                multiple=True,
                metavar="KEY=VALUE",
                help="A client option (each lane's document lists them); VALUE is JSON when it parses as JSON.",
            ),
        ]
        for opt in reversed(opts):
            fn = opt(fn)
        return fn

    return deco


def _fields_from(kwargs: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in kwargs.items() if v not in (None, ())}
    fields.pop("options", None)
    return fields


@clients.command("add")
@click.argument("client_id")
@client_field_options(required=True)
@handle_errors
def clients_add(client_id: str, **kwargs: Any) -> None:
    """Register a client. Secrets are encrypted before they are stored."""
    from tiktok_pipelines.stores.registry import build_client

    kwargs["vtex_app_key"] = _secret_value(kwargs.get("vtex_app_key"), "vtex_app_key", True)
    kwargs["vtex_app_token"] = _secret_value(kwargs.get("vtex_app_token"), "vtex_app_token", True)
    kwargs["tiktok_shop_cipher"] = _secret_value(
        kwargs.get("tiktok_shop_cipher"), "tiktok_shop_cipher", False
    )
    fields = _fields_from(kwargs)
    options = _parse_options(kwargs.get("options", ()))
    client = build_client(client_id=client_id, options=options, **fields)
    _registry().add(client)
    click.echo(f"added client {client.client_id}")


@clients.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@handle_errors
def clients_list(as_json: bool) -> None:
    """List the registered clients (no secret is printed)."""
    rows = [c.public_dict() for c in _registry().list()]
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        click.echo(f"no clients registered in the state DB {Settings.load().database_label}")
        return
    columns = ("client_id", "status", "vtex_account", "tiktok_shop_code", "tiktok_shop_id", "feed_url")
    widths = {c: max(len(c), *(len(str(r.get(c) or "")) for r in rows)) for c in columns}
    click.echo("  ".join(c.ljust(widths[c]) for c in columns))
    for r in rows:
        click.echo("  ".join(str(r.get(c) or "").ljust(widths[c]) for c in columns))


@clients.command("show")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def clients_show(client_id: str, as_json: bool) -> None:
    """Show one client; secrets appear only as <set>."""
    data = _registry().get(client_id).public_dict()
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
        return
    for key, value in data.items():
        if isinstance(value, list | tuple):
            value = ", ".join(map(str, value))
        elif isinstance(value, dict):
            value = json.dumps(value, sort_keys=True)
        click.echo(f"{key}: {'' if value is None else value}")


@clients.command("set")
@click.argument("client_id")
@client_field_options(required=False)
@click.option("--unset-option", "unset_options", multiple=True, metavar="KEY", help="Remove a client option.")
@click.option(
    "--status",
    type=click.Choice(["active", "paused", "needs_reauthorization"]),
    help="Pause or resume the client's automation.",
)
@handle_errors
def clients_set(client_id: str, unset_options: tuple[str, ...], **kwargs: Any) -> None:
    """Change fields or options of a client."""
    registry = _registry()
    current = registry.get(client_id)
    for name in ("vtex_app_key", "vtex_app_token", "tiktok_shop_cipher"):
        if kwargs.get(name) is not None:
            kwargs[name] = _secret_value(kwargs[name], name, False)
    changes = _fields_from(kwargs)
    options = dict(current.options)
    options.update(_parse_options(kwargs.get("options", ())))
    for key in unset_options:
        if key not in options:
            fail(f"client {client_id} has no option {key!r}", EXIT_NOT_FOUND)
        options.pop(key)
    if not changes and options == current.options:
        fail("nothing to change: give at least one field, --option or --unset-option", EXIT_INVALID)
    registry.update(client_id, options=options, **changes)
    click.echo(f"updated client {client_id}")


@clients.command("remove")
@click.argument("client_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@handle_errors
def clients_remove(client_id: str, yes: bool) -> None:
    """Remove a client and its state (its partition is deleted by client_registry_sensor)."""
    registry = _registry()
    registry.get(client_id)
    if not yes and not click.confirm(f"remove client {client_id} and all of its state?"):
        fail("not confirmed", EXIT_INVALID)
    registry.remove(client_id)
    click.echo(f"removed client {client_id}")


# ---------------------------------------------------------------- catalog (categories, attributes, brands)
def _db():
    from tiktok_pipelines.stores.db import open_state_db

    return open_state_db(Settings.load())


def _client_id(db, client_id: str) -> str:
    from tiktok_pipelines.stores.registry import ClientRegistry

    return ClientRegistry(db).get(client_id).client_id


def _table(rows: list[dict], columns: tuple[str, ...], width: int = 60) -> None:
    def cell(value) -> str:
        text = "" if value is None else str(value)
        return text if len(text) <= width else text[: width - 1] + "…"

    widths = {c: max(len(c), *(len(cell(r.get(c))) for r in rows)) for c in columns}
    click.echo("  ".join(c.ljust(widths[c]) for c in columns))
    for r in rows:
        click.echo("  ".join(cell(r.get(c)).ljust(widths[c]) for c in columns))


SOURCE_KINDS = click.Choice(["product", "vtex_category", "product_type", "google_product_category"])


@main.group()
def categories() -> None:
    """The client's category mapping to TikTok leaf categories: review suggestions, accept, set by hand.

    A product is mapped by the first of: its product key (`product`), its VTEX category id
    (`vtex_category`), its `g:product_type` (`product_type`), its `g:google_product_category`. Only
    accepted mappings publish; `tiktok_categories` suggests the others."""


@categories.command("list")
@click.argument("client_id")
@click.option(
    "--status", type=click.Choice(["accepted", "suggested", "rejected", "unmatched", "all"]), default="all"
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def categories_list(client_id: str, status: str, as_json: bool) -> None:
    """The mapping (and suggestions awaiting review), with the TikTok path of each leaf."""
    from tiktok_pipelines.lanes.catalog.categories import mapping_rows
    from tiktok_pipelines.stores.catalog import CategoryStore

    db = _db()
    client_id = _client_id(db, client_id)
    store = CategoryStore(db)
    rows = mapping_rows(store.mappings(client_id, None if status == "all" else status), store.tree(client_id))
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("no mapping yet: materialize tiktok_categories, or set one with `categories set`")
        return
    _table(rows, ("status", "source", "value", "products", "tiktok_category_id", "tiktok_path", "origin"), 50)


@categories.command("set")
@click.argument("client_id")
@click.argument("kind", type=SOURCE_KINDS)
@click.argument("value")
@click.argument("tiktok_category_id")
@handle_errors
def categories_set(client_id: str, kind: str, value: str, tiktok_category_id: str) -> None:
    """Map a category value (or one product) to a TikTok leaf category, accepted at once."""
    from tiktok_pipelines.lanes.catalog.categories import leaf_problem
    from tiktok_pipelines.stores.catalog import CategoryStore

    db = _db()
    client_id = _client_id(db, client_id)
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
@handle_errors
def categories_accept(client_id: str, kind: str | None, value: str | None, accept_all: bool) -> None:
    """Accept a suggested mapping (or all of them, after review): its products publish on the next run."""
    from tiktok_pipelines.stores.catalog import CategoryStore

    db = _db()
    client_id = _client_id(db, client_id)
    store = CategoryStore(db)
    if accept_all:
        keys = [(m.source_kind, m.source_value) for m in store.mappings(client_id, "suggested")]
    elif kind and value is not None:
        keys = [(kind, value)]
    else:
        fail("give KIND and VALUE, or --all", EXIT_INVALID)
    for k, v in keys:
        mapping = store.mapping(client_id, k, v)
        if mapping is None or not mapping.tiktok_category_id:
            fail(f"no suggestion for {k} {v!r}: use `categories set`", EXIT_NOT_FOUND)
        store.decide(client_id, k, v, "accepted")
    click.echo(f"accepted {len(keys)} mapping(s)")


@categories.command("reject")
@click.argument("client_id")
@click.argument("kind", type=SOURCE_KINDS)
@click.argument("value")
@handle_errors
def categories_reject(client_id: str, kind: str, value: str) -> None:
    """Reject a suggestion; no other is made for that value until the mapping is unset."""
    from tiktok_pipelines.stores.catalog import CategoryStore

    db = _db()
    if not CategoryStore(db).decide(_client_id(db, client_id), kind, value, "rejected"):
        fail(f"no mapping for {kind} {value!r}", EXIT_NOT_FOUND)
    click.echo(f"rejected {kind} {value!r}")


@categories.command("unset")
@click.argument("client_id")
@click.argument("kind", type=SOURCE_KINDS)
@click.argument("value")
@handle_errors
def categories_unset(client_id: str, kind: str, value: str) -> None:
    """Forget a mapping or suggestion (a new suggestion is made on the next run)."""
    from tiktok_pipelines.stores.catalog import CategoryStore

    db = _db()
    if not CategoryStore(db).remove_mapping(_client_id(db, client_id), kind, value):
        fail(f"no mapping for {kind} {value!r}", EXIT_NOT_FOUND)
    click.echo(f"removed {kind} {value!r}")


@categories.command("tree")
@click.argument("client_id")
@click.option("--search", help="Only leaves whose path contains this (case and accents ignored).")
@handle_errors
def categories_tree(client_id: str, search: str | None) -> None:
    """TikTok's leaf categories as last fetched for the client's shop, to find an id."""
    from tiktok_pipelines.core.text import fold
    from tiktok_pipelines.stores.catalog import CategoryStore

    db = _db()
    tree = CategoryStore(db).tree(_client_id(db, client_id))
    if not tree:
        fail("TikTok's tree is not cached yet: materialize tiktok_categories", EXIT_NOT_FOUND)
    rows = [
        {"id": c.category_id, "path": c.path, "permitted": "yes" if c.permitted else "no"}
        for c in sorted(tree.values(), key=lambda c: c.path)
        if c.is_leaf and (not search or fold(search) in fold(c.path))
    ]
    _table(rows, ("id", "path", "permitted"), 90)


@main.group()
def attributes() -> None:
    """Where TikTok product attributes take their values: feed:<field>, vtex:<specification>, value:<text>.

    Without a rule an attribute is looked for in the feed field of the same meaning (material, color,
    size, gender, age_group, pattern) and in a VTEX specification of the same name."""


@attributes.command("list")
@click.argument("client_id")
@handle_errors
def attributes_list(client_id: str) -> None:
    """The client's attribute rules (`*`: every leaf category)."""
    from tiktok_pipelines.stores.catalog import AttributeRuleStore

    db = _db()
    rules = AttributeRuleStore(db).all(_client_id(db, client_id))
    if not rules:
        click.echo("no attribute rule: built-in sources only")
        return
    _table([r.__dict__ for r in rules], ("category_id", "attribute", "source"))


@attributes.command("set")
@click.argument("client_id")
@click.argument("attribute")
@click.argument("source")
@click.option(
    "--category", "category_id", default="*", show_default=True, help="A TikTok leaf id, or * for all."
)
@handle_errors
def attributes_set(client_id: str, attribute: str, source: str, category_id: str) -> None:
    """Set where ATTRIBUTE (its TikTok name or id) takes its value: e.g. `Material value:Algodão`,
    `Material vtex:Composição`, `Gênero feed:gender`."""
    from tiktok_pipelines.stores.catalog import AttributeRuleStore

    db = _db()
    try:
        AttributeRuleStore(db).set(_client_id(db, client_id), attribute, source, category_id)
    except ValueError as exc:
        fail(str(exc), EXIT_INVALID)
    click.echo(f"{attribute} ({'every leaf' if category_id == '*' else category_id}) ← {source}")


@attributes.command("unset")
@click.argument("client_id")
@click.argument("attribute")
@click.option("--category", "category_id", default="*", show_default=True)
@handle_errors
def attributes_unset(client_id: str, attribute: str, category_id: str) -> None:
    """Remove a rule."""
    from tiktok_pipelines.stores.catalog import AttributeRuleStore

    db = _db()
    if not AttributeRuleStore(db).remove(_client_id(db, client_id), attribute, category_id):
        fail(f"no rule for {attribute} in {category_id}", EXIT_NOT_FOUND)
    click.echo(f"removed the rule of {attribute} ({category_id})")


@main.group()
def brands() -> None:
    """The client's brand map: each brand of its products and its TikTok brand."""


@brands.command("list")
@click.argument("client_id")
@click.option("--failed", is_flag=True, help="Only brands without a TikTok brand.")
@handle_errors
def brands_list(client_id: str, failed: bool) -> None:
    from tiktok_pipelines.stores.catalog import BrandMap

    db = _db()
    entries = sorted(BrandMap(db).all(_client_id(db, client_id)).values(), key=lambda e: e.brand_key)
    rows = [e.__dict__ for e in entries if not failed or not e.tiktok_brand_id]
    if not rows:
        click.echo("no brand yet" if not failed else "every brand is mapped")
        return
    _table(rows, ("brand_name", "tiktok_brand_id", "tiktok_brand_name", "origin", "last_error"), 60)


@brands.command("set")
@click.argument("client_id")
@click.argument("brand_name")
@click.argument("tiktok_brand_id")
@handle_errors
def brands_set(client_id: str, brand_name: str, tiktok_brand_id: str) -> None:
    """Pin a brand (as the feed names it) to a TikTok brand id, e.g. one authorized in Seller Center."""
    from tiktok_pipelines.channels.tiktok_shop.brands import brand_key
    from tiktok_pipelines.stores.catalog import BrandMap

    db = _db()
    BrandMap(db).save(
        _client_id(db, client_id),
        brand_key(brand_name),
        brand_name,
        tiktok_brand_id=tiktok_brand_id,
        origin="manual",
    )
    click.echo(f"brand {brand_name!r} → TikTok brand {tiktok_brand_id}")


@main.group()
def catalog() -> None:
    """The client's catalog on TikTok: listing status, paused products, shrink-guard confirmations."""


@catalog.command("status")
@click.argument("client_id")
@click.option("--paused", "only_paused", is_flag=True, help="List paused and failing products.")
@handle_errors
def catalog_status(client_id: str, only_paused: bool) -> None:
    """Listings per status, failing and paused products, and pending shrink confirmations."""
    from collections import Counter

    from tiktok_pipelines.stores.catalog import ShrinkGuardStore
    from tiktok_pipelines.stores.listings import ListingMap

    db = _db()
    client_id = _client_id(db, client_id)
    products = ListingMap(db).products(client_id)
    counts = Counter(p.status for p in products.values())
    click.echo(", ".join(f"{status}: {n}" for status, n in sorted(counts.items())) or "nothing listed yet")
    failing = [p for p in products.values() if p.failures or p.paused]
    click.echo(f"failing: {len(failing)}, paused: {sum(p.paused for p in failing)}")
    if only_paused and failing:
        _table(
            [{**p.__dict__, "paused": "yes" if p.paused else ""} for p in failing],
            ("product_key", "tiktok_product_id", "failures", "paused", "last_error"),
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
@handle_errors
def catalog_unpause(client_id: str, product_keys: tuple[str, ...], unpause_all: bool) -> None:
    """Let paused products be tried again on the next run (a product whose payload changes is tried
    again anyway)."""
    from tiktok_pipelines.stores.listings import ListingMap

    db = _db()
    client_id = _client_id(db, client_id)
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
@handle_errors
def catalog_confirm_shrink(client_id: str, snapshot: str | None, yes: bool) -> None:
    """Confirm that a feed snapshot the shrink guard held back really is the catalog: its deletions go
    ahead on the next catalog_job run of the client. Only that snapshot is confirmed."""
    import getpass

    from tiktok_pipelines.stores.catalog import ShrinkGuardStore

    db = _db()
    client_id = _client_id(db, client_id)
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


# ---------------------------------------------------------------- stock and prices
@main.group("stock-price")
def stock_price() -> None:
    """The stock and price sync VTEX → TikTok: state per SKU, held price drops, the dead letter."""


def _stock_price(client_id: str):
    from tiktok_pipelines.core.stock_price import StockPriceOptions, StockPriceOptionsError
    from tiktok_pipelines.stores.registry import ClientRegistry
    from tiktok_pipelines.stores.stock_price import SkuSyncStore

    db = _db()
    client = ClientRegistry(db).get(client_id)
    try:
        options = StockPriceOptions.from_client_options(client.options)
    except StockPriceOptionsError as exc:
        fail(str(exc), EXIT_INVALID)
    return client, options, SkuSyncStore(db)


def _when(value) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if value else "-"


@stock_price.command("status")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def stock_price_status(client_id: str, as_json: bool) -> None:
    """SKUs per kind: in step with TikTok, pending, failing, in the dead letter, held, waiting for a read."""
    client, options, store = _stock_price(client_id)
    rows = [vars(s) for s in store.summary(client.client_id, options.stock_price_max_attempts)]
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    for row in rows:
        row["last_read"], row["last_confirmed"] = _when(row["last_read"]), _when(row["last_confirmed"])
    _table(
        rows,
        (
            "kind",
            "skus",
            "in_sync",
            "pending",
            "failing",
            "dead",
            "held",
            "dirty",
            "never_read",
            "last_read",
            "last_confirmed",
        ),
    )


@stock_price.command("options")
@click.argument("client_id")
@handle_errors
def stock_price_options(client_id: str) -> None:
    """The client's stock and price rules in effect (defaults included) and its warehouse map."""
    from tiktok_pipelines.core.stock_price import StockPriceOptionsError, warehouse_plan

    client, options, _ = _stock_price(client_id)
    for name, value in options.describe().items():
        shown = "(default)" if name not in client.options else ""
        click.echo(f"{name}: {value} {shown}".rstrip())
    try:
        plan = warehouse_plan(options, client.vtex_warehouse_ids, client.tiktok_warehouse_ids)
    except StockPriceOptionsError as exc:
        fail(str(exc), EXIT_INVALID)
    for vtex_wh, tiktok_wh in sorted(plan.items()):
        click.echo(f"warehouse: VTEX {vtex_wh} → TikTok {tiktok_wh}")


@stock_price.command("skus")
@click.argument("client_id")
@click.argument("seller_skus", nargs=-1)
@click.option("--pending", is_flag=True, help="Only SKUs whose target TikTok has not confirmed.")
@click.option("--kind", type=click.Choice(["stock", "price"]))
@click.option("--limit", default=50, show_default=True)
@handle_errors
def stock_price_skus(
    client_id: str, seller_skus: tuple[str, ...], pending: bool, kind: str | None, limit: int
) -> None:
    """Per SKU: what VTEX said, the target, what TikTok confirmed, failures."""
    client, _, store = _stock_price(client_id)
    rows = []
    for k in (kind,) if kind else ("stock", "price"):
        rows += store.rows(client.client_id, k, seller_skus or None)
    if pending:
        rows = [r for r in rows if not r.in_sync]
    if not rows:
        click.echo("no SKUs")
        return
    _table(
        [
            {**vars(r), "read": _when(r.observed_at), "confirmed_at": _when(r.confirmed_at)}
            for r in rows[:limit]
        ],
        (
            "kind",
            "seller_sku",
            "target",
            "confirmed",
            "read",
            "confirmed_at",
            "attempts",
            "error_code",
            "held",
        ),
        70,
    )
    if len(rows) > limit:
        click.echo(f"... {len(rows) - limit} more (--limit)")


@stock_price.command("held")
@click.argument("client_id")
@handle_errors
def stock_price_held(client_id: str) -> None:
    """Price drops the guard holds back until confirmed (`confirm-price`)."""
    client, _, store = _stock_price(client_id)
    held = store.held(client.client_id)
    if not held:
        click.echo("no price drop waits for a confirmation")
        return
    _table([vars(r) for r in held], ("seller_sku", "held", "target"), 100)


@stock_price.command("confirm-price")
@click.argument("client_id")
@click.argument("seller_skus", nargs=-1)
@click.option("--all", "confirm_all", is_flag=True, help="Every held price drop.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@handle_errors
def stock_price_confirm_price(
    client_id: str, seller_skus: tuple[str, ...], confirm_all: bool, yes: bool
) -> None:
    """Let held price drops go to TikTok on the next stock and price run. Each confirms the price it was
    held at: a later, lower VTEX price is held again."""
    import getpass

    client, _, store = _stock_price(client_id)
    held = {r.seller_sku: r for r in store.held(client.client_id)}
    if not seller_skus and not confirm_all:
        fail("give seller SKUs or --all", EXIT_INVALID)
    wanted = sorted(held) if confirm_all else list(seller_skus)
    missing = [s for s in wanted if s not in held]
    if missing or not wanted:
        fail(f"no held price drop for {', '.join(missing) or 'this client'}", EXIT_NOT_FOUND)
    for sku in wanted:
        click.echo(f"{sku}: {held[sku].held}")
    if not yes and not click.confirm(f"send {len(wanted)} price drop(s) to TikTok?"):
        fail("not confirmed", EXIT_INVALID)
    approved = store.approve(client.client_id, wanted, f"cli:{getpass.getuser()}")
    click.echo(
        f"confirmed {len(approved)} price drop(s); the next stock and price run of {client.client_id} sends them"
    )


@stock_price.command("dead-letter")
@click.argument("client_id")
@click.option("--kind", type=click.Choice(["stock", "price"]))
@handle_errors
def stock_price_dead_letter(client_id: str, kind: str | None) -> None:
    """SKUs TikTok refused `stock_price_max_attempts` times in a row: left alone until their target
    changes, `retry`, or the nightly full reconcile."""
    client, options, store = _stock_price(client_id)
    dead = store.dead_letter(client.client_id, options.stock_price_max_attempts, kind)
    if not dead:
        click.echo("the dead letter is empty")
        return
    _table(
        [{**vars(r), "last_push": _when(r.pushed_at)} for r in dead],
        ("kind", "seller_sku", "tiktok_product_id", "attempts", "error_code", "error_message", "last_push"),
        80,
    )


@stock_price.command("retry")
@click.argument("client_id")
@click.argument("seller_skus", nargs=-1)
@click.option("--all", "retry_all", is_flag=True, help="Every failing SKU.")
@click.option("--kind", type=click.Choice(["stock", "price"]))
@handle_errors
def stock_price_retry(
    client_id: str, seller_skus: tuple[str, ...], retry_all: bool, kind: str | None
) -> None:
    """Clear the failure count of SKUs (out of the dead letter): the next run pushes them again."""
    client, _, store = _stock_price(client_id)
    if not seller_skus and not retry_all:
        fail("give seller SKUs or --all", EXIT_INVALID)
    changed = store.retry(client.client_id, kind, None if retry_all else seller_skus)
    click.echo(f"{changed} SKU row(s) will be pushed again on the next run")


# ---------------------------------------------------------------- secrets
@main.group()
def secrets() -> None:
    """Encryption keys for secrets at rest."""


@secrets.command("generate-key")
def secrets_generate_key() -> None:
    """Print a new key for TIKTOK_PIPELINES_SECRET_KEY."""
    from tiktok_pipelines.stores.crypto import SecretBox

    click.echo(SecretBox.generate_key())


# ---------------------------------------------------------------- oauth (TikTok Shop)
def _tiktok():
    from tiktok_pipelines.defs.resources.tiktok_shop import standalone_tiktok_shop

    return standalone_tiktok_shop(Settings.load())


@main.group()
def oauth() -> None:
    """Authorize clients' TikTok shops: links for sellers, token exchange and status."""


@oauth.command("url")
@click.argument("client_id")
@handle_errors
def oauth_url(client_id: str) -> None:
    """Print the authorization link to send to the client's seller (single use, expires)."""
    tiktok = _tiktok()
    link = tiktok.authorization_link(client_id)
    click.echo(link)
    click.echo(
        f"valid for {tiktok.oauth_state_ttl_minutes:g} minutes, once; the seller lands on the redirect URL "
        "set in Partner Center (…/oauth/tiktok/callback), then `tiktok_token_job` (hourly) or "
        "`tiktok-pipelines oauth exchange` finishes the connection",
        err=True,
    )


@oauth.command("exchange")
@handle_errors
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
    for client_id in sorted(set(report.needs_reauthorization)):
        click.echo(
            f"  {client_id}: needs re-authorization (`tiktok-pipelines oauth url {client_id}`)", err=True
        )
    if report.failures:
        sys.exit(1)


@oauth.command("status")
@click.argument("client_id", required=False)
@click.option(
    "--log", "log_lines", default=0, show_default=True, help="Also print the last N token log steps."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def oauth_status(client_id: str | None, log_lines: int, as_json: bool) -> None:
    """Show each client's TikTok authorization: shop, token expiry, status (never a token)."""
    tiktok = _tiktok()
    registry, store = tiktok.state.registry, tiktok.auth_store
    clients = [registry.get(client_id)] if client_id else registry.list()
    rows = []
    for client in clients:
        tokens = store.get_tokens(client.client_id)
        rows.append(
            {
                "client_id": client.client_id,
                "status": client.status,
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
        )
        for entry in row["log"]:
            click.echo(
                f"  {entry['at']} {entry['step']} {entry['outcome']} {entry['code'] or ''} {entry['message'] or ''}".rstrip()
            )


# ---------------------------------------------------------------- webhooks (receiver)
@main.group()
def webhooks() -> None:
    """The HTTP receiver (platform webhooks, the OAuth callback) and the events' dead letter."""


@webhooks.command("serve")
@click.option("--host", default=None, help="Default TIKTOK_PIPELINES_RECEIVER_HOST.")
@click.option("--port", type=int, default=None, help="Default TIKTOK_PIPELINES_RECEIVER_PORT.")
@handle_errors
def webhooks_serve(host: str | None, port: int | None) -> None:
    """Serve the receiver until Ctrl-C."""
    import uvicorn

    from tiktok_pipelines.receiver.app import create_app, tune_receiver_process

    settings = Settings.load()
    tune_receiver_process()
    host = host or settings.require("TIKTOK_PIPELINES_RECEIVER_HOST")
    port = port or settings.int("TIKTOK_PIPELINES_RECEIVER_PORT")
    click.echo(f"receiver on http://{host}:{port} (OAuth callback: /oauth/tiktok/callback)")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", proxy_headers=True)


@webhooks.group("dead-letter")
def webhooks_dead_letter() -> None:
    """Events the queue sensor failed to handle on every attempt, with the reason: list and show them,
    put them back on the queue (`retry`, once the cause is fixed) or `discard` them."""


def _dead_letters(ids: tuple[int, ...], every: bool, client_id: str | None):
    """The open letters named (all of them, or all of a client's, with --all); exits 3 on an id that is
    not an open letter."""
    from tiktok_pipelines.stores.events import EventDeadLetter

    dead = EventDeadLetter(_db())
    if every == bool(ids):
        fail("give letter ids, or --all", EXIT_INVALID)
    if every:
        return dead, dead.list("open", client_id=client_id)
    letters = []
    for letter_id in ids:
        letter = dead.get(letter_id)
        if letter is None or letter.status != "open":
            state = f"is {letter.status}" if letter else "does not exist"
            fail(f"dead letter #{letter_id} {state}", EXIT_NOT_FOUND)
        letters.append(letter)
    return dead, letters


def _letter_row(letter) -> dict:
    return {
        "id": letter.id,
        "failed_at": f"{letter.failed_at:%Y-%m-%d %H:%M:%S}",
        "event": f"{letter.source}:{letter.event_type}",
        "event_id": letter.event_id,
        "client_id": letter.client_id or "-",
        "attempts": letter.attempts,
        "status": letter.status,
        "error": letter.error,
    }


@webhooks_dead_letter.command("list")
@click.option("--client", "client_id", help="Only this client's events.")
@click.option(
    "--status",
    type=click.Choice(["open", "retried", "discarded", "all"]),
    default="open",
    show_default=True,
)
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def webhooks_dead_letter_list(client_id: str | None, status: str, as_json: bool) -> None:
    """Letters, oldest first (bodies are shown by `show`)."""
    from tiktok_pipelines.stores.events import EventDeadLetter

    letters = EventDeadLetter(_db()).list(None if status == "all" else status, client_id=client_id)
    if as_json:
        click.echo(json.dumps([_letter_row(letter) for letter in letters], indent=2))
    elif not letters:
        click.echo("the webhook dead letter is empty" if status == "open" else "no letters")
    else:
        _table(
            [_letter_row(letter) for letter in letters],
            ("id", "failed_at", "event", "event_id", "client_id", "attempts", "status", "error"),
            80,
        )


_SECRET_FIELDS = {"key", "appkey", "apptoken", "token", "secret", "password"}


def _shown_body(body: str) -> str:
    """An event body with secret-looking values masked (a VTEX hook's `Origin.Key` is the app key)."""

    def mask(value):
        if isinstance(value, dict):
            return {k: "***" if k.lower() in _SECRET_FIELDS else mask(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mask(v) for v in value]
        return value

    try:
        return json.dumps(mask(json.loads(body.removeprefix("\ufeff"))), ensure_ascii=False)
    except ValueError:
        return body


@webhooks_dead_letter.command("show")
@click.argument("letter_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def webhooks_dead_letter_show(letter_id: int, as_json: bool) -> None:
    """One letter: the event, why it failed and where, and its body."""
    from tiktok_pipelines.stores.events import EventDeadLetter

    letter = EventDeadLetter(_db()).get(letter_id)
    if letter is None:
        fail(f"dead letter #{letter_id} does not exist", EXIT_NOT_FOUND)
    if as_json:
        click.echo(json.dumps({**vars(letter), "body": _shown_body(letter.body)}, indent=2, default=str))
        return
    for name in ("id", "status", "source", "event_type", "event_id", "routing_key", "client_id", "attempts"):
        click.echo(f"{name}: {getattr(letter, name)}")
    for name in ("received_at", "sent_at", "failed_at", "resolved_at"):
        click.echo(f"{name}: {getattr(letter, name) or '-'}")
    click.echo(f"error: {letter.error}")
    if letter.trace:
        click.echo("trace:\n" + letter.trace.rstrip())
    click.echo("body:\n" + _shown_body(letter.body))


@webhooks_dead_letter.command("retry")
@click.argument("letter_ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help="Every open letter (of --client).")
@click.option("--client", "client_id", help="With --all: only this client's letters.")
@handle_errors
def webhooks_dead_letter_retry(letter_ids: tuple[int, ...], every: bool, client_id: str | None) -> None:
    """Put events back on the event queue (TIKTOK_PIPELINES_QUEUE): the sensor handles them again within
    a tick, and one that fails again on every attempt comes back here."""
    from tiktok_pipelines.defs.resources.queue import event_queue_from_settings

    dead, letters = _dead_letters(letter_ids, every, client_id)
    if letters:
        event_queue_from_settings(Settings.load()).requeue([letter.event() for letter in letters])
        dead.resolve([letter.id for letter in letters], "retried")
    click.echo(f"{len(letters)} event(s) back on the queue")


@webhooks_dead_letter.command("discard")
@click.argument("letter_ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help="Every open letter (of --client).")
@click.option("--client", "client_id", help="With --all: only this client's letters.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@handle_errors
def webhooks_dead_letter_discard(
    letter_ids: tuple[int, ...], every: bool, client_id: str | None, yes: bool
) -> None:
    """Give up on events: the letters are closed (and kept, as `discarded`)."""
    dead, letters = _dead_letters(letter_ids, every, client_id)
    if letters and not yes and not click.confirm(f"discard {len(letters)} event(s)?"):
        fail("not confirmed", EXIT_INVALID)
    dead.resolve([letter.id for letter in letters], "discarded")
    click.echo(f"{len(letters)} event(s) discarded")


# ---------------------------------------------------------------- analytics
@main.command("sql")
@click.argument("query", required=False)
@click.option(
    "-f",
    "--file",
    "sql_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read the SQL from this file ('-' for standard input).",
)
@click.option("--csv", "output", flag_value="csv", help="Print CSV (every row).")
@click.option("--json", "output", flag_value="json", help="Print a JSON array of objects (every row).")
@click.option(
    "--max-rows",
    default=200,
    show_default=True,
    type=click.IntRange(min=1),
    help="Rows printed as a table; --csv and --json print them all.",
)
@click.option(
    "--database",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The DuckDB file (default: the published one, TIKTOK_PIPELINES_ANALYTICS_DB).",
)
@handle_errors
def sql(
    query: str | None, sql_file: Path | None, output: str | None, max_rows: int, database: Path | None
) -> None:
    """Run SQL read-only on the published analytics database and print the result.

    QUERY is the SQL; give '-' (or nothing, with input piped in) to read it from standard input, or
    --file. Timestamps print in UTC. Tables and example queries: docs/analytics.md.
    """
    import duckdb

    from tiktok_pipelines.analytics.publish import DatabaseNotFound, open_published
    from tiktok_pipelines.analytics.sql_output import write_result

    if query is not None and sql_file is not None:
        fail("give the SQL either as an argument or with --file, not both", EXIT_INVALID)
    if sql_file is not None and str(sql_file) != "-":
        if not sql_file.is_file():
            fail(f"no SQL file at {sql_file}", EXIT_NOT_FOUND)
        text = sql_file.read_text(encoding="utf-8")
    elif query == "-" or str(sql_file) == "-" or (query is None and not sys.stdin.isatty()):
        text = sys.stdin.read()
    else:
        text = query or ""
    if not text.strip():
        fail("no SQL given: pass a query, --file, or pipe SQL on standard input", EXIT_INVALID)

    path = database or Settings.load().analytics_db_path
    try:
        con = open_published(path)
    except DatabaseNotFound as exc:
        fail(str(exc), EXIT_NOT_FOUND)
    except duckdb.Error as exc:
        fail(f"cannot open {path}: {exc}", 1)
    try:
        result = con.execute(text)
        write_result(result, output or "table", max_rows, click.get_text_stream("stdout"))
    except duckdb.InvalidInputException as exc:
        if "read-only" in str(exc):
            fail(
                f"the analytics database is read-only (it is rebuilt by the analytics assets): {exc}",
                EXIT_INVALID,
            )
        fail(str(exc), EXIT_INVALID)
    except (duckdb.ProgrammingError, duckdb.DataError) as exc:
        fail(str(exc), EXIT_INVALID)
    except duckdb.Error as exc:
        fail(str(exc), 1)
    finally:
        con.close()


# ---------------------------------------------------------------- sandbox
@main.group()
def vtex() -> None:
    """VTEX store set-up for a client."""


@vtex.command("hook")
@click.argument("client_id")
@click.option(
    "--receiver-url", required=True, help="Public base URL of the receiver, e.g. https://hooks.example.com"
)
@handle_errors
def vtex_hook(client_id: str, receiver_url: str) -> None:
    """Point the client's VTEX order hook at the receiver (order status changes, with the shared secret)."""
    from tiktok_pipelines.defs.resources.vtex import Vtex
    from tiktok_pipelines.lanes.onboarding import configure_vtex_order_hook
    from tiktok_pipelines.stores.db import open_state_db
    from tiktok_pipelines.stores.registry import ClientRegistry
    from tiktok_pipelines.vtex.client import VtexError

    settings = Settings.load()
    secret = settings.require("TIKTOK_PIPELINES_VTEX_WEBHOOK_SECRET")
    client = ClientRegistry(open_state_db(settings)).get(client_id)
    try:
        with Vtex.from_settings(settings).client_for(client) as api:
            url = configure_vtex_order_hook(api, receiver_url, secret)
    except VtexError as exc:
        fail(f"VTEX refused the hook: {exc}", 1)
    click.echo(f"VTEX order hook of {client_id} now posts to {url}")


@main.group()
def events() -> None:
    """The event log: every webhook and notification received, and what was done about it."""


@events.command("list")
@click.option("--client", "client_id", help="Only this client's events.")
@click.option("--status", type=click.Choice(["pending", "handled", "ignored", "failed"]))
@click.option("--type", "event_type", help="Only this event type (e.g. 1, 36, vtex:order_hook).")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def events_list(
    client_id: str | None, status: str | None, event_type: str | None, limit: int, as_json: bool
) -> None:
    """The most recent events, newest first (bodies are not printed)."""
    import sqlalchemy as sa

    from tiktok_pipelines.stores.db import open_state_db
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
    with open_state_db(Settings.load()).read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        click.echo("no events")
        return
    for r in rows:
        click.echo(
            f"{r['received_at']:%Y-%m-%d %H:%M:%S}  {r['source']}:{r['event_type']:<16} "
            f"{r['client_id'] or '-':<12} {r['action']:<22} {r['status']:<8} {r['keys'] or ''}"
            + (f"  skew: {r['skew_seconds']:.0f} s" if r["skew_seconds"] is not None else "")
            + (f"  error: {r['error']}" if r["error"] else "")
        )


@main.group()
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
        "tiktok_status": record.tiktok_status,
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
@handle_errors
def orders_list(client_id: str, only_failed: bool, state: str | None, as_json: bool) -> None:
    """The client's orders, oldest change first."""
    from tiktok_pipelines.stores.orders import OrderStore

    db = _db()
    store, client_id = OrderStore(db), _client_id(db, client_id)
    records = store.given_up(client_id) if only_failed else store.all(client_id)
    rows = [
        _order_row(r) for r in sorted(records, key=lambda r: r.updated_at) if not state or r.state == state
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif not rows:
        click.echo("no orders" + (" waiting for a person" if only_failed else ""))
    else:
        _table(
            rows,
            ("order_id", "state", "tiktok_status", "vtex_order_id", "attempts", "updated_at", "last_error"),
        )


@orders.command("show")
@click.argument("client_id")
@click.argument("order_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def orders_show(client_id: str, order_id: str, as_json: bool) -> None:
    """One order: its states, its lines with the VTEX SKU each goes to VTEX as, its claim and last error."""
    from tiktok_pipelines.core.sku_ids import sku_id_map
    from tiktok_pipelines.defs.resources import build_resources
    from tiktok_pipelines.stores.orders import OrderStore

    db = _db()
    client = _registry().get(client_id)
    store = OrderStore(db)
    record = store.get(client.client_id, order_id)
    if record is None:
        fail(f"{client_id} has no order {order_id}", EXIT_NOT_FOUND)
    try:
        ids = sku_id_map(build_resources(Settings.load())["lake"], client.client_id, client.options)
    except ValueError as exc:
        fail(str(exc), EXIT_INVALID)
    detail = store.detail(record) or {}
    report = _order_row(record)
    report["lines"] = [
        {
            "seller_sku": line.get("seller_sku"),
            "vtex_sku_id": ids.vtex_id(str(line.get("seller_sku") or "")),
            "sale_price": line.get("sale_price"),
            "status": line.get("display_status"),
            "package_id": line.get("package_id"),
        }
        for line in detail.get("line_items") or []
    ]
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    for key, value in report.items():
        if key != "lines":
            click.echo(f"{key + ':':<18}{'' if value is None else value}")
    click.echo("lines:")
    if report["lines"]:
        _table(report["lines"], ("seller_sku", "vtex_sku_id", "sale_price", "status", "package_id"))


@orders.command("reprocess")
@click.argument("client_id")
@click.argument("order_ids", nargs=-1)
@click.option("--all-failed", is_flag=True, help="Every order of the client no run retries.")
@handle_errors
def orders_reprocess(client_id: str, order_ids: tuple[str, ...], all_failed: bool) -> None:
    """Send failed orders again: the next orders run fetches them from TikTok anew and places them (an
    attempt that may have reached VTEX is looked up there first)."""
    from tiktok_pipelines.stores.orders import OrderStore

    db = _db()
    client_id = _client_id(db, client_id)
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


@main.group()
def fulfilment() -> None:
    """Invoices sent to TikTok, packages shipped, and what could not be done."""


@fulfilment.command("status")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def fulfilment_status(client_id: str, as_json: bool) -> None:
    """Uploads and shipments by status, and the open dead letters (oldest first) of a client."""
    from collections import Counter

    from tiktok_pipelines.stores.db import open_state_db
    from tiktok_pipelines.stores.fulfilment import FulfilmentStore

    _registry().get(client_id)
    store = FulfilmentStore(open_state_db(Settings.load()))
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
@handle_errors
def fulfilment_resolve(client_id: str, letter_id: int) -> None:
    """Close a dead letter dealt with by hand (e.g. the NF-e uploaded in Seller Center)."""
    from tiktok_pipelines.stores.db import open_state_db
    from tiktok_pipelines.stores.fulfilment import FulfilmentStore

    _registry().get(client_id)
    if not FulfilmentStore(open_state_db(Settings.load())).resolve_by_hand(client_id, letter_id):
        fail(f"{client_id} has no open dead letter #{letter_id}", 3)
    click.echo(f"dead letter #{letter_id} of {client_id} closed")


@main.group()
def sandbox() -> None:
    """Local emulators of the feed server, TikTok Shop and VTEX."""


def sandbox_options(fn: Callable) -> Callable:
    for opt in reversed(
        [
            click.option("--host", default="127.0.0.1", show_default=True),
            click.option("--feeds-port", default=8701, show_default=True),
            click.option("--tiktok-port", default=8702, show_default=True),
            click.option("--vtex-port", default=8703, show_default=True),
            click.option(
                "--receiver-port", default=8700, show_default=True, help="Port of the project's receiver."
            ),
            click.option("--products", default=120, show_default=True, help="Products in the demo catalog."),
            click.option("--seed", default=42, show_default=True, help="Seed of the generated catalog."),
        ]
    ):
        fn = opt(fn)
    return fn


def _sandbox_config(**kw: Any):
    from tiktok_pipelines.sandbox.world import SandboxConfig

    return SandboxConfig(
        host=kw["host"],
        feeds_port=kw["feeds_port"],
        tiktok_port=kw["tiktok_port"],
        vtex_port=kw["vtex_port"],
        receiver_port=kw["receiver_port"],
        products=kw["products"],
        seed=kw["seed"],
    )


@sandbox.command("up")
@sandbox_options
def sandbox_up(**kw: Any) -> None:
    """Serve the sandbox emulators on loopback until Ctrl-C."""
    from tiktok_pipelines.sandbox.server import run_servers
    from tiktok_pipelines.sandbox.world import SandboxWorld

    world = SandboxWorld(_sandbox_config(**kw))
    for served in world.apps():
        click.echo(f"sandbox {served.name}: {world.config.url(served.port)}")
    click.echo(f"demo feed: {world.demo_client_fields()['feed_url']}")
    click.echo(f"TikTok consent redirects to {world.urls()['receiver']}/oauth/tiktok/callback")
    run_servers(world.apps(), host=kw["host"], log_level="warning")


# ---------------------------------------------------------------- demo
@main.group()
def demo() -> None:
    """The demo: the sandbox, a demo client and the Dagster UI."""


@demo.command("setup")
@sandbox_options
@handle_errors
def demo_setup(**kw: Any) -> None:
    """Register (or refresh) the demo client and its partition, pointed at the sandbox, have the sandbox
    ERP invoice orders by itself, and authorize its sandbox TikTok shop (consent, OAuth callback, token
    exchange); the sandbox must be up."""
    from tiktok_pipelines.sandbox.demo import authorize_demo_client, automate_demo_erp, setup_demo_client

    config = _sandbox_config(**kw)
    client_id = setup_demo_client(config)
    click.echo(
        f"demo client {client_id} is registered, its partition exists, and its catalog mapping (categories, "
        "attribute values, certificates) is set for the sandbox store"
    )
    automate_demo_erp(config)
    click.echo("the sandbox VTEX store's ERP now invoices orders by itself (docs/fulfilment.md)")
    try:
        report = authorize_demo_client(config)
    except RuntimeError as exc:
        fail(str(exc), 1)
    click.echo(
        f"demo client {client_id} authorized its sandbox TikTok shop"
        if client_id in report.associated
        else f"demo client {client_id} could not be authorized: {report.codes_failed or 'no code received'}"
    )


@demo.command("run")
@sandbox_options
@click.option("--dagster-port", default=3000, show_default=True)
@click.option(
    "--walk-seconds",
    default=20.0,
    show_default=True,
    help="The VTEX store changes the stock or price of 2 SKUs this often (0: never).",
)
@handle_errors
def demo_run(dagster_port: int, walk_seconds: float, **kw: Any) -> None:
    """Start the sandbox, register the demo client and run `dagster dev`; Ctrl-C stops everything."""
    from tiktok_pipelines.sandbox.demo import run_demo

    sys.exit(run_demo(_sandbox_config(**kw), dagster_port=dagster_port, walk_seconds=walk_seconds))


if __name__ == "__main__":
    main()
