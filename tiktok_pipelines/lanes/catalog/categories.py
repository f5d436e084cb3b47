"""A channel's categories for the client's products: the tree, the mapping, suggestions, and leaf rules.

The tree and each leaf's rules and attributes are cached in the state DB and fetched again when older
than a week (or when a leaf is used for the first time). Suggestions are made once per category
source value and wait for a data engineer's review (`tiktok-pipelines categories ...`); only accepted
mappings publish.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tiktok_pipelines.channels.base.catalog import CatalogApi
from tiktok_pipelines.core.category_mapping import resolve_category, suggestion_source, text_match
from tiktok_pipelines.core.models.categories import CategoryChoice, CategoryNode, CategorySource
from tiktok_pipelines.lanes.catalog.errors import CatalogRunError
from tiktok_pipelines.lanes.catalog.io import CatalogStores, Lake, SessionOpener
from tiktok_pipelines.lanes.catalog.products import (
    ProductCategories,
    VtexIndex,
    iter_products,
    product_categories,
)
from tiktok_pipelines.stores.catalog import CategoryMapping, CategoryStore, LeafRules
from tiktok_pipelines.stores.db import utcnow
from tiktok_pipelines.stores.registry import Client

CACHE_MAX_AGE = timedelta(days=7)


def refresh_tree(
    catalog: CatalogApi, store: CategoryStore, client_id: str, now: datetime, force: bool = False
) -> int:
    """Fetches the channel's category tree when the cached one is older than a week; returns nodes stored."""
    fetched_at = store.tree_fetched_at(client_id)
    if not force and fetched_at is not None and now - fetched_at < CACHE_MAX_AGE:
        return 0
    return store.replace_tree(client_id, catalog.category_tree())


def usable_leaves(tree: Mapping[str, CategoryNode]) -> dict[str, str]:
    """Leaves the shop may list in: id → path."""
    return {c.category_id: c.path for c in tree.values() if c.is_leaf and c.permitted}


def leaf_problem(tree: Mapping[str, CategoryNode], leaf_id: str) -> str | None:
    node = tree.get(leaf_id)
    if node is None:
        return f"TikTok category {leaf_id} is not in TikTok's category tree"
    if not node.is_leaf:
        return f"TikTok category {leaf_id} ({node.path}) is not a leaf category"
    if not node.permitted:
        return f"the shop may not list in TikTok category {leaf_id} ({node.path})"
    return None


@dataclass
class SuggestionReport:
    recommended: int = 0
    text_matched: int = 0
    unmatched: int = 0
    failed: list[str] = field(default_factory=list)
    skipped_for_budget: int = 0


def suggest(
    catalog: CatalogApi,
    store: CategoryStore,
    client_id: str,
    products: Iterable[ProductCategories],
    accepted: Mapping[tuple[str, str], str],
    existing: Mapping[tuple[str, str], CategoryMapping],
    tree: Mapping[str, CategoryNode],
    max_calls: int,
) -> SuggestionReport:
    """A suggestion for each category source value whose products have no accepted mapping and that has
    no mapping row yet: the channel's recommendation for a sample product, else a text match."""
    report = SuggestionReport()
    leaves = usable_leaves(tree)
    groups: dict[tuple[str, str], tuple[CategorySource, ProductCategories, int]] = {}
    for product in products:
        if resolve_category(product.sources, accepted) is not None:
            continue
        source = suggestion_source(product.sources)
        if source is None or source.key in existing:
            continue
        _, sample, n = groups.get(source.key, (source, product, 0))
        groups[source.key] = (source, sample, n + 1)
    calls = 0
    for key, (source, sample, n) in sorted(groups.items(), key=lambda kv: -kv[1][2]):
        leaf, origin, score = None, None, None
        if calls < max_calls:
            calls += 1
            answer = catalog.recommend_category(sample.title, sample.description)
            if answer.error is not None:
                report.failed.append(f"{source.kind} {source.value}: {answer.error}")
                if answer.retry_later:
                    continue  # no row: asked again next run
            elif answer.category_id and answer.category_id in leaves:
                leaf, origin = answer.category_id, "recommend"
        else:
            report.skipped_for_budget += 1
        if leaf is None:
            match = text_match(source.label, leaves)
            if match:
                leaf, origin, score = match[0], "text", match[1]
        if leaf is None:
            store.set_mapping(
                client_id,
                *key,
                None,
                status="unmatched",
                origin="text",
                label=source.label,
                sample_title=sample.title,
                products=n,
            )
            report.unmatched += 1
            continue
        store.set_mapping(
            client_id,
            *key,
            leaf,
            status="suggested",
            origin=origin or "text",
            label=source.label,
            score=score,
            sample_title=sample.title,
            products=n,
        )
        if origin == "recommend":
            report.recommended += 1
        else:
            report.text_matched += 1
    return report


def fetch_rules(
    catalog: CatalogApi,
    store: CategoryStore,
    client_id: str,
    leaf_ids: Iterable[str],
    now: datetime,
    force: bool = False,
) -> tuple[int, dict[str, str]]:
    """Rules and attributes of the leaves in use, fetched when missing or older than a week."""
    wanted = sorted(set(leaf_ids))
    cached = store.rules(client_id, wanted)
    fetched, errors = 0, {}
    for leaf in wanted:
        old = cached.get(leaf)
        if not force and old is not None and now - old.fetched_at < CACHE_MAX_AGE:
            continue
        answer = catalog.category_rules(leaf)
        if answer.error is not None:
            errors[leaf] = answer.error
            continue
        store.save_rules(client_id, leaf, dict(answer.rules), list(answer.attributes))
        fetched += 1
    return fetched, errors


class CategoryResolver:
    """A product's leaf, with its rules, from the accepted mapping; or the reason there is none."""

    def __init__(
        self,
        client_id: str,
        mappings: Iterable[CategoryMapping],
        tree: Mapping[str, CategoryNode],
        rules: Mapping[str, LeafRules],
    ):
        self.client_id = client_id
        self.mappings = {(m.source_kind, m.source_value): m for m in mappings}
        self.accepted = {
            k: m.channel_category_id
            for k, m in self.mappings.items()
            if m.status == "accepted" and m.channel_category_id
        }
        self.tree = tree
        self.rules = rules

    def choose(self, sources: list[CategorySource]) -> tuple[CategoryChoice, CategorySource | None]:
        found = resolve_category(sources, self.accepted)
        if found is None:
            return CategoryChoice(None, problem=self._unmapped(sources)), suggestion_source(sources)
        source, leaf = found
        problem = leaf_problem(self.tree, leaf) if self.tree else None
        if problem:
            return CategoryChoice(
                None, problem=f"{problem} (mapped from {source.kind} {source.value!r})"
            ), source
        leaf_rules = self.rules.get(leaf)
        if leaf_rules is None:
            return (
                CategoryChoice(
                    None, problem=f"rules of TikTok category {leaf} are not fetched yet (tiktok_categories)"
                ),
                source,
            )
        return CategoryChoice(leaf, leaf_rules.rules, leaf_rules.attributes), source

    def _unmapped(self, sources: list[CategorySource]) -> str:
        source = suggestion_source(sources)
        if source is None:
            return "the product has no category (no product_type, google_product_category or VTEX category)"
        mapping = self.mappings.get(source.key)
        where = f"{source.kind} {source.value!r}"
        if mapping is not None and mapping.status == "suggested" and mapping.channel_category_id:
            path = self.tree.get(mapping.channel_category_id)
            return (
                f"{where} is not mapped; suggested TikTok category {mapping.channel_category_id}"
                + (f" ({path.path})" if path else "")
                + f": accept it with `tiktok-pipelines categories accept {self.client_id} {source.kind} '{source.value}'`"
            )
        return (
            f"{where} is not mapped to a TikTok category: map it with "
            f"`tiktok-pipelines categories set {self.client_id} {source.kind} '{source.value}' <category id>`"
        )


def mapping_rows(
    mappings: Iterable[CategoryMapping], tree: Mapping[str, CategoryNode]
) -> list[dict[str, Any]]:
    """The mapping as rows for a preview or a listing."""
    rows = []
    for m in mappings:
        node = tree.get(m.channel_category_id or "")
        rows.append(
            {
                "source": m.source_kind,
                "value": m.source_value,
                "label": m.source_label,
                "products": m.products,
                "status": m.status,
                "channel_category_id": m.channel_category_id,
                "channel_path": node.path if node else None,
                "origin": m.origin,
                "score": m.score,
            }
        )
    return rows


@dataclass
class CategoriesRun:
    """What `map_categories` did."""

    nodes_fetched: int
    tree: dict[str, CategoryNode]
    leaves: set[str]  # leaves in use
    rules_fetched: int
    rule_errors: dict[str, str]  # leaf → why its rules could not be read
    suggestions: SuggestionReport
    mapped: int  # products with a leaf (and its rules)
    unmapped_reasons: Counter  # why the others have none → how many
    rows: list[dict[str, Any]]  # the mapping, suggestions awaiting review first
    calls: dict[str, int]

    @property
    def unmapped(self) -> int:
        return sum(self.unmapped_reasons.values())

    @property
    def pending(self) -> int:
        return sum(1 for r in self.rows if r["status"] == "suggested")


def map_categories(
    client: Client, stores: CatalogStores, lake: Lake, open_session: SessionOpener, refresh: bool = False
) -> CategoriesRun:
    """The channel's tree (cached a week; `refresh` forces it), suggestions for the category values of the
    feed with no mapping yet, and the rules of every leaf in use (cached a week)."""
    client_id = client.client_id
    vtex_index = VtexIndex(lake.read_table("vtex_catalog", client_id))
    try:
        with lake.local_copy("feed_products", client_id) as feed_path:
            infos = [product_categories(p) for p in iter_products(feed_path, vtex_index)]
    except KeyError:
        raise CatalogRunError("no feed_products table yet: materialize feed_xml and feed_products") from None
    store = stores.categories
    now = utcnow()
    with open_session(client_id) as session:
        nodes = refresh_tree(session, store, client_id, now, force=refresh)
        tree = store.tree(client_id)
        mappings = store.mappings(client_id)
        existing = {(m.source_kind, m.source_value): m for m in mappings}
        resolver = CategoryResolver(client_id, mappings, tree, {})
        report = suggest(
            session,
            store,
            client_id,
            infos,
            resolver.accepted,
            existing,
            tree,
            int(client.option("category_suggestions_per_run")),
        )
        leaves: set[str] = set()
        counts: Counter = Counter()
        for info in infos:
            _, source = resolver.choose(info.sources)
            if source is not None:
                counts[source.key] += 1
            found = resolve_category(info.sources, resolver.accepted)
            if found is not None and leaf_problem(tree, found[1]) is None:
                leaves.add(found[1])
        fetched, errors = fetch_rules(session, store, client_id, leaves, now, force=refresh)
        calls = session.call_counts()
    store.update_counts(client_id, dict(counts))
    resolver = CategoryResolver(client_id, store.mappings(client_id), tree, store.rules(client_id, leaves))
    mapped = 0
    problems: Counter = Counter()
    for info in infos:
        choice, _ = resolver.choose(info.sources)
        if choice.leaf_id:
            mapped += 1
        else:
            problems[choice.problem or "?"] += 1
    rows = sorted(
        mapping_rows(store.mappings(client_id), tree),
        key=lambda r: (r["status"] != "suggested", r["status"] != "unmatched", -r["products"]),
    )
    return CategoriesRun(nodes, tree, leaves, fetched, errors, report, mapped, problems, rows, calls)
