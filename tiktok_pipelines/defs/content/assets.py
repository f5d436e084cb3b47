"""`creator/recommendations`: one run of the content rules (and of the language model's ideas) per
creator partition, stored in the creator lake. One call into the content lane."""

from pathlib import Path

import dagster as dg

from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.defs.resources.analytics import AnalyticsDatabase
from tiktok_pipelines.defs.resources.content import ContentRecommender
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.defs.resources.storage import ParquetLake
from tiktok_pipelines.lanes.content.recommendations import RecommendationReport, recommend, shop_sales
from tiktok_pipelines.partitions import creators_partitions
from tiktok_pipelines.stores.creator_lake import CreatorLake
from tiktok_pipelines.stores.creators import CreatorRegistry

COLUMNS = ("kind", "rank", "recommendation", "sample", "metric", "value", "baseline", "lift", "source")


def _number(metric: str | None, value: float | None) -> str:
    if value is None:
        return ""
    return f"{value * 100:.1f} %" if metric == "engagement_rate" else f"{value:,.2f}"


def _table_rows(report: RecommendationReport, per_kind: int = 3) -> list[dict]:
    rows = []
    for r in report.rows:
        if r.rank > per_kind:
            continue
        lift = r.lift
        rows.append(
            {
                "kind": r.kind,
                "rank": r.rank,
                "recommendation": r.subject if r.kind == "idea" else r.text,
                "sample": r.sample_size,
                "metric": r.metric,
                "value": _number(r.metric, r.value),
                "baseline": _number(r.metric, r.baseline),
                "lift": "" if lift is None else f"×{lift:.2f}",
                "source": r.source,
            }
        )
    return rows


def _metadata(report: RecommendationReport) -> dict:
    metadata = {
        "dagster/row_count": len(report.rows),
        "videos_analysed": report.videos,
        "top_recommendations": md(markdown_table(_table_rows(report), COLUMNS, limit=30, width=160)),
        "ideas_source": report.ideas_source,
        "llm_status": report.llm_status,
        "llm_model": report.model or "",
        "llm_prompt_tokens": report.prompt_tokens,
        "llm_completion_tokens": report.completion_tokens,
        "llm_cost": report.cost,
        "generated_at": report.generated_at.isoformat(),
    }
    if report.sales_note:
        metadata["products_left_out"] = report.sales_note
    return metadata


@dg.asset(
    key=dg.AssetKey(["creator", "recommendations"]),
    partitions_def=creators_partitions,
    group_name=Lane.CONTENT.value,
    kinds={"parquet"},
    deps=[dg.AssetKey(["creator", "video_metrics"])],
)
def creator_recommendations(
    context: dg.AssetExecutionContext,
    content: ContentRecommender,
    state: StateStore,
    lake: ParquetLake,
    analytics: AnalyticsDatabase,
) -> dg.MaterializeResult:
    """What the creator should post next, each with the figures behind it (videos or orders it rests on,
    the metric, the creator's baseline): the best posting hours (and weekday slots once there are enough
    videos), the hashtags and video lengths that performed, the products that sell on the shop but no
    recent video mentions, and content ideas (title, hook, script, caption, hashtags) from the language
    model when TIKTOK_PIPELINES_LLM_API_KEY is set, else from the rules (`ideas_source`, `llm_status`).
    Stored per run in the lake's `creator_recommendations` (analytics table of the same name)."""
    creator = CreatorRegistry(state.db).find(context.partition_key)
    if creator is None:
        raise dg.Failure(description=f"no creator {context.partition_key} in the registry")

    def sales(client_id, as_of, days):
        with analytics.connect() as con:
            return shop_sales(con, client_id, as_of, days)

    built = Path(analytics.path).is_file()
    report = recommend(
        CreatorLake(lake.objects),
        creator,
        sales=sales if built else None,
        llm=content.llm(),
        settings=content.settings(),
    )
    if report.llm_status != "ok":
        context.log.info("creator %s: ideas from the rules (%s)", creator.creator_id, report.llm_status)
    return dg.MaterializeResult(metadata=_metadata(report))
