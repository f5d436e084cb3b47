"""The recommendations run over a creator lake: the rules' findings stored with their figures, the source
and the date; with no model configured the ideas are the rules', labelled so."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tiktok_pipelines.core.content import ProductSales
from tiktok_pipelines.core.creator_tables import metrics_table, videos_table
from tiktok_pipelines.lanes.content.llm import LlmConfig
from tiktok_pipelines.lanes.content.recommendations import (
    creator_best_hashtags,
    creator_best_hours,
    latest_recommendations,
    recommend,
)
from tiktok_pipelines.stores.creator_lake import CreatorLake
from tiktok_pipelines.stores.creators import Creator
from tiktok_pipelines.stores.objects import LocalObjectStore

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)


def creator(client_id="loja") -> Creator:
    profile = dict.fromkeys(("open_id", "display_name", "username", "avatar_url", "follower_count"))
    profile |= dict.fromkeys(("following_count", "likes_count", "video_count", "connected_at"))
    profile |= dict.fromkeys(("disconnected_at", "last_sync_at", "last_error"))
    return Creator(
        "maria",
        client_id,
        "America/Sao_Paulo",
        "connected",
        granted_scopes=(),
        created_at=NOW,
        updated_at=NOW,
        **profile,
    )


@pytest.fixture
def lake(tmp_path) -> CreatorLake:
    lake = CreatorLake(LocalObjectStore(tmp_path / "lake"))
    posted = NOW - timedelta(days=5)
    rows = [
        # 22:00 UTC is 19:00 in São Paulo; 15:00 UTC is 12:00.
        (f"v{i}", posted.replace(hour=hour), text, views, likes)
        for i, (hour, text, views, likes) in enumerate(
            [
                *[(22, "#moda", 1000, 100), (22, "#moda", 1000, 100), (22, "x", 1000, 100)],
                *[(15, "#promo", 1000, 10), (15, "#promo", 1000, 10), (15, "y", 1000, 10)],
            ]
        )
    ]
    api = [
        {"id": vid, "create_time": int(at.timestamp()), "title": text, "duration": 20}
        for vid, at, text, _, _ in rows
    ]
    lake.append("creator_videos", "maria", videos_table("maria", api, NOW))
    old = [{"id": vid, "view_count": 1, "like_count": 0} for vid, *_ in rows]
    lake.append("creator_video_metrics", "maria", metrics_table("maria", old, NOW - timedelta(days=1)))
    counts = [{"id": vid, "view_count": v, "like_count": likes} for vid, _, _, v, likes in rows]
    lake.append("creator_video_metrics", "maria", metrics_table("maria", counts, NOW))
    return lake


def sales(client_id, as_of, days):
    assert (client_id, as_of, days) == ("loja", NOW, 30)
    return [ProductSales("p1", "Bolsa de Palha", 7, 8, Decimal("700.00"), "BRL", ("BOL-1",))]


def test_the_best_hour_and_hashtags_of_a_creator_come_from_its_newest_counts(lake):
    [best, second] = creator_best_hours(lake, creator())
    assert (best.hour, best.figures.videos, best.figures.engagement_rate) == (19, 3, pytest.approx(0.1))
    assert second.hour == 12
    assert [t.hashtag for t in creator_best_hashtags(lake, "maria")] == ["moda", "promo"]


def test_a_run_is_stored_with_its_figures_source_and_date_and_without_a_key_ideas_are_the_rules(lake):
    report = recommend(lake, creator(), sales=sales, llm=LlmConfig(api_key=None), as_of=NOW)
    assert report.ideas_source == "rules" and report.llm_status == "no_key"
    stored = latest_recommendations(lake, "maria")
    assert {r["generated_at"] for r in stored} == {NOW}
    hour = next(r for r in stored if r["kind"] == "posting_hour" and r["rank"] == 1)
    assert (hour["subject"], hour["sample_size"], hour["source"]) == ("19:00", 3, "rules")
    assert hour["value"] == pytest.approx(0.1) and hour["baseline"] == pytest.approx(330 / 6000)
    product = next(r for r in stored if r["kind"] == "product")
    assert (product["subject"], product["sample_size"], product["value"]) == ("Bolsa de Palha", 7, 700.0)
    ideas = [r for r in stored if r["kind"] == "idea"]
    assert ideas and {(r["source"], r["llm_status"]) for r in ideas} == {("rules", "no_key")}
    assert ideas[0]["details"]["posting_hour"] == 19

    later = recommend(
        lake, creator(client_id=None), sales=sales, llm=LlmConfig(api_key=None), as_of=NOW + timedelta(days=1)
    )
    assert later.sales_note == "the creator is linked to no client"
    assert not [r for r in latest_recommendations(lake, "maria") if r["kind"] == "product"]


def test_a_creator_with_nothing_to_go_on_gets_no_ideas_and_no_model_is_asked(tmp_path):
    empty = CreatorLake(LocalObjectStore(tmp_path / "empty"))
    asked = LlmConfig(api_key="sk-never-used", base_url="http://127.0.0.1:9/v1", timeout_seconds=0.1)
    report = recommend(empty, creator(client_id=None), sales=None, llm=asked, as_of=NOW)
    assert (report.videos, report.rows, report.llm_status) == (0, [], "no_figures")
