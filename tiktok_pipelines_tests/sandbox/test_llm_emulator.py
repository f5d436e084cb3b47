"""The chat-completions emulator refuses what the real endpoint refuses, with its error bodies, and
answers deterministically from the prompt's figures in the shape of the schema asked for."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tiktok_pipelines.lanes.content.llm import IdeasAnswer, response_format
from tiktok_pipelines.sandbox.llm import SANDBOX_LLM_KEY, SANDBOX_LLM_MODEL, LlmEmulator, create_llm_app
from tiktok_pipelines.sandbox.server import ServerThread

FIGURES = {
    "best_hours": [{"hour": 19, "videos": 4}],
    "best_hashtags": [{"hashtag": "moda"}, {"hashtag": "verao"}],
    "best_lengths": [{"duration_bucket": "15-30s"}],
    "products_to_feature": [{"product": "Bolsa de Palha", "orders": 7}],
    "ideas_wanted": 2,
}


@pytest.fixture
def llm() -> Iterator[tuple[str, LlmEmulator]]:
    emulator = LlmEmulator()
    with ServerThread(create_llm_app(emulator)) as server:
        yield server.url, emulator


def post(url: str, body, key: str | None = SANDBOX_LLM_KEY) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers, timeout=10)


def request(**extra) -> dict:
    messages = [
        {"role": "system", "content": "ideas as JSON"},
        {"role": "user", "content": json.dumps(FIGURES)},
    ]
    return {"model": SANDBOX_LLM_MODEL, "messages": messages, **extra}


def test_a_missing_or_wrong_key_gets_openais_401(llm):
    url, _ = llm
    missing = post(url, request(), key=None)
    assert missing.status_code == 401
    error = missing.json()["error"]
    assert error["message"].startswith("You didn't provide an API key.")
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", None, None)
    wrong = post(url, request(), key="sk-wrong-0000000000001234")
    assert wrong.status_code == 401
    error = wrong.json()["error"]
    assert error["code"] == "invalid_api_key" and "sk-w********1234" in error["message"]
    assert "sk-wrong-0000000000001234" not in wrong.text


def test_the_model_messages_and_response_format_are_checked(llm):
    url, _ = llm
    unknown = post(url, request(model="gpt-9"))
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"
    assert post(url, request(messages=[])).json()["error"]["code"] == "empty_array"
    open_schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    refused = post(
        url,
        request(
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "x", "strict": True, "schema": open_schema},
            }
        ),
    )
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_json_schema"
    no_json = {
        "model": SANDBOX_LLM_MODEL,
        "messages": [{"role": "user", "content": "hi"}],
        "response_format": {"type": "json_object"},
    }
    assert post(url, no_json).status_code == 400


def test_the_answer_follows_the_schema_and_the_figures_and_is_the_same_twice(llm):
    url, emulator = llm
    first = post(url, request(response_format=response_format()))
    assert first.status_code == 200, first.text
    content = first.json()["choices"][0]["message"]["content"]
    ideas = IdeasAnswer.model_validate_json(content).ideas
    assert len(ideas) == 2 and "Bolsa de Palha" in ideas[0].title and ideas[0].posting_hour == 19
    assert ideas[0].hashtags == ["moda", "verao"] and ideas[1].title.startswith("#moda")
    usage = first.json()["usage"]
    assert (
        usage["prompt_tokens"] > 0
        and usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    )
    assert (
        post(url, request(response_format=response_format())).json()["choices"][0]["message"]["content"]
        == content
    )
    assert emulator.stats()["answered"] == 2


def test_the_next_answer_can_be_malformed_off_the_schema_or_a_500(llm):
    url, emulator = llm
    emulator.next("malformed")
    with pytest.raises(ValueError):
        json.loads(
            post(url, request(response_format=response_format())).json()["choices"][0]["message"]["content"]
        )
    emulator.next("schema_mismatch")
    content = post(url, request(response_format=response_format())).json()["choices"][0]["message"]["content"]
    assert json.loads(content) == {"ideas": "none today"}
    httpx.post(f"{url}/_sandbox/next", json={"status": 500}, timeout=5).raise_for_status()
    failed = post(url, request())
    assert failed.status_code == 500 and failed.json()["error"]["type"] == "server_error"
    assert post(url, request()).status_code == 200
