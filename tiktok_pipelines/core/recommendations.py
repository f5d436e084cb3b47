"""A creator's recommendations as rows: the rules' findings (posting hours, hashtags, formats, products to
feature) and content ideas, each with the figures behind it, and the prompt that asks a language model
for ideas from those figures. Pure.

The prompt is made of aggregates only (counts, rates, hours, hashtags, lengths, the shop's product names
and sales): never a creator's id, name, handle or open_id, nor a video's title or link.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from tiktok_pipelines.core.content import ContentFigures, GroupFigures

SOURCE_RULES = "rules"
SOURCE_LLM = "llm"
KINDS = ("posting_hour", "posting_slot", "hashtag", "format", "product", "idea")


@dataclass(frozen=True)
class Idea:
    """A content idea: what to film, how it opens, a short script, the caption and its hashtags."""

    title: str
    hook: str
    script: str
    caption: str
    hashtags: list[str]
    posting_hour: int | None = None
    duration_bucket: str | None = None


@dataclass(frozen=True)
class Recommendation:
    kind: str
    rank: int
    subject: str  # the hour, hashtag, length, product or idea title
    text: str  # the recommendation, in a sentence, with its figures
    source: str = SOURCE_RULES
    metric: str | None = None
    value: float | None = None
    baseline: float | None = None
    sample_size: int | None = None  # videos (orders, for a product) it rests on
    details: dict = field(default_factory=dict)

    @property
    def lift(self) -> float | None:
        return self.value / self.baseline if self.value is not None and self.baseline else None


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f} %"


def _metric_text(metric: str, value: float | None) -> str:
    return f"{_pct(value)} engagement" if metric == "engagement_rate" else f"{value or 0:,.0f} average views"


def _group(
    kind: str, rank: int, subject: str, lead: str, metric: str, f: GroupFigures, **extra
) -> Recommendation:
    value, base = f.value(metric), f.baseline(metric)
    text = (
        f"{lead}: {f.videos} videos, {_metric_text(metric, value)} against {_metric_text(metric, base)} "
        f"over all videos ({f.avg_views:,.0f} average views)."
    )
    details = {
        "views": f.views,
        "avg_views": round(f.avg_views, 2),
        "engagement_rate": f.engagement_rate,
        **extra,
    }
    return Recommendation(kind, rank, subject, text, SOURCE_RULES, metric, value, base, f.videos, details)


def performing(groups: list, metric: str) -> list:
    """The groups (hours, hashtags, lengths) that did at least as well as the creator's own average."""
    kept = []
    for group in groups:
        value, base = group.figures.value(metric), group.figures.baseline(metric)
        if value is not None and (not base or value >= base):
            kept.append(group)
    return kept


def rule_recommendations(figures: ContentFigures, timezone: str) -> list[Recommendation]:
    """The rules' findings, best first within each kind; an hour, hashtag or length that did worse than
    the creator's average is not recommended."""
    m = figures.metric
    rows: list[Recommendation] = []
    for i, slot in enumerate(performing(figures.hours, m), 1):
        lead = f"Post at {slot.label} ({timezone})"
        rows.append(_group("posting_hour", i, slot.label, lead, m, slot.figures))
    for i, slot in enumerate(performing(figures.slots, m), 1):
        lead = f"Post on {slot.label} ({timezone})"
        rows.append(_group("posting_slot", i, slot.label, lead, m, slot.figures))
    for i, tag in enumerate(performing(figures.hashtags, m), 1):
        rows.append(_group("hashtag", i, f"#{tag.hashtag}", f"Use #{tag.hashtag}", m, tag.figures))
    for i, fmt in enumerate(performing(figures.formats, m), 1):
        lead = f"Make {fmt.duration_bucket} videos"
        seconds = fmt.avg_duration_seconds
        rows.append(
            _group("format", i, fmt.duration_bucket, lead, m, fmt.figures, avg_duration_seconds=seconds)
        )
    for i, gap in enumerate(figures.products, 1):
        p = gap.product
        name = p.product_name or p.channel_product_id
        money = f"{p.net:,.2f} {p.currency or ''}".strip()
        text = (
            f"Feature {name}: {p.orders} orders, {p.units} units, {money} net in the last {gap.window_days} "
            f"days (shop average {gap.baseline_net:,.2f}), and no video mentioned it in that time."
        )
        details = {
            "channel_product_id": p.channel_product_id,
            "units": p.units,
            "seller_skus": list(p.seller_skus),
        }
        rows.append(
            Recommendation(
                "product",
                i,
                name,
                text,
                SOURCE_RULES,
                "net",
                float(p.net),
                float(gap.baseline_net),
                p.orders,
                details,
            )
        )
    return rows


def rule_ideas(figures: ContentFigures, count: int = 3) -> list[Idea]:
    """Ideas made from the findings alone: a product that sells without a video first, then the best
    hashtags; each at the best hour, in the best length, with the best hashtags."""
    tags = [t.hashtag for t in figures.hashtags[:3]]
    hour = figures.hours[0].hour if figures.hours else None
    length = figures.formats[0].duration_bucket if figures.formats else None
    length_text = f" ({length})" if length else ""
    ideas = []
    for gap in figures.products[:count]:
        name = gap.product.product_name or gap.product.channel_product_id
        ideas.append(
            Idea(
                title=f"{name} in use",
                hook=f"The first 3 seconds: {name} in hand, the problem it solves said out loud.",
                script=(
                    f"Open on {name}{length_text}. Show it in use, one close-up of the detail that sells it, "
                    f"then the price and 'link in the shop tab'. It sold {gap.product.orders} times in "
                    f"{gap.window_days} days with no video: say it is a best seller."
                ),
                caption=" ".join([name, *(f"#{t}" for t in tags)]),
                hashtags=tags,
                posting_hour=hour,
                duration_bucket=length,
            )
        )
    for tag in figures.hashtags:
        if len(ideas) >= count:
            break
        ideas.append(
            Idea(
                title=f"Another #{tag.hashtag} video",
                hook=f"Start the way your best #{tag.hashtag} videos did.",
                script=(
                    f"#{tag.hashtag} videos averaged {tag.figures.avg_views:,.0f} views over "
                    f"{tag.figures.videos} videos{length_text}: make one more on the same theme."
                ),
                caption=" ".join(f"#{t}" for t in dict.fromkeys([tag.hashtag, *tags])),
                hashtags=list(dict.fromkeys([tag.hashtag, *tags])),
                posting_hour=hour,
                duration_bucket=length,
            )
        )
    return ideas


def idea_rows(ideas: list[Idea], source: str) -> list[Recommendation]:
    return [
        Recommendation(
            "idea",
            i,
            idea.title,
            f"{idea.hook} {idea.script}",
            source,
            sample_size=None,
            details=asdict(idea),
        )
        for i, idea in enumerate(ideas, 1)
    ]


def _slot(slot) -> dict:
    f = slot.figures
    row = {"hour": slot.hour, "videos": f.videos, "avg_views": round(f.avg_views, 1)}
    if slot.weekday:
        row["weekday"] = slot.weekday
    row["engagement_rate"] = None if f.engagement_rate is None else round(f.engagement_rate, 4)
    return row


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def prompt_figures(figures: ContentFigures, ideas_wanted: int) -> dict:
    """The aggregated figures a model sees (and nothing else about the creator)."""
    return {
        "videos_analysed": figures.videos,
        "baseline": {
            "avg_views": round(figures.baseline_avg_views, 1),
            "engagement_rate": None
            if figures.baseline_engagement_rate is None
            else round(figures.baseline_engagement_rate, 4),
        },
        "best_hours": [_slot(s) for s in figures.hours],
        "best_weekday_slots": [_slot(s) for s in figures.slots],
        "best_hashtags": [
            {"hashtag": t.hashtag, "videos": t.figures.videos, "avg_views": round(t.figures.avg_views, 1)}
            for t in figures.hashtags
        ],
        "best_lengths": [
            {
                "duration_bucket": f.duration_bucket,
                "videos": f.figures.videos,
                "avg_views": round(f.figures.avg_views, 1),
            }
            for f in figures.formats
        ],
        "products_to_feature": [
            {
                "product": g.product.product_name or g.product.channel_product_id,
                "orders": g.product.orders,
                "units": g.product.units,
                "net": _money(g.product.net),
                "currency": g.product.currency,
                "days_without_video": g.window_days,
            }
            for g in figures.products
        ],
        "ideas_wanted": ideas_wanted,
    }


def llm_messages(figures: ContentFigures, language: str, ideas_wanted: int = 3) -> list[dict]:
    """The chat messages asking for ideas: instructions, then the figures as JSON."""
    system = (
        "You plan short TikTok videos for a shop's creator account. From the account's aggregated "
        f"figures, propose {ideas_wanted} content ideas in {language}: a title, a hook for the first "
        "3 seconds, a short script (under 80 words), a caption and 3 to 5 hashtags without '#'. Prefer "
        "the products to feature, the best posting hour and length, and the hashtags that performed. "
        "Answer with JSON matching the schema."
    )
    user = json.dumps(prompt_figures(figures, ideas_wanted), ensure_ascii=False, sort_keys=True)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]
