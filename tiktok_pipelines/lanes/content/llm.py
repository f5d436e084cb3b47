"""Content ideas from a language model behind an OpenAI-compatible chat-completions endpoint (the `openai`
client), as structured output: the answer must match `IdeasAnswer`'s JSON schema, and is validated
against it again here. Tokens and their cost are counted. Any failure (no key, timeout, refusal, an HTTP
error, malformed JSON, an answer off the schema) is an `LlmFailure` with a short status and never the
key or the endpoint's message (which may quote the key)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Annotated

import openai
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tiktok_pipelines.core.recommendations import Idea

SCHEMA_NAME = "content_ideas"


class IdeaAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(min_length=1, max_length=120)]
    hook: Annotated[str, Field(min_length=1, max_length=300)]
    script: Annotated[str, Field(min_length=1, max_length=1500)]
    caption: Annotated[str, Field(min_length=1, max_length=2200)]
    hashtags: Annotated[list[Annotated[str, Field(pattern=r"^[^\s#]+$")]], Field(min_length=1, max_length=10)]
    posting_hour: Annotated[int, Field(ge=0, le=23)] | None
    duration_bucket: str | None


class IdeasAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ideas: Annotated[list[IdeaAnswer], Field(min_length=1, max_length=10)]


# Keywords strict structured output does not take; the answer is held to them here, after it arrives.
_UNSUPPORTED = ("minLength", "maxLength")


def _strict(schema):
    if isinstance(schema, dict):
        return {k: _strict(v) for k, v in schema.items() if k not in _UNSUPPORTED}
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


def response_format() -> dict:
    """`response_format` of the request: the answer's JSON schema, strict."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": SCHEMA_NAME,
            "strict": True,
            "schema": _strict(IdeasAnswer.model_json_schema()),
        },
    }


@dataclass(frozen=True)
class LlmConfig:
    api_key: str | None = field(repr=False)
    base_url: str = "https://api.openai.com/v1"
    model: str = "gpt-4o-mini"
    timeout_seconds: float = 60.0
    cost_per_1k_prompt_tokens: float = 0.0
    cost_per_1k_completion_tokens: float = 0.0
    language: str = "pt-BR"
    ideas: int = 3

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return round(
            prompt_tokens / 1000 * self.cost_per_1k_prompt_tokens
            + completion_tokens / 1000 * self.cost_per_1k_completion_tokens,
            6,
        )


@dataclass(frozen=True)
class LlmIdeas:
    ideas: list[Idea]
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost: float


class LlmFailure(Exception):
    """The model gave no usable ideas; `status` says why (`no_key`, `timeout`, `http_500`, `malformed`, ...)
    and any tokens it still spent."""

    def __init__(self, status: str, prompt_tokens: int = 0, completion_tokens: int = 0):
        super().__init__(status)
        self.status = status
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens


def _status(exc: openai.OpenAIError) -> str:
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIStatusError):
        return f"http_{exc.status_code}"
    if isinstance(exc, openai.APIConnectionError):
        return "unreachable"
    return "error"


def generate_ideas(config: LlmConfig, messages: list[dict]) -> LlmIdeas:
    """One chat completion asking for ideas (no retry: a failure falls back to the rules at once)."""
    if not config.api_key:
        raise LlmFailure("no_key")
    client = openai.OpenAI(
        api_key=config.api_key, base_url=config.base_url, timeout=config.timeout_seconds, max_retries=0
    )
    try:
        answer = client.chat.completions.create(
            model=config.model, messages=messages, response_format=response_format()
        )
    except openai.OpenAIError as exc:
        raise LlmFailure(_status(exc)) from None
    finally:
        client.close()
    usage = answer.usage
    prompt_tokens = usage.prompt_tokens if usage else 0
    completion_tokens = usage.completion_tokens if usage else 0
    choice = answer.choices[0] if answer.choices else None
    content = choice.message.content if choice else None
    if choice is None or getattr(choice.message, "refusal", None) or not content:
        raise LlmFailure("refused" if choice is not None else "empty", prompt_tokens, completion_tokens)
    try:
        parsed = IdeasAnswer.model_validate(json.loads(content))
    except json.JSONDecodeError:
        raise LlmFailure("malformed", prompt_tokens, completion_tokens) from None
    except ValidationError:
        raise LlmFailure("schema_mismatch", prompt_tokens, completion_tokens) from None
    ideas = [Idea(**idea.model_dump()) for idea in parsed.ideas]
    return LlmIdeas(
        ideas,
        answer.model or config.model,
        prompt_tokens,
        completion_tokens,
        config.cost(prompt_tokens, completion_tokens),
    )
