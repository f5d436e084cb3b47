"""Posts prepared for the products a client's catalog newly publishes (opt-in per client:
`product_posts_creator`).

It reads what the catalog lane recorded, not the catalog lane itself: the listing map holds every
product the catalog published on the channel. The first run after a client opts in takes what is listed
then as the baseline (no post); each product listed after it gets one post, once: a caption from its
feed title and price, hashtags from its category path and the creator's best hashtags (the caption polished by the
language model when one is configured, else the rules' own), its video link
when the client gives a template for one (the feed has no video attribute), due the next time the
creator's best posting hour comes (the content rules' first), and sent to the creator's inbox as a draft
unless the client asks for direct posts. Without a video the post waits (`waiting_media`) with the
reason: the Content Posting API's reference describes video posts only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

import pyarrow as pa

from tiktok_pipelines.core.product_posts import ProductFacts, caption, next_best_time, video_url
from tiktok_pipelines.lanes.content.captions import polished_caption
from tiktok_pipelines.lanes.content.llm import LlmConfig
from tiktok_pipelines.lanes.content.recommendations import creator_best_hashtags, creator_best_hours
from tiktok_pipelines.stores.creator_lake import CreatorLake
from tiktok_pipelines.stores.creators import CreatorRegistry
from tiktok_pipelines.stores.db import DEFAULT_CHANNEL, StateDB, utcnow
from tiktok_pipelines.stores.listings import ListingMap
from tiktok_pipelines.stores.posts import PostQueue
from tiktok_pipelines.stores.product_posts import ProductPostWatch
from tiktok_pipelines.stores.registry import ClientRegistry

NO_VIDEO = (
    "the product feed gives no video for this product (and product_posts_video_url is unset): attach one "
    "with `tiktok-pipelines posts attach <post_id> <file or URL>`"
)
FEED_COLUMNS = [
    "seller_sku",
    "item_group_id",
    "title",
    "price",
    "sale_price",
    "currency",
    "product_type",
    "link",
]


class ProductPostsError(ValueError):
    """The client's product posts cannot run as configured (a creator that does not exist...)."""


class FeedLake(Protocol):
    def read_table(self, table: str, client_id: str, columns: list[str] | None = None) -> pa.Table | None: ...


@dataclass
class ProductPostReport:
    client_id: str
    creator_id: str | None = None
    skipped: str | None = None
    baseline: int | None = None  # products listed when the watch started (no post)
    # post_id, product_key, status, due_at, caption, caption_source
    drafts: list[dict[str, Any]] = field(default_factory=list)
    llm_tokens: int = 0
    llm_cost: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for d in self.drafts if d["status"] == status)


def product_facts(lake: FeedLake, client_id: str, product_keys: set[str]) -> dict[str, ProductFacts]:
    """Each product's facts from the current `feed_products` (its first variant by seller SKU)."""
    table = lake.read_table("feed_products", client_id, columns=FEED_COLUMNS)
    facts: dict[str, ProductFacts] = {}
    for row in sorted(table.to_pylist() if table is not None else [], key=lambda r: r["seller_sku"]):
        key = row["item_group_id"] or row["seller_sku"]
        if key not in product_keys or key in facts:
            continue
        facts[key] = ProductFacts(
            product_key=key,
            seller_sku=row["seller_sku"],
            title=row["title"] or key,
            price=Decimal(str(row["price"])) if row["price"] is not None else None,
            sale_price=Decimal(str(row["sale_price"])) if row["sale_price"] is not None else None,
            currency=row["currency"] or "BRL",
            product_type=row["product_type"],
            link=row["link"],
        )
    return facts


def prepare_product_posts(
    db: StateDB,
    feed_lake: FeedLake,
    creator_lake: CreatorLake,
    client_id: str,
    channel: str = DEFAULT_CHANNEL,
    now: datetime | None = None,
    llm: LlmConfig | None = None,
) -> ProductPostReport:
    """One post for each product the catalog listed on `channel` since the client opted in; its caption
    polished by the language model when `llm` has a key."""
    report = ProductPostReport(client_id)
    client = ClientRegistry(db).get(client_id)
    creator_id = client.option("product_posts_creator")
    if not creator_id:
        report.skipped = "the client has not opted in to product posts (option product_posts_creator)"
        return report
    creator = CreatorRegistry(db).find(creator_id)
    if creator is None:
        raise ProductPostsError(
            f"product_posts_creator names {creator_id}, which is not a registered creator"
        )
    report.creator_id = creator_id
    listed = {
        p.product_key
        for p in ListingMap(db, channel).products(client_id).values()
        if p.channel_product_id and p.status != "deleted"
    }
    watch = ProductPostWatch(db)
    if watch.started(client_id) is None:
        report.baseline = watch.start(client_id, creator_id, listed)
        return report
    new = watch.unseen(client_id, listed)
    if not new:
        return report
    facts = product_facts(feed_lake, client_id, set(new))
    hours = [slot.hour for slot in creator_best_hours(creator_lake, creator)][:1]  # the best one
    tags = [t.hashtag for t in creator_best_hashtags(creator_lake, creator_id)]
    now = now or utcnow()
    due = next_best_time(now, hours, creator.timezone) or now
    queue = PostQueue(db)
    for key in new:
        product = facts.get(key)
        if product is None:  # listed, then gone from the feed before a post was prepared
            watch.seen(client_id, key, None)
            continue
        rules_text, product_tags = caption(product, tags)
        polished = polished_caption(llm, product, rules_text, product_tags)
        text = polished.text
        report.llm_tokens += polished.prompt_tokens + polished.completion_tokens
        report.llm_cost += polished.cost
        url = video_url(client.option("product_posts_video_url"), product)
        source_key = f"product:{client_id}:{key}"
        post = queue.add(
            creator_id,
            mode=client.option("product_posts_mode"),
            caption=text,
            privacy_level=client.option("product_posts_privacy"),
            due_at=due,
            media_kind="url" if url else None,
            media=url,
            client_id=client_id,
            origin="product",
            source_key=source_key,
            reason=NO_VIDEO,
        ) or queue.by_source_key(source_key)
        watch.seen(client_id, key, post.post_id if post else None)
        if post is not None:
            report.drafts.append(
                {
                    "post_id": post.post_id,
                    "product_key": key,
                    "status": post.status,
                    "due_at": post.due_at.isoformat(),
                    "caption": text.replace("\n", " "),
                    "caption_source": "llm" if polished.source == "llm" else f"rules ({polished.status})",
                }
            )
    return report
