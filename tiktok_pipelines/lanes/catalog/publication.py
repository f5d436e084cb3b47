"""The publication of the client's catalog on a channel: every product's draft, the plan, the pushes, the
deletions the shrink guard allows, and what is recorded of it (the listing map, the lake tables
`listing_problems`, `listings` and `sync_log`).

Two passes over the `feed_products` file keep a large catalog in bounded memory: the first builds every
product's draft and keeps only its hash and problems; the second builds again just the products to
create or edit, and pushes them `PUSH_CHUNK` at a time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pyarrow as pa

from tiktok_pipelines.channels.base import ChannelAuthError, ChannelError
from tiktok_pipelines.core.catalog_diff import product_hashes_of_parquet
from tiktok_pipelines.core.models.listings import ListingDraft, ListingResult
from tiktok_pipelines.core.models.offers import PriceTarget
from tiktok_pipelines.core.models.products import Product
from tiktok_pipelines.core.tables import LISTING_PROBLEMS, LISTINGS, SYNC_LOG
from tiktok_pipelines.lanes.catalog.categories import CategoryResolver
from tiktok_pipelines.lanes.catalog.drafts import DraftBuilder
from tiktok_pipelines.lanes.catalog.errors import CatalogRunError
from tiktok_pipelines.lanes.catalog.guards import ShrinkGuard
from tiktok_pipelines.lanes.catalog.images import ImageUploader
from tiktok_pipelines.lanes.catalog.io import CatalogStores, Lake, SessionOpener
from tiktok_pipelines.lanes.catalog.listings import (
    DraftSummary,
    ListingPlan,
    ListingPublisher,
    PublishReport,
    is_live,
    plan_listings,
)
from tiktok_pipelines.lanes.catalog.offers import FirstOffer
from tiktok_pipelines.lanes.catalog.products import VtexIndex, iter_products
from tiktok_pipelines.stores.db import utcnow
from tiktok_pipelines.stores.listings import ListingMap
from tiktok_pipelines.stores.registry import Client
from tiktok_pipelines.vtex.client import VtexClient

log = logging.getLogger(__name__)

PUSH_CHUNK = 500  # products built and pushed at a time: a large first publication stays in bounded memory
MODES = ("live", "check", "sandbox")


@dataclass(frozen=True)
class PublishOptions:
    """How a publication runs (the `tiktok_shop/listings` run config): `mode` live, check (the channel's
    listing check only) or sandbox (the client's sandbox shop); at most `max_products` creates and edits;
    paused products tried again with `retry_paused`."""

    mode: str = "live"
    max_products: int | None = None
    retry_paused: bool = False


@dataclass(frozen=True)
class ImageDownloads:
    """How product images are downloaded (the feed downloader's timeout and user agent)."""

    timeout_seconds: float
    user_agent: str


@dataclass
class Publication:
    """What `publish_listings` did."""

    mode: str
    target_client_id: str
    products: int
    plan: ListingPlan
    report: PublishReport
    checks: list[ListingResult]
    problems: list[dict[str, Any]]  # the `listing_problems` rows of this run
    deletions_blocked: str | None = None
    statuses_refreshed: int = 0
    images: dict[str, int] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> list[ListingResult]:
        return [r for r in self.report.results if not r.ok] + [c for c in self.checks if not c.ok]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [r for r in self.problems if r["severity"] == "error"]


def publication_target(stores: CatalogStores, client: Client, mode: str) -> Client:
    """The client whose shop a publication writes to: the client's own, or in mode `sandbox` the
    registered client of its sandbox shop (option `sandbox_client_id`)."""
    if mode not in MODES:
        raise CatalogRunError(f"mode must be live, check or sandbox, not {mode!r}")
    if mode != "sandbox":
        return client
    sandbox_id = client.option("sandbox_client_id")
    if not sandbox_id:
        raise CatalogRunError(
            f"client {client.client_id} has no sandbox shop: set the option sandbox_client_id to a "
            "registered client authorized on the sandbox shop"
        )
    return stores.registry.get(str(sandbox_id))


def publish_listings(
    client: Client,
    stores: CatalogStores,
    lake: Lake,
    open_session: SessionOpener,
    vtex_client: Callable[[], AbstractContextManager[VtexClient]],
    images: ImageDownloads,
    options: PublishOptions = PublishOptions(),
    logger: Any = None,
) -> Publication:
    """Publishes the client's current feed on its shop (or its sandbox shop): creates, edits and deletes
    only what changed since the last push, or in mode `check` asks the channel's listing check of every
    product to create, changing nothing."""
    logger = logger or log
    target = publication_target(stores, client, options.mode)
    client_id = client.client_id
    check_mode = options.mode == "check"
    started_at = int(time.time())
    snapshot = stores.feeds.current(client_id)
    snapshot_hash = snapshot.content_hash if snapshot else ""
    categories = stores.categories
    resolver = CategoryResolver(
        client_id, categories.mappings(client_id), categories.tree(client_id), categories.rules(client_id)
    )
    brands = stores.brands.all(client_id)
    rules = stores.attribute_rules.all(client_id)
    vtex_index = VtexIndex(lake.read_table("vtex_catalog", client_id))
    listings = stores.listings
    listed = listings.products(target.client_id)
    payloads = listings.payload_states(target.client_id)
    report = PublishReport()
    checks: list[ListingResult] = []
    listing_rows: list[dict] = []
    refreshed = 0
    with ExitStack() as stack:
        try:
            feed_path = stack.enter_context(lake.local_copy("feed_products", client_id))
        except KeyError:
            raise CatalogRunError(
                "no feed_products table yet: materialize feed_xml and feed_products"
            ) from None
        session = stack.enter_context(open_session(target.client_id))
        build = DraftBuilder(session, client, resolver, brands, rules)
        source_hashes = product_hashes_of_parquet(feed_path)
        summaries, notes = _summarize(iter_products(feed_path, vtex_index), build)
        plan = plan_listings(
            summaries,
            source_hashes,
            listed,
            payloads,
            retry_paused=options.retry_paused,
            max_products=options.max_products,
        )
        live = sum(1 for p in listed.values() if is_live(p))
        shrink = ShrinkGuard(stores.shrink_guard, client_id, float(client.option("max_delete_share")))
        decision = shrink.decide(snapshot_hash, live, len(plan.deletes))
        allow_deletes = decision.allows_deletions(len(summaries))
        blocked = None
        if plan.deletes and not allow_deletes:
            blocked = decision.blocked(len(plan.deletes))
            logger.error(blocked)
        # Stock goes to the channel's warehouses where it keeps stock by warehouse (Capabilities).
        warehouses = list(target.tiktok_warehouse_ids) if session.capabilities.warehouses else []
        if session.capabilities.warehouses and not warehouses and (plan.creates or plan.edits):
            raise CatalogRunError(f"client {target.client_id} has no TikTok warehouse ids")
        http = stack.enter_context(
            httpx.Client(
                timeout=httpx.Timeout(images.timeout_seconds, connect=10.0),
                follow_redirects=True,
                headers={"User-Agent": images.user_agent},
                limits=httpx.Limits(max_connections=session.capabilities.max_concurrency * 2),
            )
        )
        # A new SKU's stock and price: the client's rules on this channel, as the stock lane's.
        first_offer = FirstOffer.of(
            client, session.capabilities, warehouses, vtex_client, own_warehouses=target is client
        )
        uploader = ImageUploader(session, stores.images, target.client_id, http, session.capabilities.images)
        publisher = ListingPublisher(
            session,
            uploader,
            listings,
            target.client_id,
            warehouse_ids=warehouses,
            stock=first_offer.stock,
            prices=first_offer.prices,
            pause_after=int(client.option("pause_after_failures")),
            logger=logger,
        )
        # Pass 2: the products to push, built again a chunk at a time and pushed.
        creates, edits = set(plan.creates), set(plan.edits)
        for chunk in _chunks(iter_products(feed_path, vtex_index, only=creates | edits), build):
            if check_mode:
                checks += [
                    o.value
                    if o.ok
                    else ListingResult(o.item.product_key, "check", False, message=str(o.error))
                    for o in session.run_many(publisher.check, chunk)
                ]
                continue
            try:
                pushed = publisher.push(
                    [d for d in chunk if d.product_key in creates],
                    [d for d in chunk if d.product_key in edits],
                    listed,
                    payloads,
                    source_hashes,
                )
            except ChannelAuthError as exc:
                raise CatalogRunError(str(exc)) from None
            report.extend(pushed)
            listing_rows += _listing_rows(
                target.client_id, listings.channel, chunk, pushed, first_offer.prices
            )
        if not check_mode:
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
                r.channel_product_id
                for r in report.results
                if r.ok and r.action != "delete" and r.channel_product_id
            ]
            if touched:
                try:
                    refreshed = publisher.refresh_statuses(started_at - 60, touched)
                except ChannelError as exc:
                    logger.warning("could not read the statuses of pushed products: %s", exc)
        calls = session.call_counts()
        image_stats = dict(uploader.stats)

    now = utcnow()
    problem_rows = _problem_rows(client_id, listings.channel, notes, plan, report, checks, snapshot_hash, now)
    if not check_mode:
        _write_lake(lake, listings, target.client_id, problem_rows, listing_rows, report, now)
    return Publication(
        options.mode,
        target.client_id,
        len(summaries),
        plan,
        report,
        checks,
        problem_rows,
        blocked,
        refreshed,
        image_stats,
        calls,
    )


def _summarize(
    products: Iterable[Product], build: DraftBuilder
) -> tuple[dict[str, DraftSummary], dict[str, tuple]]:
    """Pass 1: every product's draft, of which only its hash and whether it is valid are kept (and its
    problems and warnings, with its leaf, when it has any)."""
    summaries: dict[str, DraftSummary] = {}
    notes: dict[str, tuple] = {}
    for product in products:
        draft = build(product)
        summaries[product.product_key] = DraftSummary(draft.ok, draft.payload_hash)
        if draft.problems or draft.warnings:
            notes[product.product_key] = (draft.problems, draft.warnings, draft.category_id)
    return summaries, notes


def _chunks(products: Iterable[Product], build: DraftBuilder) -> Iterator[list[ListingDraft]]:
    """The products' drafts, `PUSH_CHUNK` at a time."""
    chunk: list[ListingDraft] = []
    for product in products:
        chunk.append(build(product))
        if len(chunk) >= PUSH_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write_lake(
    lake: Lake,
    listings: ListingMap,
    client_id: str,
    problem_rows: list[dict[str, Any]],
    listing_rows: list[dict[str, Any]],
    report: PublishReport,
    now: datetime,
) -> None:
    """The run's `listing_problems` (replacing the last run's), and its parts of `listings` (with the
    statuses read back) and `sync_log`."""
    with lake.writer("listing_problems", client_id, LISTING_PROBLEMS) as writer:
        writer.extend(problem_rows)
    statuses = {k: p.status for k, p in listings.products(client_id).items()}
    for row in listing_rows:
        row["status"] = statuses.get(row["product_key"]) if row["status"] is None else row["status"]
        row["updated_at"] = row["ingested_at"] = now
    lake.append_part("listings", client_id, pa.Table.from_pylist(listing_rows, schema=LISTINGS))
    lake.append_part("sync_log", client_id, _sync_rows(client_id, listings.channel, report, now))


def _problem_rows(
    client_id: str,
    channel: str,
    notes: dict[str, tuple],
    plan: ListingPlan,
    report: PublishReport,
    checks: list[ListingResult],
    snapshot_hash: str,
    now: datetime,
) -> list[dict[str, Any]]:
    """The `listing_problems` rows of this run: why products were held back or refused, and warnings."""
    rows: list[tuple] = []
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
            "channel": channel,
            "product_key": key,
            "stage": stage,
            "severity": severity,
            "message": message,
            "channel_category_id": category,
            "snapshot_hash": snapshot_hash,
            "at": now,
        }
        for severity, key, stage, message, category in rows
    ]


def _listing_rows(
    client_id: str,
    channel: str,
    drafts: list[ListingDraft],
    report: PublishReport,
    prices_of: Callable[[ListingDraft], dict[str, PriceTarget]],
) -> list[dict]:
    """Rows of the `listings` lake table for the SKUs a push changed on the channel (statuses and times
    are filled in after the statuses are read back); a created SKU with the price it was created at
    (`prices_of`: the client's rules on the channel)."""
    by_key = {d.product_key: d for d in drafts}
    rows = []
    for result in report.results:
        draft = by_key.get(result.product_key)
        if not result.ok or draft is None:
            continue
        created = result.action == "create"
        shown = prices_of(draft) if created else {}
        for sku in draft.seller_skus:
            target = shown.get(sku)
            currency = target.currency if target else (draft.prices.get(sku) or {}).get("currency")
            rows.append(
                {
                    "client_id": client_id,
                    "channel": channel,
                    "product_key": result.product_key,
                    "seller_sku": sku,
                    "channel_product_id": result.channel_product_id,
                    "channel_sku_id": result.channel_sku_ids.get(sku),
                    "title": draft.title,
                    "status": None,
                    "price": target.price if target else None,
                    "list_price": target.list_price if target else None,
                    "currency": currency,
                    "quantity": None,
                }
            )
    return rows


def _sync_rows(client_id: str, channel: str, report: PublishReport, now: datetime) -> pa.Table:
    rows = [
        {
            "client_id": client_id,
            "channel": channel,
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
