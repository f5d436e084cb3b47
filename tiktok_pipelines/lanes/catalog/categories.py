"""TikTok categories for the client's products: the tree, the mapping, suggestions, and leaf rules.

The tree and each leaf's rules and attributes are cached in the state DB and fetched again when older
than a week (or when a leaf is used for the first time). Suggestions are made once per category
source value and wait for a data engineer's review (`tiktok-pipelines categories ...`); only accepted
mappings publish.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tiktok_pipelines.channels.tiktok_shop.categories import (
    CategorySource,
    resolve_category,
    suggestion_source,
    text_match,
)
from tiktok_pipelines.channels.tiktok_shop.client import RateLimitedError, TikTokShopClient, TikTokShopError
from tiktok_pipelines.channels.tiktok_shop.listing import CategoryChoice
from tiktok_pipelines.stores.catalog import CategoryMapping, CategoryStore, LeafRules, TikTokCategory

CACHE_MAX_AGE = timedelta(days=7)


@dataclass
class ProductCategories:
    """A product's category sources and a sample of its text (for TikTok's recommendation)."""

    product_key: str
    sources: list[CategorySource]
    title: str
    description: str | None = None


def refresh_tree(
    shop: TikTokShopClient, store: CategoryStore, client_id: str, now: datetime, force: bool = False
) -> int:
    """Fetches TikTok's category tree when the cached one is older than a week; returns nodes stored."""
    fetched_at = store.tree_fetched_at(client_id)
    if not force and fetched_at is not None and now - fetched_at < CACHE_MAX_AGE:
        return 0
    return store.replace_tree(client_id, shop.get_categories())


def usable_leaves(tree: Mapping[str, TikTokCategory]) -> dict[str, str]:
    """Leaves the shop may list in: id → path."""
    return {c.category_id: c.path for c in tree.values() if c.is_leaf and c.permitted}


def leaf_problem(tree: Mapping[str, TikTokCategory], leaf_id: str) -> str | None:
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
    shop: TikTokShopClient,
    store: CategoryStore,
    client_id: str,
    products: Iterable[ProductCategories],
    accepted: Mapping[tuple[str, str], str],
    existing: Mapping[tuple[str, str], CategoryMapping],
    tree: Mapping[str, TikTokCategory],
    max_calls: int,
) -> SuggestionReport:
    """A suggestion for each category source value whose products have no accepted mapping and that has
    no mapping row yet: TikTok's recommendation for a sample product, else a text match."""
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
            try:
                answer = shop.recommend_category(sample.title, sample.description)
                candidate = str(answer.get("leaf_category_id") or "")
                if candidate and candidate in leaves:
                    leaf, origin = candidate, "recommend"
            except RateLimitedError:
                report.failed.append(f"{source.kind} {source.value}: rate limited")
                continue  # no row: asked again next run
            except TikTokShopError as exc:
                report.failed.append(f"{source.kind} {source.value}: {exc.code} {exc.message}")
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
    shop: TikTokShopClient,
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
        try:
            rules = shop.get_category_rules(leaf)
            attributes = shop.get_category_attributes(leaf)
        except TikTokShopError as exc:
            errors[leaf] = f"{exc.code}: {exc.message}"
            continue
        store.save_rules(client_id, leaf, rules, attributes)
        fetched += 1
    return fetched, errors


class CategoryResolver:
    """A product's leaf, with its rules, from the accepted mapping; or the reason there is none."""

    def __init__(
        self,
        client_id: str,
        mappings: Iterable[CategoryMapping],
        tree: Mapping[str, TikTokCategory],
        rules: Mapping[str, LeafRules],
    ):
        self.client_id = client_id
        self.mappings = {(m.source_kind, m.source_value): m for m in mappings}
        self.accepted = {
            k: m.tiktok_category_id
            for k, m in self.mappings.items()
            if m.status == "accepted" and m.tiktok_category_id
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
        if mapping is not None and mapping.status == "suggested" and mapping.tiktok_category_id:
            path = self.tree.get(mapping.tiktok_category_id)
            return (
                f"{where} is not mapped; suggested TikTok category {mapping.tiktok_category_id}"
                + (f" ({path.path})" if path else "")
                + f": accept it with `tiktok-pipelines categories accept {self.client_id} {source.kind} '{source.value}'`"
            )
        return (
            f"{where} is not mapped to a TikTok category: map it with "
            f"`tiktok-pipelines categories set {self.client_id} {source.kind} '{source.value}' <category id>`"
        )


def mapping_rows(
    mappings: Iterable[CategoryMapping], tree: Mapping[str, TikTokCategory]
) -> list[dict[str, Any]]:
    """The mapping as rows for a preview or a listing."""
    rows = []
    for m in mappings:
        node = tree.get(m.tiktok_category_id or "")
        rows.append(
            {
                "source": m.source_kind,
                "value": m.source_value,
                "label": m.source_label,
                "products": m.products,
                "status": m.status,
                "tiktok_category_id": m.tiktok_category_id,
                "tiktok_path": node.path if node else None,
                "origin": m.origin,
                "score": m.score,
            }
        )
    return rows
