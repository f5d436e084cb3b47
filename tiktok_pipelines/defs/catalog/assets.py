"""The catalog on TikTok: what changed in the feed, VTEX enrichment, brands, categories, and listings.

feed_products ─▶ feed_diff ─▶ vtex_catalog ─▶ tiktok_brands ──────┐
                    │                    └──▶ tiktok_categories ─┴─▶ tiktok_listings
                    └─ checks: feed not empty, shrink guard, unique seller SKUs, prices > 0 (blocking)

Each asset makes one call into the catalog lane (`lanes.catalog`) and reports what it did.
"""

import dagster as dg
from pydantic import Field

from tiktok_pipelines.core.names import ChannelName, Lane
from tiktok_pipelines.defs.catalog.checks import FEED_DIFF_CHECKS, guard_check
from tiktok_pipelines.defs.catalog.feed import feed_products
from tiktok_pipelines.defs.catalog.lane import (
    ChannelResource,
    catalog_asset,
    lane_failures,
    preview,
    session_opener,
    stores_of,
)
from tiktok_pipelines.defs.catalog.reports import listings_metadata
from tiktok_pipelines.defs.channels import channel_asset, tiktok_shop_asset
from tiktok_pipelines.defs.resources.feeds import FeedDownloader
from tiktok_pipelines.defs.resources.mercado_livre import MercadoLivre
from tiktok_pipelines.defs.resources.shopee import Shopee
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.defs.resources.storage import ParquetLake
from tiktok_pipelines.defs.resources.tiktok_shop import TikTokShop
from tiktok_pipelines.defs.resources.vtex import Vtex
from tiktok_pipelines.lanes.catalog.brands import map_brands
from tiktok_pipelines.lanes.catalog.categories import map_categories
from tiktok_pipelines.lanes.catalog.diff import diff_feed
from tiktok_pipelines.lanes.catalog.enrichment import enrich_from_vtex
from tiktok_pipelines.lanes.catalog.publication import ImageDownloads, PublishOptions, publish_listings


# ---------------------------------------------------------------- feed_diff
class FeedDiffConfig(dg.Config):
    confirm_shrink_snapshot: str | None = Field(
        default=None,
        description="Confirms that this feed snapshot (its hash, or the first 12+ characters of it) really is "
        "the catalog, so the deletions the shrink guard held back may go ahead.",
    )


@catalog_asset(
    deps=[feed_products],
    kinds={"parquet"},
    check_specs=FEED_DIFF_CHECKS,
)
def feed_diff(
    context: dg.AssetExecutionContext, config: FeedDiffConfig, state: StateStore, lake: ParquetLake
) -> dg.MaterializeResult:
    """Products (feed items grouped by `g:item_group_id`) that are new, changed, removed or unchanged
    between what was last published on TikTok (the feed hash recorded per product at its last successful
    push) and the current feed, by content hash. Lake table `feed_diff`. Its blocking checks stop the
    push of a feed that is empty, would delete too much, repeats seller SKUs or has broken prices."""
    client = state.registry.get(context.partition_key)
    with lane_failures():
        result = diff_feed(client, stores_of(state), lake, config.confirm_shrink_snapshot)
    diff = result.diff
    context.log.info("feed diff for %s: %s", client.client_id, diff.counts)
    return dg.MaterializeResult(
        metadata={
            **diff.counts,
            "dagster/row_count": len(diff.status_of()),
            "products": len(result.current),
            "items": result.items,
            "listed_on_tiktok": result.live,
            "snapshot_hash": result.snapshot_hash,
            "preview": preview(
                result.changes(), ["status", "product_key", "skus", "channel_product_id"], limit=15
            ),
        },
        check_results=[guard_check(g, client.client_id) for g in result.guards],
        data_version=dg.DataVersion(result.snapshot_hash),
    )


# ---------------------------------------------------------------- vtex_catalog
@catalog_asset(
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
    with lane_failures():
        run = enrich_from_vtex(client, lake, lambda: vtex.client_for(client))
    plan, result = run.plan, run.result
    if run.mismatched:
        context.log.warning(
            "%d SKUs weigh ten times more or less in VTEX than in the feed: check vtex_weight_unit (now %s)",
            len(run.mismatched),
            run.weight_unit,
        )
    if result.failed:
        context.log.warning(
            "%d SKUs could not be read from VTEX; they are retried next run", len(result.failed)
        )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": run.rows,
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
            "ok": run.statuses["ok"],
            "weight_unit": run.weight_unit,
            "weight_unit_suspects": len(run.mismatched),
            "vtex_requests": int(run.requests.get("requests", 0)),
            "vtex_retries": int(run.requests.get("retries", 0)),
            "seconds": round(run.seconds, 2),
            "preview": preview(
                run.preview(),
                ["seller_sku", "status", "brand", "category", "weight_kg", "dims_cm", "images", "ean"],
            ),
            "failures": preview(
                ({"seller_sku": k, "error": v} for k, v in sorted(result.failed.items())),
                ["seller_sku", "error"],
            ),
        }
    )


# ---------------------------------------------------------------- tiktok_brands
@tiktok_shop_asset(Lane.CATALOG, "brands", deps=[vtex_catalog], kinds={"tiktok"})
def tiktok_brands(
    context: dg.AssetExecutionContext, state: StateStore, lake: ParquetLake, tiktok_shop: TikTokShop
) -> dg.MaterializeResult:
    """The TikTok brand of every brand in the feed (or in VTEX when the feed names none): looked up by
    name ignoring case and accents, created when missing, and found again when creation answers "This
    brand name already exists.". Kept in the state DB's brand map, so each brand costs calls once."""
    return _brands(context, state, lake, tiktok_shop)


def _brands(
    context: dg.AssetExecutionContext, state: StateStore, lake: ParquetLake, shop: ChannelResource
) -> dg.MaterializeResult:
    client_id = state.registry.get(context.partition_key).client_id
    with lane_failures():
        run = map_brands(client_id, stores_of(state, shop), lake, session_opener(shop, context))
    report = run.report
    for failure in report.failed:
        context.log.warning("brand %r: %s", failure.name, failure.error)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(run.names),
            "brands": len(run.names),
            "mapped": run.mapped,
            "resolved_now": len(report.results) - len(report.failed),
            "matched": report.count("matched"),
            "created": report.count("created"),
            "already_existed": report.count("exists"),
            "failed": len(report.failed),
            **run.calls,
            "preview": preview(
                (
                    {
                        "brand": e.brand_name,
                        "channel_brand_id": e.channel_brand_id,
                        "channel_name": e.channel_brand_name,
                        "origin": e.origin,
                        "error": e.last_error,
                    }
                    for e in sorted(run.entries, key=lambda e: (e.channel_brand_id is not None, e.brand_key))
                ),
                ["brand", "channel_brand_id", "channel_name", "origin", "error"],
                limit=20,
            ),
        }
    )


# ---------------------------------------------------------------- tiktok_categories
class CategoriesConfig(dg.Config):
    refresh: bool = Field(
        default=False, description="Fetch TikTok's tree and the leaves' rules now, even if cached this week."
    )


@tiktok_shop_asset(Lane.CATALOG, "categories", deps=[vtex_catalog], kinds={"tiktok"})
def tiktok_categories(
    context: dg.AssetExecutionContext,
    config: CategoriesConfig,
    state: StateStore,
    lake: ParquetLake,
    tiktok_shop: TikTokShop,
) -> dg.MaterializeResult:
    """TikTok's category tree (cached a week) and the client's mapping from its categories (VTEX category,
    `g:product_type`, `g:google_product_category`, or a single product) to TikTok leaves. Unmapped category
    values get a suggestion (TikTok's recommendation, else a text match) flagged for review: suggestions
    are not published until accepted with `tiktok-pipelines categories accept`. The rules and required
    attributes of every leaf in use are fetched and cached."""
    return _categories(context, config, state, lake, tiktok_shop)


def _categories(
    context: dg.AssetExecutionContext,
    config: CategoriesConfig,
    state: StateStore,
    lake: ParquetLake,
    shop: ChannelResource,
) -> dg.MaterializeResult:
    client = state.registry.get(context.partition_key)
    with lane_failures():
        run = map_categories(
            client, stores_of(state, shop), lake, session_opener(shop, context), refresh=config.refresh
        )
    for leaf, error in run.rule_errors.items():
        context.log.warning("rules of category %s: %s", leaf, error)
    if run.pending:
        context.log.warning(
            "%d category suggestions await review: `tiktok-pipelines categories list %s --status suggested`"
            " (%s)",
            run.pending,
            client.client_id,
            shop.capabilities().display_name,
        )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(run.rows),
            "products_mapped": run.mapped,
            "products_unmapped": run.unmapped,
            "tree_nodes_fetched": run.nodes_fetched,
            "tree_leaves": sum(1 for c in run.tree.values() if c.is_leaf),
            "leaves_in_use": len(run.leaves),
            "leaf_rules_fetched": run.rules_fetched,
            "leaf_rules_failed": len(run.rule_errors),
            f"suggested_by_{shop.capabilities().api_name}": run.suggestions.recommended,
            "suggested_by_text": run.suggestions.text_matched,
            "unmatched": run.suggestions.unmatched,
            "suggestions_pending_review": run.pending,
            **run.calls,
            "mapping": preview(
                run.rows,
                ["source", "value", "products", "status", "channel_category_id", "channel_path", "origin"],
                limit=25,
            ),
            "unmapped_reasons": preview(
                ({"products": n, "reason": r} for r, n in run.unmapped_reasons.most_common()),
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


@tiktok_shop_asset(
    Lane.CATALOG, "listings", deps=[feed_diff, tiktok_brands, tiktok_categories], kinds={"tiktok"}
)
def tiktok_listings(
    context: dg.AssetExecutionContext,
    config: ListingsConfig,
    state: StateStore,
    lake: ParquetLake,
    tiktok_shop: TikTokShop,
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
    return _listings(context, config, state, lake, tiktok_shop, vtex, feed_downloader)


def _listings(
    context: dg.AssetExecutionContext,
    config: ListingsConfig,
    state: StateStore,
    lake: ParquetLake,
    shop: ChannelResource,
    vtex: Vtex,
    feed_downloader: FeedDownloader,
) -> dg.MaterializeResult:
    client = state.registry.get(context.partition_key)
    with lane_failures():
        publication = publish_listings(
            client,
            stores_of(state, shop),
            lake,
            session_opener(shop, context),
            lambda: vtex.client_for(client),
            ImageDownloads(feed_downloader.timeout_seconds, feed_downloader.user_agent),
            PublishOptions(config.mode, config.max_products, config.retry_paused),
            logger=context.log,
        )
    for result in publication.failed[:20]:
        context.log.warning("%s %s failed: %s", result.action, result.product_key, result.message)
    return dg.MaterializeResult(metadata=listings_metadata(publication))


# ---------------------------------------------------------------- Mercado Livre
@channel_asset(Lane.CATALOG, ChannelName.MERCADO_LIVRE, "brands", deps=[vtex_catalog], kinds={"mercadolivre"})
def mercado_livre_brands(
    context: dg.AssetExecutionContext, state: StateStore, lake: ParquetLake, mercado_livre: MercadoLivre
) -> dg.MaterializeResult:
    """The brand of every brand in the feed (or in VTEX) as Mercado Livre takes it: the `BRAND`
    attribute's value, its name with spaces tidied (Mercado Livre has no brand registry to look up)."""
    return _brands(context, state, lake, mercado_livre)


@channel_asset(
    Lane.CATALOG, ChannelName.MERCADO_LIVRE, "categories", deps=[vtex_catalog], kinds={"mercadolivre"}
)
def mercado_livre_categories(
    context: dg.AssetExecutionContext,
    config: CategoriesConfig,
    state: StateStore,
    lake: ParquetLake,
    mercado_livre: MercadoLivre,
) -> dg.MaterializeResult:
    """Mercado Livre's category tree of the site (cached a week) and the client's mapping to its leaves,
    with the same review flow as TikTok's: unmapped values get Mercado Livre's prediction
    (`domain_discovery`), else a text match, to accept; each leaf's attributes (those `required`) cached."""
    return _categories(context, config, state, lake, mercado_livre)


@channel_asset(
    Lane.CATALOG,
    ChannelName.MERCADO_LIVRE,
    "listings",
    deps=[feed_diff, mercado_livre_brands, mercado_livre_categories],
    kinds={"mercadolivre"},
)
def mercado_livre_listings(
    context: dg.AssetExecutionContext,
    config: ListingsConfig,
    state: StateStore,
    lake: ParquetLake,
    mercado_livre: MercadoLivre,
    vtex: Vtex,
    feed_downloader: FeedDownloader,
) -> dg.MaterializeResult:
    """The client's products on Mercado Livre: items created (variations by `attribute_combinations`,
    `SELLER_SKU`, pictures by URL, description, the client's listing type), edited with only what changed
    (every variation kept by its id), and closed, never deleted, when their product leaves the feed; mode
    check asks `/items/validate` and changes nothing. The same lane, map and failure rules as TikTok's."""
    return _listings(context, config, state, lake, mercado_livre, vtex, feed_downloader)


# ---------------------------------------------------------------- Shopee
@channel_asset(Lane.CATALOG, ChannelName.SHOPEE, "brands", deps=[vtex_catalog], kinds={"shopee"})
def shopee_brands(
    context: dg.AssetExecutionContext, state: StateStore, lake: ParquetLake, shopee: Shopee
) -> dg.MaterializeResult:
    """The Shopee brand of every brand in the feed, looked up by name ignoring case and accents (brands
    are registered with Shopee by the seller: one it does not have is listed here, and its products go
    without a brand where their category allows it). Kept in Shopee's brand map."""
    return _brands(context, state, lake, shopee)


@channel_asset(Lane.CATALOG, ChannelName.SHOPEE, "categories", deps=[vtex_catalog], kinds={"shopee"})
def shopee_categories(
    context: dg.AssetExecutionContext,
    config: CategoriesConfig,
    state: StateStore,
    lake: ParquetLake,
    shopee: Shopee,
) -> dg.MaterializeResult:
    """Shopee's category tree and the client's mapping to its leaves, with the same review as TikTok's
    (Shopee recommends nothing: suggestions come from a text match and wait to be accepted); each leaf's
    attributes and whether it requires a brand, cached."""
    return _categories(context, config, state, lake, shopee)


@channel_asset(
    Lane.CATALOG,
    ChannelName.SHOPEE,
    "listings",
    deps=[feed_diff, shopee_brands, shopee_categories],
    kinds={"shopee"},
)
def shopee_listings(
    context: dg.AssetExecutionContext,
    config: ListingsConfig,
    state: StateStore,
    lake: ParquetLake,
    shopee: Shopee,
    vtex: Vtex,
    feed_downloader: FeedDownloader,
) -> dg.MaterializeResult:
    """The client's products on Shopee, by the same publication as TikTok's: items with tier variations
    and a model per variant, checked against the leaf's attributes and brand rule before any call, images
    uploaded as bytes once per content, the logistics channels of the client's `shipping_channels`; edits
    send the fields that changed; a product gone from the feed is unlisted. Price and stock are set at
    creation, then left to the stock and price sync."""
    return _listings(context, config, state, lake, shopee, vtex, feed_downloader)


CATALOG_ASSETS = [
    feed_diff,
    vtex_catalog,
    tiktok_brands,
    tiktok_categories,
    tiktok_listings,
    mercado_livre_brands,
    mercado_livre_categories,
    mercado_livre_listings,
    shopee_brands,
    shopee_categories,
    shopee_listings,
]
