"""A creator's content recommendations, without Dagster.

The stable API other lanes use (scheduling posts at the best hour, with the best hashtags):

- `best_posting_hours(videos, timezone, metric=, min_videos=, by_weekday=, limit=)` → `list[PostingSlot]`
  (`slot.hour`, `slot.weekday`, `slot.label`, `slot.figures`: videos, views, avg_views, engagement_rate,
  the creator's baselines and `lift(metric)`), best first; empty when no hour has `min_videos` videos.
- `best_hashtags(videos, metric=, min_videos=, limit=)` → `list[HashtagFigure]` (`tag.hashtag`, lower
  case without '#', and `tag.figures`), best first.
- `best_formats(...)`, `products_without_video(...)`: the same for video lengths and products.
- `creator_videos(lake, creator_id)` → the `VideoStats` those take, from the creator lake;
  `creator_best_hours(lake, creator)` and `creator_best_hashtags(lake, creator_id)` do both steps.
- `latest_recommendations(lake, creator_id)`: the rows of the newest stored run.

`recommend(...)` is the run: the rules over the creator's videos and the shop's sales, ideas from the
language model when one is configured (else, or when it fails, ideas from the rules, labelled `rules`
with the reason), all written as one part of the lake's `creator_recommendations`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa

from tiktok_pipelines.core.content import (
    ContentFigures,
    HashtagFigure,
    PostingSlot,
    ProductSales,
    VideoStats,
    best_formats,
    best_hashtags,
    best_posting_hours,
    content_figures,
    products_without_video,
)
from tiktok_pipelines.core.creator_tables import CREATOR_RECOMMENDATIONS
from tiktok_pipelines.core.recommendations import (
    SOURCE_LLM,
    SOURCE_RULES,
    Recommendation,
    idea_rows,
    llm_messages,
    rule_ideas,
    rule_recommendations,
)
from tiktok_pipelines.lanes.content.inputs import creator_videos, latest_recommendations, shop_sales
from tiktok_pipelines.lanes.content.llm import LlmConfig, LlmFailure, generate_ideas
from tiktok_pipelines.stores.creator_lake import CreatorLake
from tiktok_pipelines.stores.creators import Creator

__all__ = [
    "ContentSettings",
    "HashtagFigure",
    "PostingSlot",
    "ProductSales",
    "RecommendationReport",
    "VideoStats",
    "best_formats",
    "best_hashtags",
    "best_posting_hours",
    "creator_best_hashtags",
    "creator_best_hours",
    "creator_videos",
    "latest_recommendations",
    "products_without_video",
    "recommend",
    "shop_sales",
]


@dataclass(frozen=True)
class ContentSettings:
    metric: str = "engagement_rate"  # or avg_views
    min_videos: int = 3  # videos an hour needs to count (hashtags and lengths: half, at least 2)
    product_days: int = 30  # a product with no video mentioning it in this many days is recommended
    limit: int = 5  # rows per kind


@dataclass
class RecommendationReport:
    creator_id: str
    generated_at: datetime
    videos: int
    rows: list[Recommendation] = field(default_factory=list)
    ideas_source: str = SOURCE_RULES
    llm_status: str = "no_key"
    model: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    sales_note: str | None = None  # why products were not considered
    part: str | None = None


def creator_best_hours(lake: CreatorLake, creator: Creator, **options) -> list[PostingSlot]:
    """`best_posting_hours` over the creator's videos in its own time zone."""
    return best_posting_hours(creator_videos(lake, creator.creator_id), creator.timezone, **options)


def creator_best_hashtags(lake: CreatorLake, creator_id: str, **options) -> list[HashtagFigure]:
    return best_hashtags(creator_videos(lake, creator_id), **options)


def _table(report: RecommendationReport) -> pa.Table:
    rows = [
        {
            "creator_id": report.creator_id,
            "generated_at": report.generated_at,
            "source": r.source,
            "kind": r.kind,
            "rank": r.rank,
            "subject": r.subject,
            "text": r.text,
            "metric": r.metric,
            "value": r.value,
            "baseline": r.baseline,
            "sample_size": r.sample_size,
            "details": json.dumps(r.details, ensure_ascii=False, sort_keys=True, default=str),
            "llm_status": report.llm_status,
            "model": report.model,
            "prompt_tokens": report.prompt_tokens,
            "completion_tokens": report.completion_tokens,
            "cost": report.cost,
        }
        for r in report.rows
    ]
    return pa.Table.from_pylist(rows, schema=CREATOR_RECOMMENDATIONS)


def _ideas(report: RecommendationReport, figures: ContentFigures, llm: LlmConfig) -> list[Recommendation]:
    if not figures.videos and not figures.products:
        report.llm_status = "no_figures"  # nothing to base ideas on: no model is asked
        return []
    try:
        answer = generate_ideas(llm, llm_messages(figures, llm.language, llm.ideas))
    except LlmFailure as failure:
        report.llm_status = failure.status
        report.prompt_tokens, report.completion_tokens = failure.prompt_tokens, failure.completion_tokens
        report.cost = llm.cost(failure.prompt_tokens, failure.completion_tokens)
        report.model = llm.model if llm.api_key else None
        return idea_rows(rule_ideas(figures, llm.ideas), SOURCE_RULES)
    report.ideas_source, report.llm_status, report.model = SOURCE_LLM, "ok", answer.model
    report.prompt_tokens, report.completion_tokens, report.cost = (
        answer.prompt_tokens,
        answer.completion_tokens,
        answer.cost,
    )
    return idea_rows(answer.ideas, SOURCE_LLM)


def recommend(
    lake: CreatorLake,
    creator: Creator,
    *,
    sales: Callable[[str, datetime, int], list[ProductSales]] | None,
    llm: LlmConfig,
    settings: ContentSettings = ContentSettings(),
    as_of: datetime | None = None,
) -> RecommendationReport:
    """One recommendations run for a creator, stored in the lake. `sales(client_id, as_of, days)` gives
    the shop's recent sales per product (None, or a creator linked to no client: products are left out,
    and the report says why)."""
    at = as_of or datetime.now(UTC)
    videos = creator_videos(lake, creator.creator_id)
    report = RecommendationReport(creator.creator_id, at, len(videos))
    products: list[ProductSales] = []
    if creator.client_id is None:
        report.sales_note = "the creator is linked to no client"
    elif sales is None:
        report.sales_note = "no sales figures yet (analytics.duckdb not built)"
    else:
        products = sales(creator.client_id, at, settings.product_days)
    figures = content_figures(
        videos,
        products,
        timezone=creator.timezone,
        as_of=at,
        metric=settings.metric,
        min_videos=settings.min_videos,
        window_days=settings.product_days,
        limit=settings.limit,
    )
    report.rows = rule_recommendations(figures, creator.timezone)
    report.rows += _ideas(report, figures, llm)
    report.part = lake.append("creator_recommendations", creator.creator_id, _table(report))
    return report
