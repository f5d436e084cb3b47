"""`creator/recommendations` end to end: a creator synced from the TikTok for Developers emulator, its
recommendations made by the rules and its ideas written by the chat-completions emulator (tokens and cost
recorded, no personal data in the prompt); a malformed answer, a 500, a timeout, a wrong key or no key at
all leave ideas from the rules, labelled so."""

from __future__ import annotations

import json
import logging

import dagster as dg
import httpx
import pytest

from tiktok_pipelines.defs.resources.content import ContentRecommender
from tiktok_pipelines.lanes.content.recommendations import latest_recommendations
from tiktok_pipelines.partitions import CREATORS_PARTITION
from tiktok_pipelines.sandbox.llm import SANDBOX_LLM_KEY, SANDBOX_LLM_MODEL
from tiktok_pipelines.sandbox.world import DEMO_CREATOR, DEMO_CREATOR_NAME
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.creator_lake import CreatorLake
from tiktok_pipelines_tests.creators.conftest import CREATOR_ID, connect_creator, metadata, sync

pytestmark = pytest.mark.e2e


def recommend(
    resources: dict, instance, creator_id: str = CREATOR_ID, **content
) -> dg.ExecuteInProcessResult:
    from tiktok_pipelines.defs.content.assets import creator_recommendations

    if content:
        base = ContentRecommender.from_settings(Settings.load(), env_vars=False)
        fields = {name: getattr(base, name) for name in ContentRecommender.model_fields}
        resources = resources | {"content": ContentRecommender(**(fields | content))}
    return dg.materialize(
        [creator_recommendations],
        partition_key=creator_id,
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )


def next_answer(sandbox, **fault) -> None:
    httpx.post(f"{sandbox.urls()['llm']}/_sandbox/next", json=fault, timeout=5).raise_for_status()


@pytest.fixture
def synced(connected, sandbox, creator_resources, instance):
    assert sync(creator_resources, instance).success
    return connected


def test_a_synced_creator_gets_the_rules_figures_and_ideas_from_the_model(
    synced, sandbox, creator_resources, instance
):
    result = recommend(creator_resources, instance)
    assert result.success, result.all_events
    meta = metadata(result, "recommendations")
    assert (meta["ideas_source"], meta["llm_status"], meta["llm_model"]) == ("llm", "ok", SANDBOX_LLM_MODEL)
    assert meta["llm_prompt_tokens"] > 0 and meta["llm_completion_tokens"] > 0
    content = creator_resources["content"]
    expected_cost = (
        meta["llm_prompt_tokens"] * content.llm_cost_per_1k_prompt_tokens
        + meta["llm_completion_tokens"] * content.llm_cost_per_1k_completion_tokens
    ) / 1000
    assert meta["llm_cost"] == pytest.approx(expected_cost, abs=1e-6) and meta["llm_cost"] > 0
    assert "| posting_hour | 1 | Post at" in meta["top_recommendations"]
    assert meta["products_left_out"] == "the creator is linked to no client"

    stored = latest_recommendations(CreatorLake(creator_resources["lake"].objects), CREATOR_ID)
    ideas = [r for r in stored if r["kind"] == "idea"]
    assert ideas and {r["source"] for r in ideas} == {"llm"}
    assert all(r["details"]["hashtags"] and r["details"]["script"] for r in ideas)
    assert {r["source"] for r in stored if r["kind"] != "idea"} == {"rules"}

    # The prompt held aggregates only: nothing that names the creator.
    creator = synced.registry.get(CREATOR_ID)
    [request] = httpx.get(f"{sandbox.urls()['llm']}/_sandbox/requests", timeout=5).json()
    prompt = json.dumps(request["messages"], ensure_ascii=False)
    for personal in (CREATOR_ID, DEMO_CREATOR, DEMO_CREATOR_NAME, creator.open_id, creator.display_name):
        assert personal and personal not in prompt
    assert request["response_format"]["type"] == "json_schema"

    # The rules' best hour is the one the analytics tables show for hours with enough videos.
    creator_resources["analytics"].refresh(creator_resources["lake"], synced.db)
    with creator_resources["analytics"].connect() as con:
        best_hour = con.execute(
            """SELECT posted_hour FROM creator_video_performance WHERE creator_id = ?
               GROUP BY posted_hour HAVING count(*) >= 3
               ORDER BY (sum(likes) + sum(comments) + sum(shares)) / sum(views) DESC LIMIT 1""",
            [CREATOR_ID],
        ).fetchone()[0]
        table = con.execute(
            "SELECT kind, subject, source, sample_size FROM creator_recommendations WHERE creator_id = ?",
            [CREATOR_ID],
        ).fetchall()
    assert ("posting_hour", f"{best_hour:02d}:00", "rules") in [(k, s, src) for k, s, src, _ in table]
    assert len(table) == len(stored)


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        ({"fault": "malformed"}, "malformed"),
        ({"fault": "schema_mismatch"}, "schema_mismatch"),
        ({"status": 500}, "http_500"),
    ],
)
def test_a_bad_answer_leaves_ideas_from_the_rules_labelled_so(
    synced, sandbox, creator_resources, instance, fault, status
):
    next_answer(sandbox, **fault)
    result = recommend(creator_resources, instance)
    assert result.success, result.all_events
    meta = metadata(result, "recommendations")
    assert (meta["ideas_source"], meta["llm_status"]) == ("rules", status)
    stored = latest_recommendations(CreatorLake(creator_resources["lake"].objects), CREATOR_ID)
    ideas = [r for r in stored if r["kind"] == "idea"]
    assert ideas and {(r["source"], r["llm_status"]) for r in ideas} == {("rules", status)}


def test_a_slow_answer_times_out_into_the_rules(synced, sandbox, creator_resources, instance):
    next_answer(sandbox, delay_s=3)
    meta = metadata(recommend(creator_resources, instance, llm_timeout_seconds=0.5), "recommendations")
    assert (meta["ideas_source"], meta["llm_status"]) == ("rules", "timeout")


def test_no_key_or_a_wrong_key_leaves_the_rules_and_the_key_never_shows(
    synced, sandbox, creator_resources, instance, caplog
):
    caplog.set_level(logging.DEBUG)
    meta = metadata(recommend(creator_resources, instance, llm_api_key=None), "recommendations")
    assert (meta["ideas_source"], meta["llm_status"], meta["llm_prompt_tokens"]) == ("rules", "no_key", 0)
    wrong = "sk-wrong-key-000000000000"
    failed = recommend(creator_resources, instance, llm_api_key=wrong)
    meta = metadata(failed, "recommendations")
    assert (meta["ideas_source"], meta["llm_status"]) == ("rules", "http_401")
    answered = recommend(creator_resources, instance)
    assert metadata(answered, "recommendations")["llm_status"] == "ok"
    texts = [caplog.text, repr(creator_resources["content"]), repr(creator_resources["content"].llm())]
    for run in (failed, answered):
        texts += [f"{e.user_message} {e.dagster_event}" for e in instance.all_logs(run.run_id)]
    blob = "\n".join(texts)
    assert "creator__recommendations" in blob  # the logs were captured
    assert wrong not in blob and SANDBOX_LLM_KEY not in blob


def test_a_creator_of_a_client_waits_for_the_analytics_database_for_its_products(
    lane, demo_client, sandbox, creator_resources, instance
):
    lane.registry.add("ana", client_id=demo_client.client_id)
    assert connect_creator(lane, "ana").status_code == 200
    instance.add_dynamic_partitions(CREATORS_PARTITION, ["ana"])
    assert sync(creator_resources, instance, "ana").success
    before = metadata(recommend(creator_resources, instance, "ana"), "recommendations")
    assert before["products_left_out"] == "no sales figures yet (analytics.duckdb not built)"
    creator_resources["analytics"].refresh(creator_resources["lake"], lane.db)
    after = metadata(recommend(creator_resources, instance, "ana"), "recommendations")
    assert "products_left_out" not in after and after["llm_status"] == "ok"
