"""The catalog on TikTok: what changed in the feed, VTEX enrichment, brands, categories, and listings.

feed_products ─▶ feed_diff ─▶ vtex_catalog ─▶ tiktok_brands ──────┐
                    │                    └──▶ tiktok_categories ─┴─▶ tiktok_listings
                    └─ checks: feed not empty, shrink guard, unique seller SKUs, prices > 0 (blocking)
"""

import functools
import time
from collections import Counter
from collections.abc import Iterable
from contextlib import ExitStack, contextmanager
from itertools import chain

import dagster as dg
import httpx
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from tiktok_pipelines.channels.tiktok_shop.brands import brand_names, resolve_brands
from tiktok_pipelines.channels.tiktok_shop.categories import resolve_category
from tiktok_pipelines.channels.tiktok_shop.client import AuthError, TikTokShopError
from tiktok_pipelines.core.catalog_diff import (
    diff_catalogs,
    product_hashes_of_parquet,
    product_hashes_of_table,
)
from tiktok_pipelines.core.tables import (
    FEED_DIFF,
    LISTING_PROBLEMS,
    LISTINGS,
    SYNC_LOG,
    VTEX_CATALOG,
)
from tiktok_pipelines.defs.catalog.feed import feed_products
from tiktok_pipelines.defs.checks import client_check, client_check_result
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.defs.resources.feeds import FeedDownloader
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.defs.resources.storage import ParquetLake
from tiktok_pipelines.defs.resources.tiktok_shop import TikTokShop
from tiktok_pipelines.defs.resources.vtex import Vtex
from tiktok_pipelines.lanes.catalog.categories import (
    CategoryResolver,
    fetch_rules,
    leaf_problem,
    mapping_rows,
    refresh_tree,
    suggest,
)
from tiktok_pipelines.lanes.catalog.images import ImageUploader
from tiktok_pipelines.lanes.catalog.listings import (
    DraftSummary,
    ListingPublisher,
    PublishReport,
    PushResult,
    is_live,
    plan_listings,
    shrink_share,
)
from tiktok_pipelines.lanes.catalog.products import (
    DraftBuilder,
    VtexIndex,
    iter_products,
    product_categories,
)
from tiktok_pipelines.lanes.tokens import TikTokNotAuthorizedError
from tiktok_pipelines.partitions import clients_partitions
from tiktok_pipelines.stores.catalog import (
    AttributeRuleStore,
    BrandMap,
    CategoryStore,
    ImageStore,
    ShrinkGuardStore,
)
from tiktok_pipelines.stores.db import utcnow
from tiktok_pipelines.stores.listings import ListingMap
from tiktok_pipelines.stores.registry import Client
from tiktok_pipelines.vtex.enrichment import (
    FeedSku,
    cached_skus,
    plan_refresh,
    refresh,
    weight_mismatches,
)

# Every catalog asset: one partition per client, in the catalog group.
_catalog_asset = functools.partial(
    dg.asset, partitions_def=clients_partitions, group_name="catalog", code_version="1"
)

PUSH_CHUNK = 500  # products built and pushed at a time: a large first publication stays in bounded memory


def _feed_table(lake: ParquetLake, client_id: str, columns: list[str] | None = None) -> pa.Table:
    table = lake.read_table("feed_products", client_id, columns=columns)
    if table is None:
        raise dg.Failure(
            description="no feed_products table yet: materialize feed_xml and feed_products first"
        )
    return table


@contextmanager
def _shop(tiktok: TikTokShop, client_id: str, context: dg.AssetExecutionContext):
    try:
        with tiktok.shop(client_id, logger=context.log) as shop:
            yield shop
    except TikTokNotAuthorizedError as exc:
        raise dg.Failure(description=str(exc)) from None


def _preview(rows: Iterable[dict], columns: list[str], limit: int = 10, width: int = 80) -> dg.MetadataValue:
    return md(markdown_table(rows, columns, limit=limit, width=width))


# ---------------------------------------------------------------- feed_diff
class FeedDiffConfig(dg.Config):
    confirm_shrink_snapshot: str | None = Field(
        default=None,
        description="Confirms that this feed snapshot (its hash, or the first 12+ characters of it) really is "
        "the catalog, so the deletions the shrink guard held back may go ahead.",
    )


CHECK_SPECS = [
    client_check(
        "feed_not_empty",
        "feed_diff",
        "The feed has at least one usable item: an empty feed would delete every listing.",
        blocking=True,
    ),
    client_check(
        "shrink_guard",
        "feed_diff",
        "No more than the client's `max_delete_share` (default 20 %) of listed products would be "
        "deleted, unless a data engineer confirmed this snapshot (`tiktok-pipelines catalog confirm-shrink`).",
        blocking=True,
    ),
    client_check(
        "unique_seller_skus",
        "feed_diff",
        "No two items share a seller SKU (ignoring case and spaces): stock, prices and orders "
        "find a SKU by it.",
        blocking=True,
    ),
    client_check(
        "prices_positive",
        "feed_diff",
        "Every price and sale price is above zero. Items that are not are held back; above the "
        "client's `max_bad_price_share` (default 1 %) the feed is taken as broken and nothing is pushed.",
        blocking=True,
    ),
]


@_catalog_asset(
    deps=[feed_products],
    kinds={"parquet"},
    check_specs=CHECK_SPECS,
)
def feed_diff(
    context: dg.AssetExecutionContext, config: FeedDiffConfig, state: StateStore, lake: ParquetLake
) -> dg.MaterializeResult:
    """Products (feed items grouped by `g:item_group_id`) that are new, changed, removed or unchanged
    between what was last published on TikTok (the feed hash recorded per product at its last successful
    push) and the current feed, by content hash. Lake table `feed_diff`. Its blocking checks stop the
    push of a feed that is empty, would delete too much, repeats seller SKUs or has broken prices."""
    client = state.registry.get(context.partition_key)
    client_id = client.client_id
    snapshot = state.feeds.current(client_id)
    if snapshot is None:
        raise dg.Failure(description="no accepted feed snapshot yet: materialize feed_xml and feed_products")
    table = _feed_table(
        lake, client_id, ["seller_sku", "item_group_id", "content_hash", "price", "sale_price"]
    )
    current = product_hashes_of_table(table)
    listings = ListingMap(state.db)
    listed = listings.products(client_id)
    payloads = listings.payload_states(client_id)
    live = {k: p for k, p in listed.items() if is_live(p)}
    published = {k: (payloads[k].source_hash if k in payloads else None) or "" for k in live}
    diff = diff_catalogs(published, {k: h.hash for k, h in current.items()})

    checks = [
        _check_not_empty(client_id, table.num_rows, len(current)),
        _check_shrink(state, client, snapshot.content_hash, len(diff.removed), len(live), config),
        _check_unique_skus(client_id, table.column("seller_sku").to_pylist()),
        _check_prices(client, table),
    ]

    statuses = diff.status_of()
    with lake.writer("feed_diff", client_id, FEED_DIFF) as writer:
        for key in sorted(statuses):
            hashed = current.get(key)
            product = listed.get(key)
            writer.append(
                {
                    "client_id": client_id,
                    "product_key": key,
                    "status": statuses[key],
                    "seller_skus": list(hashed.seller_skus) if hashed else [],
                    "product_hash": hashed.hash if hashed else None,
                    "published_hash": published.get(key) or None,
                    "tiktok_product_id": product.tiktok_product_id if product else None,
                    "snapshot_hash": snapshot.content_hash,
                }
            )
    changes = [
        {
            "status": statuses[k],
            "product_key": k,
            "skus": len(current[k].seller_skus) if k in current else 0,
            "tiktok_product_id": listed[k].tiktok_product_id if k in listed else None,
        }
        for k in [*diff.new, *diff.changed, *diff.removed]
    ]
    context.log.info("feed diff for %s: %s", client_id, diff.counts)
    return dg.MaterializeResult(
        metadata={
            **diff.counts,
            "dagster/row_count": len(statuses),
            "products": len(current),
            "items": table.num_rows,
            "listed_on_tiktok": len(live),
            "snapshot_hash": snapshot.content_hash,
            "preview": _preview(changes, ["status", "product_key", "skus", "tiktok_product_id"], limit=15),
        },
        check_results=checks,
        data_version=dg.DataVersion(snapshot.content_hash),
    )


def _check_not_empty(client_id: str, items: int, products: int) -> dg.AssetCheckResult:
    return client_check_result(
        "feed_not_empty",
        client_id,
        passed=items > 0,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"items": items, "products": products},
        description=None if items else "the feed has no usable item: nothing is pushed and nothing deleted",
    )


def _check_shrink(
    state: StateStore, client: Client, snapshot_hash: str, removed: int, listed: int, config: FeedDiffConfig
) -> dg.AssetCheckResult:
    max_share = float(client.option("max_delete_share"))
    share = shrink_share(listed, removed)
    guard = ShrinkGuardStore(state.db)
    metadata: dict = {
        "removed": removed,
        "listed": listed,
        "share": round(share, 4),
        "max_delete_share": max_share,
        "snapshot_hash": snapshot_hash,
    }
    if share <= max_share:
        return client_check_result("shrink_guard", client.client_id, passed=True, metadata=metadata)
    record = guard.record(client.client_id, snapshot_hash, removed, listed)
    wanted = (config.confirm_shrink_snapshot or "").strip()
    if wanted and record.confirmed_at is None:
        if len(wanted) >= 12 and snapshot_hash.startswith(wanted):
            record = guard.confirm(client.client_id, snapshot_hash, "run config of feed_diff") or record
        else:
            metadata["confirmation_ignored"] = f"{wanted!r} is not this snapshot ({snapshot_hash[:12]}…)"
    confirmed = record.confirmed_at is not None
    metadata["confirmed"] = confirmed
    if confirmed:
        metadata["confirmed_by"] = record.confirmed_by or ""
        metadata["confirmed_at"] = record.confirmed_at.isoformat() if record.confirmed_at else ""
    return client_check_result(
        "shrink_guard",
        client.client_id,
        passed=confirmed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
        description=(
            f"confirmed: {removed} of {listed} listed products will be deleted"
            if confirmed
            else f"{removed} of {listed} listed products ({share:.0%}) would be deleted, above the client's "
            f"{max_share:.0%}: nothing is pushed until a data engineer confirms this snapshot with "
            f"`tiktok-pipelines catalog confirm-shrink {client.client_id} --snapshot {snapshot_hash[:12]}` "
            f"(or the feed_diff run config confirm_shrink_snapshot), then runs catalog_job again"
        ),
    )


def _check_unique_skus(client_id: str, seller_skus: list[str]) -> dg.AssetCheckResult:
    counts = Counter(s.strip().casefold() for s in seller_skus)
    duplicates = sorted(k for k, n in counts.items() if n > 1)
    return client_check_result(
        "unique_seller_skus",
        client_id,
        passed=not duplicates,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "items": len(seller_skus),
            "duplicates": len(duplicates),
            "examples": ", ".join(duplicates[:10]),
        },
    )


def _check_prices(client: Client, table: pa.Table) -> dg.AssetCheckResult:
    max_share = float(client.option("max_bad_price_share"))
    bad = [
        sku
        for sku, price, sale in zip(
            table.column("seller_sku").to_pylist(),
            table.column("price").to_pylist(),
            table.column("sale_price").to_pylist(),
            strict=True,
        )
        if price is None or price <= 0 or (sale is not None and sale <= 0)
    ]
    share = len(bad) / table.num_rows if table.num_rows else 0.0
    return client_check_result(
        "prices_positive",
        client.client_id,
        passed=not bad,
        severity=dg.AssetCheckSeverity.ERROR if share > max_share else dg.AssetCheckSeverity.WARN,
        metadata={
            "items": table.num_rows,
            "not_positive": len(bad),
            "share": round(share, 4),
            "max_bad_price_share": max_share,
            "examples": ", ".join(bad[:10]),
        },
    )


# ---------------------------------------------------------------- vtex_catalog
@_catalog_asset(
    deps=[feed_diff],
    kinds={"vtex", "parquet"},
)
def vtex_catalog(
    context: dg.AssetExecutionContext, state: StateStore, lake: ParquetLake, vtex: Vtex
) -> dg.MaterializeResult:
    """VTEX's data for the feed's SKUs (images, package dimensions and weight in the client's
    `vtex_weight_unit`, EAN, brand, category, specifications), refreshed incrementally: new SKUs, SKUs whose
    feed content changed, failed ones, and a slow rotation (`vtex_refresh_days`, at most
    `vtex_refresh_max_per_run` a run). Lake table `vtex_catalog`, one row per seller SKU."""
    client = state.registry.get(context.partition_key)
    client_id = client.client_id
    feed = _feed_table(lake, client_id, ["seller_sku", "link", "content_hash", "shipping_weight_kg"])
    previous = lake.read_table("vtex_catalog", client_id)
    cached = cached_skus(previous)
    now = utcnow()
    try:
        plan = plan_refresh(
            (
                FeedSku(s, link, h)
                for s, link, h in zip(
                    feed.column("seller_sku").to_pylist(),
                    feed.column("link").to_pylist(),
                    feed.column("content_hash").to_pylist(),
                    strict=True,
                )
            ),
            cached,
            now,
            refresh_days=float(client.option("vtex_refresh_days")),
            max_rotation=int(client.option("vtex_refresh_max_per_run")),
            sku_id_source=str(client.option("vtex_sku_id_source")),
        )
        weight_unit = str(client.option("vtex_weight_unit"))
        started = time.monotonic()
        with vtex.client_for(client) as api:
            result = refresh(
                api, plan, weight_unit, now, sales_channel=client.vtex_trade_policy, cached=cached
            )
            requests = dict(api.stats)
    except ValueError as exc:  # a client option with a value the code cannot use
        raise dg.Failure(description=f"client {client_id}: {exc}") from None
    if result.auth_error and len(result.failed) == len(plan.fetch):
        raise dg.Failure(description=f"VTEX refused the client's credentials: {result.auth_error}")
    # Rows not read again are copied in Arrow from the previous table: no Python object per SKU.
    fresh = pa.Table.from_pylist([r.as_row(client_id) for r in result.rows.values()], schema=VTEX_CATALOG)
    parts = [fresh]
    if previous is not None and result.keep:
        kept = previous.filter(pc.is_in(previous["seller_sku"], value_set=pa.array(sorted(result.keep))))
        parts.insert(0, kept.select(VTEX_CATALOG.names).cast(VTEX_CATALOG))
    table = pa.concat_tables(parts).sort_by("seller_sku")
    lake.write_table("vtex_catalog", client_id, table)
    feed_weights = dict(
        zip(feed.column("seller_sku").to_pylist(), feed.column("shipping_weight_kg").to_pylist(), strict=True)
    )
    mismatched = weight_mismatches(result.rows, feed_weights)
    if mismatched:
        context.log.warning(
            "%d SKUs weigh ten times more or less in VTEX than in the feed: check vtex_weight_unit (now %s)",
            len(mismatched),
            weight_unit,
        )
    if result.failed:
        context.log.warning(
            "%d SKUs could not be read from VTEX; they are retried next run", len(result.failed)
        )
    statuses = Counter(table.column("status").to_pylist())
    preview = [
        {
            "seller_sku": sku,
            "status": r.status,
            "brand": r.brand_name,
            "category": r.category_label,
            "weight_kg": r.weight_kg,
            "dims_cm": "x".join(str(v) for v in (r.length_cm, r.width_cm, r.height_cm) if v is not None),
            "images": len(r.image_urls),
            "ean": r.ean,
        }
        for sku, r in sorted(result.rows.items())
        if sku in plan.fetch
    ]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": table.num_rows,
            "fetched": result.fetched,
            "new": plan.reasons["new"],
            "changed": plan.reasons["changed"],
            "retried": plan.reasons["retry"],
            "rotation": plan.reasons["rotation"],
            "kept": len(plan.keep) - plan.reasons["rotation"],
            "failed": len(result.failed),
            "not_found": len(result.not_found),
            "no_vtex_sku_id": len(plan.no_sku_id),
            "dropped": plan.dropped,
            "ok": statuses["ok"],
            "weight_unit": weight_unit,
            "weight_unit_suspects": len(mismatched),
            "vtex_requests": int(requests.get("requests", 0)),
            "vtex_retries": int(requests.get("retries", 0)),
            "seconds": round(time.monotonic() - started, 2),
            "preview": _preview(
                preview,
                ["seller_sku", "status", "brand", "category", "weight_kg", "dims_cm", "images", "ean"],
            ),
            "failures": _preview(
                ({"seller_sku": k, "error": v} for k, v in sorted(result.failed.items())),
                ["seller_sku", "error"],
            ),
        }
    )


# ---------------------------------------------------------------- tiktok_brands
@_catalog_asset(
    deps=[vtex_catalog],
    kinds={"tiktok"},
)
def tiktok_brands(
    context: dg.AssetExecutionContext, state: StateStore, lake: ParquetLake, tiktok: TikTokShop
) -> dg.MaterializeResult:
    """The TikTok brand of every brand in the feed (or in VTEX when the feed names none): looked up by
    name ignoring case and accents, created when missing, and found again when creation answers "This
    brand name already exists.". Kept in the state DB's brand map, so each brand costs calls once."""
    client = state.registry.get(context.partition_key)
    client_id = client.client_id
    feed = _feed_table(lake, client_id, ["seller_sku", "brand"])
    enriched = lake.read_table("vtex_catalog", client_id, columns=["seller_sku", "brand_name"])
    vtex_brands = (
        dict(zip(enriched.column(0).to_pylist(), enriched.column(1).to_pylist(), strict=True))
        if enriched
        else {}
    )
    names = brand_names(
        brand or vtex_brands.get(sku)
        for sku, brand in zip(
            feed.column("seller_sku").to_pylist(), feed.column("brand").to_pylist(), strict=True
        )
    )
    brand_map = BrandMap(state.db)
    known = brand_map.all(client_id)

    def save(result) -> None:
        brand_map.save(
            client_id,
            result.key,
            result.name,
            tiktok_brand_id=result.tiktok_brand_id,
            tiktok_brand_name=result.tiktok_brand_name,
            origin=result.origin,
            error=result.error,
        )

    with _shop(tiktok, client_id, context) as shop:
        report = resolve_brands(shop, names, known, save)
        calls = shop.stats.as_metadata()
    entries = brand_map.all(client_id)
    in_feed = [entries[k] for k in names if k in entries]
    for failure in report.failed:
        context.log.warning("brand %r: %s", failure.name, failure.error)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(names),
            "brands": len(names),
            "mapped": sum(1 for e in in_feed if e.tiktok_brand_id),
            "resolved_now": len(report.results) - len(report.failed),
            "matched": report.count("matched"),
            "created": report.count("created"),
            "already_existed": report.count("exists"),
            "failed": len(report.failed),
            **calls,
            "preview": _preview(
                (
                    {
                        "brand": e.brand_name,
                        "tiktok_brand_id": e.tiktok_brand_id,
                        "tiktok_name": e.tiktok_brand_name,
                        "origin": e.origin,
                        "error": e.last_error,
                    }
                    for e in sorted(in_feed, key=lambda e: (e.tiktok_brand_id is not None, e.brand_key))
                ),
                ["brand", "tiktok_brand_id", "tiktok_name", "origin", "error"],
                limit=20,
            ),
        }
    )


# ---------------------------------------------------------------- tiktok_categories
class CategoriesConfig(dg.Config):
    refresh: bool = Field(
        default=False, description="Fetch TikTok's tree and the leaves' rules now, even if cached this week."
    )


@_catalog_asset(
    deps=[vtex_catalog],
    kinds={"tiktok"},
)
def tiktok_categories(
    context: dg.AssetExecutionContext,
    config: CategoriesConfig,
    state: StateStore,
    lake: ParquetLake,
    tiktok: TikTokShop,
) -> dg.MaterializeResult:
    """TikTok's category tree (cached a week) and the client's mapping from its categories (VTEX category,
    `g:product_type`, `g:google_product_category`, or a single product) to TikTok leaves. Unmapped category
    values get a suggestion (TikTok's recommendation, else a text match) flagged for review: suggestions
    are not published until accepted with `tiktok-pipelines categories accept`. The rules and required
    attributes of every leaf in use are fetched and cached."""
    client = state.registry.get(context.partition_key)
    client_id = client.client_id
    vtex_index = VtexIndex(lake.read_table("vtex_catalog", client_id))
    try:
        with lake.local_copy("feed_products", client_id) as feed_path:
            infos = [product_categories(p) for p in iter_products(feed_path, vtex_index)]
    except KeyError:
        raise dg.Failure(
            description="no feed_products table yet: materialize feed_xml and feed_products"
        ) from None
    store = CategoryStore(state.db)
    now = utcnow()
    with _shop(tiktok, client_id, context) as shop:
        nodes = refresh_tree(shop, store, client_id, now, force=config.refresh)
        tree = store.tree(client_id)
        mappings = store.mappings(client_id)
        existing = {(m.source_kind, m.source_value): m for m in mappings}
        resolver = CategoryResolver(client_id, mappings, tree, {})
        report = suggest(
            shop,
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
            choice, source = resolver.choose(info.sources)
            if source is not None:
                counts[source.key] += 1
            found = resolve_category(info.sources, resolver.accepted)
            if found is not None and leaf_problem(tree, found[1]) is None:
                leaves.add(found[1])
        fetched, errors = fetch_rules(shop, store, client_id, leaves, now, force=config.refresh)
        calls = shop.stats.as_metadata()
    store.update_counts(client_id, dict(counts))
    resolver = CategoryResolver(client_id, store.mappings(client_id), tree, store.rules(client_id, leaves))
    mapped = unmapped = 0
    problems: Counter = Counter()
    for info in infos:
        choice, _ = resolver.choose(info.sources)
        if choice.leaf_id:
            mapped += 1
        else:
            unmapped += 1
            problems[choice.problem or "?"] += 1
    for leaf, error in errors.items():
        context.log.warning("rules of category %s: %s", leaf, error)
    rows = sorted(
        mapping_rows(store.mappings(client_id), tree),
        key=lambda r: (r["status"] != "suggested", r["status"] != "unmatched", -r["products"]),
    )
    pending = sum(1 for r in rows if r["status"] == "suggested")
    if pending:
        context.log.warning(
            "%d category suggestions await review: `tiktok-pipelines categories list %s --status suggested`",
            pending,
            client_id,
        )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(rows),
            "products_mapped": mapped,
            "products_unmapped": unmapped,
            "tree_nodes_fetched": nodes,
            "tree_leaves": sum(1 for c in tree.values() if c.is_leaf),
            "leaves_in_use": len(leaves),
            "leaf_rules_fetched": fetched,
            "leaf_rules_failed": len(errors),
            "suggested_by_tiktok": report.recommended,
            "suggested_by_text": report.text_matched,
            "unmatched": report.unmatched,
            "suggestions_pending_review": pending,
            **calls,
            "mapping": _preview(
                rows,
                ["source", "value", "products", "status", "tiktok_category_id", "tiktok_path", "origin"],
                limit=25,
            ),
            "unmapped_reasons": _preview(
                ({"products": n, "reason": r} for r, n in problems.most_common()),
                ["products", "reason"],
                width=240,
            ),
        }
    )


# ---------------------------------------------------------------- tiktok_listings
class ListingsConfig(dg.Config):
    mode: str = Field(
        default="live",
        description="live: create, edit and delete on the client's shop. check: build and validate every "
        "pending product and ask TikTok's listing check, changing nothing. sandbox: push to the client's "
        "sandbox shop (the registered client named by its `sandbox_client_id` option), with its own map.",
    )
    max_products: int | None = Field(default=None, description="Create or edit at most this many products.")
    retry_paused: bool = Field(default=False, description="Try paused products again even if unchanged.")


@_catalog_asset(
    deps=[feed_diff, tiktok_brands, tiktok_categories],
    kinds={"tiktok"},
)
def tiktok_listings(
    context: dg.AssetExecutionContext,
    config: ListingsConfig,
    state: StateStore,
    lake: ParquetLake,
    tiktok: TikTokShop,
    vtex: Vtex,
    feed_downloader: FeedDownloader,
) -> dg.MaterializeResult:
    """The client's products on TikTok: created, edited or deleted where the payload (built from the feed,
    VTEX, the brand map, the category mapping and attribute rules, and checked against the leaf's rules
    before any call) differs from the last one pushed; edits send only the parts that changed; price and
    stock are set at creation and then left to the stock and price sync. Images are uploaded as bytes once
    per content. Per-product failures are recorded in the listing map and retried next run; a product
    failing the same way `pause_after_failures` (3) times is paused until it changes. Modes: live, check
    (TikTok's listing check only), sandbox (the client's sandbox shop)."""
    if config.mode not in ("live", "check", "sandbox"):
        raise dg.Failure(description=f"mode must be live, check or sandbox, not {config.mode!r}")
    client = state.registry.get(context.partition_key)
    client_id = client.client_id
    target = client
    if config.mode == "sandbox":
        sandbox_id = client.option("sandbox_client_id")
        if not sandbox_id:
            raise dg.Failure(
                description=f"client {client_id} has no sandbox shop: set the option sandbox_client_id to a "
                "registered client authorized on the sandbox shop"
            )
        target = state.registry.get(str(sandbox_id))
    started_at = int(time.time())
    snapshot = state.feeds.current(client_id)
    snapshot_hash = snapshot.content_hash if snapshot else ""
    categories = CategoryStore(state.db)
    build = DraftBuilder(
        client,
        CategoryResolver(
            client_id, categories.mappings(client_id), categories.tree(client_id), categories.rules(client_id)
        ),
        BrandMap(state.db).all(client_id),
        AttributeRuleStore(state.db).all(client_id),
    )
    vtex_index = VtexIndex(lake.read_table("vtex_catalog", client_id))
    listings = ListingMap(state.db)
    listed = listings.products(target.client_id)
    payloads = listings.payload_states(target.client_id)
    report = PublishReport()
    checks: list[PushResult] = []
    listing_rows: list[dict] = []
    refreshed = 0
    calls: dict = {}
    image_stats: dict = {}
    with ExitStack() as stack:
        try:
            feed_path = stack.enter_context(lake.local_copy("feed_products", client_id))
        except KeyError:
            raise dg.Failure(
                description="no feed_products table yet: materialize feed_xml and feed_products"
            ) from None
        # Pass 1: every product's payload hash (and its problems), streamed; only hashes are kept.
        source_hashes = product_hashes_of_parquet(feed_path)
        summaries: dict[str, DraftSummary] = {}
        notes: dict[str, tuple] = {}
        for product in iter_products(feed_path, vtex_index):
            draft = build(product)
            summaries[product.product_key] = DraftSummary(draft.ok, draft.payload_hash)
            if draft.problems or draft.warnings:
                notes[product.product_key] = (draft.problems, draft.warnings, draft.parts.get("category_id"))
        plan = plan_listings(
            summaries,
            source_hashes,
            listed,
            payloads,
            retry_paused=config.retry_paused,
            max_products=config.max_products,
        )
        live = sum(1 for p in listed.values() if is_live(p))
        max_share = float(client.option("max_delete_share"))
        share = shrink_share(live, len(plan.deletes))
        confirmed = ShrinkGuardStore(state.db).get(client_id, snapshot_hash)
        allow_deletes = bool(summaries) and (
            share <= max_share or (confirmed is not None and confirmed.confirmed_at is not None)
        )
        blocked = None
        if plan.deletes and not allow_deletes:
            blocked = (
                f"{len(plan.deletes)} of {live} listed products ({share:.0%}) would be deleted, above "
                f"{max_share:.0%}: no deletion until `tiktok-pipelines catalog confirm-shrink {client_id}`"
            )
            context.log.error(blocked)
        warehouses = list(target.tiktok_warehouse_ids)
        if not warehouses and (plan.creates or plan.edits):
            raise dg.Failure(description=f"client {target.client_id} has no TikTok warehouse ids")
        initial_stock = str(client.option("initial_stock"))
        unlimited_as = int(client.option("unlimited_stock_as"))

        def stock(vtex_ids: Iterable[str]) -> tuple[dict[str, int], list[str]]:
            if initial_stock == "zero":
                return {}, []
            with vtex.client_for(client) as api:
                result = api.stock_many(list(vtex_ids))
            quantities = {k: v.quantity(unlimited_as=unlimited_as) for k, v in result.values.items()}
            return quantities, [f"stock of VTEX SKU {k}: {e}" for k, e in result.errors.items()]

        http = httpx.Client(
            timeout=httpx.Timeout(feed_downloader.timeout_seconds, connect=10.0),
            follow_redirects=True,
            headers={"User-Agent": feed_downloader.user_agent},
            limits=httpx.Limits(max_connections=tiktok.max_concurrency * 2),
        )
        try:
            with _shop(tiktok, target.client_id, context) as shop:
                images = ImageUploader(shop, ImageStore(state.db), target.client_id, http)
                publisher = ListingPublisher(
                    shop,
                    images,
                    listings,
                    target.client_id,
                    warehouse_ids=warehouses,
                    stock=stock,
                    pause_after=int(client.option("pause_after_failures")),
                    logger=context.log,
                )
                # Pass 2: the products to push, built again a chunk at a time and pushed.
                creates, edits = set(plan.creates), set(plan.edits)
                chunk: list = []
                pending = iter_products(feed_path, vtex_index, only=creates | edits)
                for product in chain(pending, [None]):
                    if product is not None:
                        chunk.append(build(product))
                    if chunk and (product is None or len(chunk) >= PUSH_CHUNK):
                        if config.mode == "check":
                            checks += [
                                o.value
                                if o.ok
                                else PushResult(o.item.product_key, "check", False, message=str(o.error))
                                for o in shop.bulk(publisher.check, chunk)
                            ]
                        else:
                            try:
                                pushed = publisher.push(
                                    [d for d in chunk if d.product_key in creates],
                                    [d for d in chunk if d.product_key in edits],
                                    listed,
                                    payloads,
                                    source_hashes,
                                )
                            except AuthError as exc:
                                raise dg.Failure(description=str(exc)) from None
                            report.extend(pushed)
                            listing_rows += _listing_rows(target.client_id, chunk, pushed)
                        chunk = []
                if config.mode != "check":
                    if plan.deletes:
                        if allow_deletes:
                            report.results.extend(publisher.delete(plan.deletes, listed))
                        else:
                            report.deletions_blocked = blocked
                    listings.set_source_hashes(
                        target.client_id,
                        {k: source_hashes[k] for k in plan.feed_only_changes if k in source_hashes},
                    )
                    touched = [
                        r.tiktok_product_id
                        for r in report.results
                        if r.ok and r.action != "delete" and r.tiktok_product_id
                    ]
                    if touched:
                        try:
                            refreshed = publisher.refresh_statuses(started_at - 60, touched)
                        except TikTokShopError as exc:
                            context.log.warning("could not read the statuses of pushed products: %s", exc)
                calls = shop.stats.as_metadata()
                image_stats = dict(images.stats)
        finally:
            http.close()

    now = utcnow()
    problem_rows = _problem_rows(client_id, notes, plan, report, checks, snapshot_hash, now)
    if config.mode != "check":
        with lake.writer("listing_problems", target.client_id, LISTING_PROBLEMS) as writer:
            writer.extend(problem_rows)
        statuses = {k: p.status for k, p in listings.products(target.client_id).items()}
        for row in listing_rows:
            row["status"] = statuses.get(row["product_key"]) if row["status"] is None else row["status"]
            row["updated_at"] = row["ingested_at"] = now
        lake.append_part("listings", target.client_id, pa.Table.from_pylist(listing_rows, schema=LISTINGS))
        lake.append_part("sync_log", target.client_id, _sync_rows(target.client_id, report, now))
    failed = [r for r in report.results if not r.ok] + [c for c in checks if not c.ok]
    for result in failed[:20]:
        context.log.warning("%s %s failed: %s", result.action, result.product_key, result.message)
    errors = sum(1 for r in problem_rows if r["severity"] == "error")
    return dg.MaterializeResult(
        metadata={
            "mode": config.mode,
            "target_client": target.client_id,
            "dagster/row_count": len(summaries),
            "products": len(summaries),
            "created": report.count("create", True),
            "edited": report.count("edit", True),
            "deleted": report.count("delete", True),
            "unchanged": len(plan.unchanged),
            "failed": len(report.failed),
            "invalid": len(plan.invalid),
            "paused": len(plan.paused),
            "deferred": len(plan.deferred),
            "adopted": len(report.adopted),
            "deletions_blocked": blocked or "",
            "checked": len(checks),
            "check_passed": sum(1 for c in checks if c.ok),
            "check_failed": sum(1 for c in checks if not c.ok),
            "statuses_refreshed": refreshed,
            "images_uploaded": int(image_stats.get("uploads", 0)),
            "images_downloaded": int(image_stats.get("downloads", 0)),
            "image_cache_hits": int(image_stats.get("cache_hits", 0)),
            **calls,
            "api_calls_by_kind": md(
                ", ".join(f"{k}: {v}" for k, v in sorted(report.calls().items())) or "_none_"
            ),
            "problems": errors,
            "actions": _preview(
                (
                    {
                        "action": r.action,
                        "product_key": r.product_key,
                        "ok": r.ok,
                        "tiktok_product_id": r.tiktok_product_id,
                        "message": r.message,
                    }
                    for r in [*report.results, *checks]
                ),
                ["action", "product_key", "ok", "tiktok_product_id", "message"],
                limit=15,
            ),
            "problem_list": _preview(
                (r for r in problem_rows if r["severity"] == "error"),
                ["product_key", "stage", "message"],
                limit=20,
                width=240,
            ),
        }
    )


def _problem_rows(client_id, notes, plan, report, checks, snapshot_hash, now) -> list[dict]:
    """The `listing_problems` rows of this run: why products were held back or refused, and warnings."""
    rows = []
    for key in plan.invalid:
        problems, _, category = notes.get(key, ((), (), None))
        rows.extend(("error", key, stage, message, category) for stage, message in problems)
    for key in plan.paused:
        rows.append(
            ("error", key, "tiktok", "paused after repeated identical failures; unchanged since", None)
        )
    for result in [*report.results, *checks]:
        if not result.ok:
            stage = "tiktok" if result.action != "delete" else "delete"
            rows.append(("error", result.product_key, stage, result.message or "", None))
        rows.extend(("warning", result.product_key, "images", w, None) for w in result.warnings)
    for key, (_, warnings, category) in notes.items():
        rows.extend(("warning", key, stage, message, category) for stage, message in warnings)
    rows.extend(("warning", "", "stock", w, None) for w in report.stock_warnings)  # created with stock 0
    if report.deletions_blocked:
        rows.append(("error", "", "delete", report.deletions_blocked, None))
    return [
        {
            "client_id": client_id,
            "product_key": key,
            "stage": stage,
            "severity": severity,
            "message": message,
            "tiktok_category_id": category,
            "snapshot_hash": snapshot_hash,
            "at": now,
        }
        for severity, key, stage, message, category in rows
    ]


def _listing_rows(client_id, drafts, report) -> list[dict]:
    """Rows of the `listings` lake table for the SKUs a push changed on TikTok (statuses and times are
    filled in after the statuses are read back)."""
    by_key = {d.product_key: d for d in drafts}
    rows = []
    for result in report.results:
        draft = by_key.get(result.product_key)
        if not result.ok or draft is None:
            continue
        for sku in draft.seller_skus:
            price = draft.prices.get(sku) or {}
            created = result.action == "create"
            rows.append(
                {
                    "client_id": client_id,
                    "product_key": result.product_key,
                    "seller_sku": sku,
                    "tiktok_product_id": result.tiktok_product_id,
                    "tiktok_sku_id": result.skus.get(sku),
                    "title": draft.parts.get("title"),
                    "status": None,
                    "price": price.get("amount") if created else None,
                    "list_price": price.get("list_amount") if created else None,
                    "currency": price.get("currency"),
                    "quantity": None,
                }
            )
    return rows


def _sync_rows(client_id, report, now) -> pa.Table:
    rows = [
        {
            "client_id": client_id,
            "at": now,
            "lane": "catalog",
            "operation": f"product_{r.action}",
            "api": "tiktok",
            "item_key": r.product_key,
            "result": "ok" if r.ok else "failed",
            "error_code": (r.message or "").split(":", 1)[0] if not r.ok else None,
            "error_message": r.message if not r.ok else None,
            "duration_ms": None,
        }
        for r in report.results
    ]
    return pa.Table.from_pylist(rows, schema=SYNC_LOG)


CATALOG_ASSETS = [feed_diff, vtex_catalog, tiktok_brands, tiktok_categories, tiktok_listings]
