"""The content rules: what a creator's own videos and the shop's sales say about what to post next.

Pure functions over plain rows (a creator's videos with their latest counts, the shop's sales per
product), each answer carrying the figures behind it: how many videos (or orders) it rests on, the metric,
its value, and the creator's baseline for the same metric, so a reader can judge a recommendation instead
of trusting it.

The metric of a group of videos is computed as in analytics.duckdb's `creator_posting_times`,
`creator_hashtags` and `creator_formats`: `engagement_rate` = Σ(likes + comments + shares) / Σ views of
the group, `avg_views` = Σ views / videos; the baseline is the same over all of the creator's videos.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

# Length buckets of videos, in seconds: (label, upper bound exclusive); analytics' `duration_bucket`.
DURATION_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("<15s", 15),
    ("15-30s", 30),
    ("30-60s", 60),
    ("1-3min", 180),
    ("3min+", None),
)
METRICS = ("engagement_rate", "avg_views")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_HASHTAG = re.compile(r"#(\w+)", re.UNICODE)


@dataclass(frozen=True)
class VideoStats:
    """One video of a creator with its latest counts (`posted_at` in UTC)."""

    video_id: str
    posted_at: datetime | None
    title: str | None = None
    description: str | None = None
    duration_seconds: int | None = None
    views: int = 0
    likes: int = 0
    comments: int = 0
    shares: int = 0

    @property
    def interactions(self) -> int:
        return self.likes + self.comments + self.shares

    @property
    def text(self) -> str:
        return f"{self.title or ''} {self.description or ''}"


@dataclass(frozen=True)
class GroupFigures:
    """A group of videos (an hour, a hashtag, a length) beside the creator's baseline."""

    videos: int
    views: int
    avg_views: float
    engagement_rate: float | None
    baseline_avg_views: float
    baseline_engagement_rate: float | None

    def value(self, metric: str) -> float | None:
        return self.engagement_rate if metric == "engagement_rate" else self.avg_views

    def baseline(self, metric: str) -> float | None:
        return self.baseline_engagement_rate if metric == "engagement_rate" else self.baseline_avg_views

    def lift(self, metric: str) -> float | None:
        """value / baseline: 1.3 means 30 % above the creator's own average."""
        value, base = self.value(metric), self.baseline(metric)
        return None if value is None or not base else value / base


@dataclass(frozen=True)
class PostingSlot:
    """An hour of the day to post at (in the creator's time zone), on any day or on one ISO weekday."""

    hour: int
    weekday: int | None
    figures: GroupFigures

    @property
    def label(self) -> str:
        time = f"{self.hour:02d}:00"
        return f"{WEEKDAYS[self.weekday - 1]} {time}" if self.weekday else time


@dataclass(frozen=True)
class HashtagFigure:
    hashtag: str  # lower case, without '#'
    figures: GroupFigures


@dataclass(frozen=True)
class FormatFigure:
    duration_bucket: str
    avg_duration_seconds: float | None
    figures: GroupFigures


@dataclass(frozen=True)
class ProductSales:
    """A product's sales on the shop over a recent window."""

    channel_product_id: str
    product_name: str | None
    orders: int
    units: int
    net: Decimal
    currency: str | None = None
    seller_skus: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProductGap:
    """A product that sells but that no recent video of the creator mentions."""

    product: ProductSales
    window_days: int
    baseline_net: Decimal  # average net of the shop's selling products over the same window


@dataclass
class ContentFigures:
    """Everything the rules found for one creator: the input of the recommendations and of the LLM
    prompt (aggregates only: no video, no name)."""

    videos: int
    baseline_avg_views: float
    baseline_engagement_rate: float | None
    metric: str
    min_videos: int
    hours: list[PostingSlot] = field(default_factory=list)
    slots: list[PostingSlot] = field(default_factory=list)
    hashtags: list[HashtagFigure] = field(default_factory=list)
    formats: list[FormatFigure] = field(default_factory=list)
    products: list[ProductGap] = field(default_factory=list)


def engagement_rate(videos: Sequence[VideoStats]) -> float | None:
    views = sum(v.views for v in videos)
    return sum(v.interactions for v in videos) / views if views else None


def _figures(group: Sequence[VideoStats], all_videos: Sequence[VideoStats]) -> GroupFigures:
    views = sum(v.views for v in group)
    return GroupFigures(
        videos=len(group),
        views=views,
        avg_views=views / len(group) if group else 0.0,
        engagement_rate=engagement_rate(group),
        baseline_avg_views=sum(v.views for v in all_videos) / len(all_videos) if all_videos else 0.0,
        baseline_engagement_rate=engagement_rate(all_videos),
    )


def _check(metric: str, min_videos: int) -> None:
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
    if min_videos < 1:
        raise ValueError(f"min_videos must be at least 1, got {min_videos}")


def _ranked(groups: dict, videos: Sequence[VideoStats], metric: str, min_videos: int, make: Callable) -> list:
    """Groups with at least `min_videos` videos, best first by `metric` (then the other metric, then the
    group's own order)."""
    other = METRICS[1] if metric == METRICS[0] else METRICS[0]
    rows = [(key, _figures(group, videos)) for key, group in groups.items() if len(group) >= min_videos]
    rows.sort(key=lambda r: (-(r[1].value(metric) or 0.0), -(r[1].value(other) or 0.0), r[0]))
    return [make(key, figures) for key, figures in rows]


def best_posting_hours(
    videos: Sequence[VideoStats],
    timezone: str,
    *,
    metric: str = "engagement_rate",
    min_videos: int = 3,
    by_weekday: bool = False,
    limit: int | None = 3,
) -> list[PostingSlot]:
    """The hours of the day (in `timezone`) the creator's videos did best at, best first: only hours with
    at least `min_videos` videos posted count. With `by_weekday`, (weekday, hour) slots instead, each
    needing `min_videos` of its own; usually empty until the creator has many videos."""
    _check(metric, min_videos)
    zone = ZoneInfo(timezone)
    groups: dict[tuple[int, int], list[VideoStats]] = {}
    for video in videos:
        if video.posted_at is None:
            continue
        local = video.posted_at.astimezone(zone)
        key = (local.isoweekday() if by_weekday else 0, local.hour)
        groups.setdefault(key, []).append(video)
    slots = _ranked(
        groups,
        videos,
        metric,
        min_videos,
        lambda k, f: PostingSlot(hour=k[1], weekday=k[0] or None, figures=f),
    )
    return slots[:limit] if limit is not None else slots


def hashtags_of(text: str | None) -> list[str]:
    """The hashtags of a text, lower case, without '#', each once, in order of appearance."""
    seen: dict[str, None] = {}
    for tag in _HASHTAG.findall((text or "").lower()):
        seen.setdefault(tag, None)
    return list(seen)


def best_hashtags(
    videos: Sequence[VideoStats],
    *,
    metric: str = "engagement_rate",
    min_videos: int = 2,
    limit: int | None = 5,
) -> list[HashtagFigure]:
    """The hashtags (from titles and descriptions, counted once per video) whose videos did best, best
    first; a hashtag used in fewer than `min_videos` videos does not count."""
    _check(metric, min_videos)
    groups: dict[str, list[VideoStats]] = {}
    for video in videos:
        for tag in hashtags_of(video.text):
            groups.setdefault(tag, []).append(video)
    tags = _ranked(groups, videos, metric, min_videos, lambda k, f: HashtagFigure(hashtag=k, figures=f))
    return tags[:limit] if limit is not None else tags


def duration_bucket(seconds: int | None) -> str:
    if seconds is None:
        return "unknown"
    for label, bound in DURATION_BUCKETS:
        if bound is None or seconds < bound:
            return label
    return DURATION_BUCKETS[-1][0]


def best_formats(
    videos: Sequence[VideoStats],
    *,
    metric: str = "engagement_rate",
    min_videos: int = 2,
    limit: int | None = 3,
) -> list[FormatFigure]:
    """The video lengths (duration buckets) that did best, best first; videos of unknown length are left
    out, and a bucket with fewer than `min_videos` videos does not count."""
    _check(metric, min_videos)
    groups: dict[str, list[VideoStats]] = {}
    for video in videos:
        if video.duration_seconds is not None:
            groups.setdefault(duration_bucket(video.duration_seconds), []).append(video)

    def make(bucket: str, figures: GroupFigures) -> FormatFigure:
        lengths = [v.duration_seconds for v in groups[bucket] if v.duration_seconds is not None]
        return FormatFigure(bucket, sum(lengths) / len(lengths) if lengths else None, figures)

    formats = _ranked(groups, videos, metric, min_videos, make)
    return formats[:limit] if limit is not None else formats


def normalized(text: str | None) -> str:
    """Lower case, accents removed, runs of anything but letters and digits as one space."""
    plain = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return " " + " ".join(re.findall(r"[a-z0-9]+", plain)) + " "


def mentions(product: ProductSales, text: str) -> bool:
    """Whether a video's text names the product: its whole name, one of its seller SKUs or its id, as
    words (accents and case aside)."""
    haystack = normalized(text)
    names = [product.product_name, *product.seller_skus, product.channel_product_id]
    return any(needle.strip() and needle in haystack for needle in (normalized(n) for n in names if n))


def products_without_video(
    products: Iterable[ProductSales],
    videos: Sequence[VideoStats],
    *,
    as_of: datetime,
    window_days: int = 30,
    limit: int | None = 5,
) -> list[ProductGap]:
    """Products that sell (best sellers first, by net) but that no video of the creator posted within the
    last `window_days` days mentions."""
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, got {window_days}")
    selling = [p for p in products if p.orders > 0]
    since = as_of - timedelta(days=window_days)
    recent = [v.text for v in videos if v.posted_at is not None and v.posted_at >= since]
    baseline = sum((p.net for p in selling), Decimal(0)) / len(selling) if selling else Decimal(0)
    gaps = [p for p in selling if not any(mentions(p, text) for text in recent)]
    gaps.sort(key=lambda p: (-p.net, -p.units, p.channel_product_id))
    found = [ProductGap(p, window_days, baseline.quantize(Decimal("0.01"))) for p in gaps]
    return found[:limit] if limit is not None else found


def content_figures(
    videos: Sequence[VideoStats],
    products: Iterable[ProductSales],
    *,
    timezone: str,
    as_of: datetime,
    metric: str = "engagement_rate",
    min_videos: int = 3,
    window_days: int = 30,
    limit: int = 5,
) -> ContentFigures:
    """Every rule over one creator's videos and the shop's sales. Hashtags and formats need
    `max(2, min_videos // 2)` videos each: fewer videos share a hashtag than an hour."""
    group_min = max(2, min_videos // 2)
    return ContentFigures(
        videos=len(videos),
        baseline_avg_views=sum(v.views for v in videos) / len(videos) if videos else 0.0,
        baseline_engagement_rate=engagement_rate(videos),
        metric=metric,
        min_videos=min_videos,
        hours=best_posting_hours(videos, timezone, metric=metric, min_videos=min_videos, limit=limit),
        slots=best_posting_hours(
            videos, timezone, metric=metric, min_videos=min_videos, by_weekday=True, limit=limit
        ),
        hashtags=best_hashtags(videos, metric=metric, min_videos=group_min, limit=limit),
        formats=best_formats(videos, metric=metric, min_videos=group_min, limit=limit),
        products=products_without_video(products, videos, as_of=as_of, window_days=window_days, limit=limit),
    )
