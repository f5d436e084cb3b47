"""The catalog on every channel: what changed in the feed, VTEX enrichment, then each declared
channel's brands, categories and listings (`defs/channel_registry`).

feed_products ─▶ feed_diff ─▶ vtex_catalog ─▶ <channel>/brands ──────┐
                    │                    └──▶ <channel>/categories ─┴─▶ <channel>/listings
                    └─ checks: feed not empty, shrink guard, unique seller SKUs, prices > 0 (blocking)

Each asset makes one call into the catalog lane (`lanes.catalog`) and reports what it did.
"""

import dagster as dg
from pydantic import Field

from tiktok_pipelines.core.names import ChannelName, Lane
from tiktok_pipelines.defs.catalog.checks import FEED_DIFF_CHECKS, guard_check
from tiktok_pipelines.defs.catalog.feed import feed_products
from tiktok_pipelines.defs.catalog.lane import (
    catalog_asset,
    lane_failures,
    preview,
    session_opener,
    stores_of,
)
from tiktok_pipelines.defs.catalog.reports import listings_metadata
from tiktok_pipelines.defs.channel_registry import CHANNELS, DeclaredChannel
from tiktok_pipelines.defs.channels import ChannelResource
from tiktok_pipelines.defs.resources.feeds import FeedDownloader
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.defs.resources.storage import ParquetLake
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


# ---------------------------------------------------------------- brands
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


# ---------------------------------------------------------------- categories
class CategoriesConfig(dg.Config):
    refresh: bool = Field(
        default=False,
        description="Fetch the channel's tree and the leaves' rules now, even if cached this week.",
    )


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


# ---------------------------------------------------------------- listings
class ListingsConfig(dg.Config):
    mode: str = Field(
        default="live",
        description="live: create, edit and delete on the client's shop. check: build and validate every "
        "pending product and ask the channel's listing check, changing nothing. sandbox: push to the client's "
        "sandbox shop (the registered client named by its `sandbox_client_id` option), with its own map.",
    )
    max_products: int | None = Field(default=None, description="Create or edit at most this many products.")
    retry_paused: bool = Field(default=False, description="Try paused products again even if unchanged.")


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


# ---------------------------------------------------------------- every channel's catalog
def _channel_catalog(channel: DeclaredChannel) -> tuple[dg.AssetsDefinition, ...]:
    """The catalog of a declared channel: `<channel>/brands`, `<channel>/categories` and
    `<channel>/listings`, each one call into the catalog lane on the channel's resource."""

    @channel.asset(Lane.CATALOG, "brands", deps=[vtex_catalog], resources={"state", "lake"})
    def brands(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        resources = context.resources
        return _brands(context, resources.state, resources.lake, channel.resource(context))

    @channel.asset(Lane.CATALOG, "categories", deps=[vtex_catalog], resources={"state", "lake"})
    def categories(context: dg.AssetExecutionContext, config: CategoriesConfig) -> dg.MaterializeResult:
        resources = context.resources
        return _categories(context, config, resources.state, resources.lake, channel.resource(context))

    @channel.asset(
        Lane.CATALOG,
        "listings",
        deps=[feed_diff, brands, categories],
        resources={"state", "lake", "vtex", "feed_downloader"},
    )
    def listings(context: dg.AssetExecutionContext, config: ListingsConfig) -> dg.MaterializeResult:
        resources, shop = context.resources, channel.resource(context)
        return _listings(
            context, config, resources.state, resources.lake, shop, resources.vtex, resources.feed_downloader
        )

    return brands, categories, listings


# Every declared channel's brands, categories and listings, by channel.
CHANNEL_CATALOGS = {channel.name: _channel_catalog(channel) for channel in CHANNELS}
tiktok_brands, tiktok_categories, tiktok_listings = CHANNEL_CATALOGS[ChannelName.TIKTOK_SHOP]
mercado_livre_brands, mercado_livre_categories, mercado_livre_listings = CHANNEL_CATALOGS[
    ChannelName.MERCADO_LIVRE
]
shopee_brands, shopee_categories, shopee_listings = CHANNEL_CATALOGS[ChannelName.SHOPEE]

CATALOG_ASSETS = [
    feed_diff,
    vtex_catalog,
    *(asset for assets in CHANNEL_CATALOGS.values() for asset in assets),
]
