"""The content rules on known figures: the best hour, hashtags, lengths and the products without a video
are the ones the numbers make best, each with its sample and baseline."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tiktok_pipelines.core.content import (
    ProductSales,
    VideoStats,
    best_formats,
    best_hashtags,
    best_posting_hours,
    content_figures,
    hashtags_of,
    products_without_video,
)
from tiktok_pipelines.core.recommendations import llm_messages, rule_ideas, rule_recommendations

TZ = "America/Sao_Paulo"  # UTC-3
NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)


def video(n, hour_utc, views, interactions, text="", seconds=20, days_ago=10):
    posted = (NOW - timedelta(days=days_ago)).replace(hour=hour_utc, minute=5)
    return VideoStats(f"v{n}", posted, text, None, seconds, views, interactions, 0, 0)


@pytest.fixture
def videos():
    # 22:xx UTC = 19:xx in São Paulo: 3 videos, 10 % engagement; 15:xx UTC = 12:xx: 3 videos, 2 %;
    # 01:xx UTC = 22:xx the day before: 2 videos at 50 % (too few to count with min_videos=3).
    return [
        video(1, 22, 1000, 100, "#Moda look", 25),
        video(2, 22, 2000, 200, "#moda #verao", 28),
        video(3, 22, 3000, 300, "noite #verao", 50),
        video(4, 15, 1000, 20, "#promo", 70),
        video(5, 15, 1000, 20, "#promo almoço", 75),
        video(6, 15, 1000, 20, "sem tag", 200),
        video(7, 1, 100, 50, "#viral", 10),
        video(8, 1, 100, 50, "#viral", 12),
    ]


def test_the_best_hour_is_the_one_with_the_best_engagement_among_hours_with_enough_videos(videos):
    slots = best_posting_hours(videos, TZ, min_videos=3)
    assert [s.hour for s in slots] == [19, 12]
    best = slots[0].figures
    assert best.videos == 3 and best.views == 6000 and best.engagement_rate == pytest.approx(0.1)
    assert best.baseline_engagement_rate == pytest.approx(760 / 9200)
    assert best.lift("engagement_rate") == pytest.approx(0.1 / (760 / 9200))
    assert best_posting_hours(videos, TZ, min_videos=2)[0].hour == 22


def test_by_views_the_best_hour_changes_and_weekday_slots_need_their_own_sample(videos):
    assert best_posting_hours(videos, TZ, metric="avg_views", min_videos=3)[0].figures.avg_views == 2000
    slots = best_posting_hours(videos, TZ, min_videos=3, by_weekday=True)
    assert [(s.weekday, s.hour) for s in slots] == [(3, 19), (3, 12)]  # all posted on 2026-11-25, a Wednesday
    assert slots[0].label == "Wednesday 19:00"
    with pytest.raises(ValueError, match="metric"):
        best_posting_hours(videos, TZ, metric="likes")


def test_hashtags_are_parsed_once_per_video_in_lower_case_and_ranked_by_their_videos():
    assert hashtags_of("#Moda e #moda #verão_2026 #") == ["moda", "verão_2026"]


def test_the_best_hashtags_need_enough_videos(videos):
    tags = best_hashtags(videos, min_videos=2)
    assert [t.hashtag for t in tags] == ["viral", "verao", "moda", "promo"]  # a tie on engagement: views
    moda = tags[2].figures
    assert (moda.videos, moda.views, moda.engagement_rate) == (2, 3000, pytest.approx(0.1))
    assert [t.hashtag for t in best_hashtags(videos, min_videos=3)] == []


def test_the_best_lengths(videos):
    formats = best_formats(videos, min_videos=2)
    assert [f.duration_bucket for f in formats] == ["<15s", "15-30s", "1-3min"]
    assert formats[1].figures.videos == 2 and formats[1].avg_duration_seconds == 26.5


def test_a_selling_product_without_a_recent_video_is_recommended_and_one_mentioned_is_not():
    products = [
        ProductSales("p1", "Vestido Floral Midi", 12, 14, Decimal("1400.00"), "BRL", ("VEST-01",)),
        ProductSales("p2", "Bolsa de Palha", 30, 30, Decimal("2100.00"), "BRL", ("BOL-9",)),
        ProductSales("p3", "Sandália Couro", 5, 5, Decimal("500.00"), "BRL", ("SAN-3",)),
        ProductSales("p4", "Chapéu", 0, 0, Decimal("0"), "BRL"),
    ]
    videos = [
        video(1, 22, 100, 1, "Meu vestido floral midi favorito", days_ago=3),  # names p1, accents aside
        video(2, 22, 100, 1, "look com a sku san-3", days_ago=3),  # p3 by its SKU
        video(3, 22, 100, 1, "bolsa de palha", days_ago=40),  # p2, but too long ago
    ]
    gaps = products_without_video(products, videos, as_of=NOW, window_days=30)
    assert [g.product.channel_product_id for g in gaps] == ["p2"]
    assert gaps[0].baseline_net == Decimal("1333.33")  # the three selling products' average
    assert [
        g.product.channel_product_id
        for g in products_without_video(products, videos, as_of=NOW, window_days=60)
    ] == []


def test_recommendations_carry_their_figures_and_rule_ideas_use_them(videos):
    products = [ProductSales("p2", "Bolsa de Palha", 30, 30, Decimal("2100.00"), "BRL")]
    figures = content_figures(videos, products, timezone=TZ, as_of=NOW, min_videos=3)
    rows = rule_recommendations(figures, TZ)
    hour = next(r for r in rows if r.kind == "posting_hour")
    assert (hour.subject, hour.sample_size, hour.metric) == ("19:00", 3, "engagement_rate")
    assert hour.value == pytest.approx(0.1) and hour.baseline == pytest.approx(760 / 9200)
    assert "3 videos" in hour.text and "10.0 %" in hour.text
    # 12:00 is the second best hour but below the creator's average: not recommended.
    assert [s.hour for s in figures.hours] == [19, 12]
    assert [r.subject for r in rows if r.kind == "posting_hour"] == ["19:00"]
    assert "#promo" not in [r.subject for r in rows if r.kind == "hashtag"]
    product = next(r for r in rows if r.kind == "product")
    assert (product.subject, product.sample_size, product.value) == ("Bolsa de Palha", 30, 2100.0)
    ideas = rule_ideas(figures)
    assert ideas[0].title == "Bolsa de Palha in use" and ideas[0].posting_hour == 19
    assert ideas[0].hashtags == ["viral", "verao", "moda"]


def test_the_prompt_holds_aggregates_only(videos):
    secret_text = [VideoStats("v9", NOW, "maria_handle secret title", "open_id_123", 20, 10, 1, 0, 0)]
    figures = content_figures(videos + secret_text, [], timezone=TZ, as_of=NOW)
    prompt = " ".join(m["content"] for m in llm_messages(figures, "pt-BR"))
    assert "secret title" not in prompt and "open_id_123" not in prompt and "v1" not in prompt
    assert '"videos_analysed": 9' in prompt


def test_videos_without_views_or_a_posting_time_and_bad_settings():
    unseen = [video(1, 22, 0, 0, "#novo"), video(2, 22, 0, 0, "#novo"), video(3, 22, 0, 0)]
    undated = [VideoStats("v9", None, "#novo", None, None, 100, 10, 0, 0)]
    [slot] = best_posting_hours(unseen + undated, TZ, min_videos=3)
    assert (slot.hour, slot.figures.videos, slot.figures.engagement_rate) == (19, 3, None)
    assert slot.figures.lift("engagement_rate") is None
    assert best_formats(undated, min_videos=1) == []  # no length known
    with pytest.raises(ValueError, match="min_videos"):
        best_hashtags(unseen, min_videos=0)
    with pytest.raises(ValueError, match="window_days"):
        products_without_video([], unseen, as_of=NOW, window_days=0)
