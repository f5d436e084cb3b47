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


def response_format(answer: type[BaseModel] = IdeasAnswer, name: str = SCHEMA_NAME) -> dict:
    """`response_format` of the request: the answer's JSON schema, strict."""
    return {
        "type": "json_schema",
        "json_schema": {"name": name, "strict": True, "schema": _strict(answer.model_json_schema())},
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


@dataclass(frozen=True)
class Answered:
    """A model's answer, validated, and what it cost."""

    value: BaseModel
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost: float


def structured_answer(
    config: LlmConfig, messages: list[dict], answer: type[BaseModel], name: str
) -> Answered:
    """One chat completion whose answer must match `answer`'s schema (no retry: a failure is an
    `LlmFailure` at once, for the caller to fall back on the rules)."""
    if not config.api_key:
        raise LlmFailure("no_key")
    client = openai.OpenAI(
        api_key=config.api_key, base_url=config.base_url, timeout=config.timeout_seconds, max_retries=0
    )
    try:
        completion = client.chat.completions.create(
            model=config.model, messages=messages, response_format=response_format(answer, name)
        )
    except openai.OpenAIError as exc:
        raise LlmFailure(_status(exc)) from None
    finally:
        client.close()
    usage = completion.usage
    prompt_tokens = usage.prompt_tokens if usage else 0
    completion_tokens = usage.completion_tokens if usage else 0
    choice = completion.choices[0] if completion.choices else None
    content = choice.message.content if choice else None
    if choice is None or getattr(choice.message, "refusal", None) or not content:
        raise LlmFailure("refused" if choice is not None else "empty", prompt_tokens, completion_tokens)
    try:
        parsed = answer.model_validate(json.loads(content))
    except json.JSONDecodeError:
        raise LlmFailure("malformed", prompt_tokens, completion_tokens) from None
    except ValidationError:
        raise LlmFailure("schema_mismatch", prompt_tokens, completion_tokens) from None
    return Answered(
        parsed,
        completion.model or config.model,
        prompt_tokens,
        completion_tokens,
        config.cost(prompt_tokens, completion_tokens),
    )


def generate_ideas(config: LlmConfig, messages: list[dict]) -> LlmIdeas:
    """Content ideas from the model, validated against `IdeasAnswer`."""
    answered = structured_answer(config, messages, IdeasAnswer, SCHEMA_NAME)
    ideas = [Idea(**idea.model_dump()) for idea in answered.value.ideas]
    return LlmIdeas(ideas, answered.model, answered.prompt_tokens, answered.completion_tokens, answered.cost)
