"""The chat-completions emulator's state, request checks and deterministic answers."""

from __future__ import annotations

import json
import math
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

SANDBOX_LLM_KEY = "sk-sandbox-llm-0123456789abcdef"
SANDBOX_LLM_MODEL = "gpt-4o-mini"
_KEYS_PAGE = "https://platform.openai.com/account/api-keys"
_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


class OpenAiError(Exception):
    """A refusal in OpenAI's error envelope."""

    def __init__(
        self, status: int, message: str, type_: str = "invalid_request_error", param=None, code=None
    ):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"message": message, "type": type_, "param": param, "code": code}}


SERVER_ERRORS = {
    500: OpenAiError(
        500, "The server had an error while processing your request. Sorry about that!", "server_error"
    ),
    503: OpenAiError(503, "The engine is currently overloaded, please try again later.", "server_error"),
    429: OpenAiError(
        429,
        "Rate limit reached for requests. Please try again in 20s.",
        "requests",
        "requests",
        "rate_limit_exceeded",
    ),
}


def masked(key: str) -> str:
    """How OpenAI quotes a wrong key: its start and end only."""
    return f"{key[:4]}{'*' * 8}{key[-4:]}" if len(key) > 8 else "*" * len(key)


def check_key(authorization: str | None, keys: set[str]) -> None:
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise OpenAiError(
            401,
            "You didn't provide an API key. You need to provide your API key in an Authorization header "
            "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank "
            "username) if you're accessing the API from your browser and are prompted for a username. You "
            f"can obtain an API key from {_KEYS_PAGE}.",
        )
    if key.strip() not in keys:
        raise OpenAiError(
            401,
            f"Incorrect API key provided: {masked(key.strip())}. You can find your API key at {_KEYS_PAGE}.",
            code="invalid_api_key",
        )


def _strict_problem(schema: Any, path: str = "") -> str | None:
    """Why a strict schema is refused, or None."""
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            if schema.get("additionalProperties") is not False:
                return (
                    f"In context=({path}), 'additionalProperties' is required to be supplied and to be false."
                )
            props = set(schema.get("properties", {}))
            missing = sorted(props - set(schema.get("required", [])))
            if missing:
                return f"In context=({path}), 'required' is required to be supplied and to be an array including every key in properties. Missing '{missing[0]}'."
        for key, value in schema.items():
            found = _strict_problem(value, f"{path}, '{key}'" if path else f"'{key}'")
            if found:
                return found
    elif isinstance(schema, list):
        for item in schema:
            found = _strict_problem(item, path)
            if found:
                return found
    return None


def check_request(body: Any, models: tuple[str, ...]) -> dict:
    """The request's `response_format` once the body is checked as the real endpoint checks it."""
    if not isinstance(body, dict):
        raise OpenAiError(400, "We could not parse the JSON body of your request.")
    model = body.get("model")
    if not model:
        raise OpenAiError(400, "you must provide a model parameter")
    messages = body.get("messages")
    if messages is None:
        raise OpenAiError(
            400,
            "Missing required parameter: 'messages'.",
            param="messages",
            code="missing_required_parameter",
        )
    if not isinstance(messages, list) or not messages:
        raise OpenAiError(
            400,
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
            param="messages",
            code="empty_array",
        )
    if model not in models:
        raise OpenAiError(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found",
        )
    fmt = body.get("response_format") or {"type": "text"}
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind == "json_schema":
        spec = fmt.get("json_schema") or {}
        if not _NAME.match(str(spec.get("name", ""))):
            raise OpenAiError(
                400,
                "Missing required parameter: 'response_format.json_schema.name'.",
                param="response_format.json_schema.name",
                code="missing_required_parameter",
            )
        if not isinstance(spec.get("schema"), dict):
            raise OpenAiError(
                400,
                "Missing required parameter: 'response_format.json_schema.schema'.",
                param="response_format.json_schema.schema",
                code="missing_required_parameter",
            )
        problem = spec.get("strict") and _strict_problem(spec["schema"])
        if problem:
            raise OpenAiError(
                400,
                f"Invalid schema for response_format '{spec['name']}': {problem}",
                param="response_format",
                code="invalid_json_schema",
            )
    elif kind == "json_object":
        if "json" not in json.dumps(messages).lower():
            raise OpenAiError(
                400,
                "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
                param="messages",
            )
    elif kind != "text":
        raise OpenAiError(
            400,
            f"Invalid value: '{kind}'. Supported values are: 'json_object', 'json_schema', and 'text'.",
            param="response_format.type",
            code="invalid_value",
        )
    return fmt


def _figures(messages: list) -> dict:
    """The JSON object the last user message carries (empty when it carries none)."""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            try:
                found = json.loads(message.get("content") or "")
            except (TypeError, ValueError):
                return {}
            return found if isinstance(found, dict) else {}
    return {}


class _Writer:
    """Values for a schema's fields, made from the prompt's figures, the n-th idea at a time."""

    def __init__(self, figures: dict):
        self.products = [p.get("product") for p in figures.get("products_to_feature", []) if p.get("product")]
        self.tags = [t.get("hashtag") for t in figures.get("best_hashtags", []) if t.get("hashtag")] or [
            "fyp"
        ]
        hours = figures.get("best_hours", [])
        self.hour = hours[0].get("hour") if hours else None
        lengths = figures.get("best_lengths", [])
        self.length = lengths[0].get("duration_bucket") if lengths else None
        self.wanted = int(figures.get("ideas_wanted") or 3)
        self.n = 0

    def subject(self) -> str:
        if self.n < len(self.products):
            return str(self.products[self.n])
        return f"#{self.tags[(self.n - len(self.products)) % len(self.tags)]}"

    def string(self, name: str) -> str:
        subject = self.subject()
        texts = {
            "title": f"{subject}: 3 ways to use it",
            "hook": f"Stop scrolling: {subject} in 3 seconds.",
            "script": f"Show {subject} up close, then in use, then the price; end on 'link in the shop tab'.",
            "caption": f"{subject} " + " ".join(f"#{t}" for t in self.tags[:3]),
            "duration_bucket": self.length or "15-30s",
        }
        return texts.get(name, f"{name} for {subject}")

    def value(self, schema: dict, name: str = "", defs: dict | None = None) -> Any:
        defs = defs if defs is not None else schema.get("$defs", {})
        if "$ref" in schema:
            return self.value(defs[schema["$ref"].rsplit("/", 1)[-1]], name, defs)
        if "anyOf" in schema:
            options = [s for s in schema["anyOf"] if s.get("type") != "null"]
            if (name == "posting_hour" and self.hour is None) or not options:
                return None
            return self.value(options[0], name, defs)
        kind = schema.get("type")
        if kind == "object":
            return {k: self.value(v, k, defs) for k, v in schema.get("properties", {}).items()}
        if kind == "array":
            if name == "hashtags":
                return self.tags[:3]
            items = []
            count = max(schema.get("minItems", 1), min(self.wanted, schema.get("maxItems", 10)))
            for n in range(count):
                self.n = n
                items.append(self.value(schema.get("items", {}), name.rstrip("s"), defs))
            self.n = 0
            return items
        if kind == "integer":
            return self.hour if name == "posting_hour" and self.hour is not None else schema.get("minimum", 0)
        if kind == "number":
            return float(schema.get("minimum", 0))
        if kind == "boolean":
            return True
        return self.string(name)


def answer_content(fmt: dict, messages: list) -> str:
    figures = _figures(messages)
    writer = _Writer(figures)
    if fmt.get("type") == "json_schema":
        return json.dumps(writer.value(fmt["json_schema"]["schema"]), ensure_ascii=False)
    if fmt.get("type") == "json_object":
        return json.dumps({"ideas": [writer.string("title")]}, ensure_ascii=False)
    return writer.string("script")


def tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


@dataclass
class LlmEmulator:
    keys: set[str] = field(default_factory=lambda: {SANDBOX_LLM_KEY})
    models: tuple[str, ...] = (SANDBOX_LLM_MODEL, "gpt-4o")
    faults: list[dict] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    answered: int = 0
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next(
        self, fault: str | None = None, status: int | None = None, delay_s: float = 0, times: int = 1
    ) -> None:
        """The next `times` requests fail (or are slow) as asked."""
        if fault not in (None, "malformed", "schema_mismatch", "refusal"):
            raise ValueError(f"unknown fault {fault!r}")
        if status is not None and status not in SERVER_ERRORS:
            raise ValueError(f"status must be one of {sorted(SERVER_ERRORS)}")
        with self.lock:
            self.faults.extend({"fault": fault, "status": status, "delay_s": delay_s} for _ in range(times))

    def reset(self) -> None:
        with self.lock:
            self.faults.clear()
            self.requests.clear()
            self.answered = self.refused = 0

    def take_fault(self) -> dict:
        with self.lock:
            return self.faults.pop(0) if self.faults else {}

    def complete(self, body: dict, fmt: dict, fault: dict) -> dict:
        """A chat completion for a checked request (faults that change the content applied)."""
        messages = body["messages"]
        content: str | None = answer_content(fmt, messages)
        refusal = None
        if fault.get("fault") == "malformed":
            content = content[: max(1, len(content) // 2)]
        elif fault.get("fault") == "schema_mismatch":
            content = json.dumps({"ideas": "none today"})
        elif fault.get("fault") == "refusal":
            content, refusal = None, "I'm sorry, I can't help with that."
        prompt = tokens(json.dumps(messages, ensure_ascii=False))
        completion = tokens(content or refusal or "")
        with self.lock:
            self.answered += 1
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": refusal},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
            "system_fingerprint": "fp_sandbox",
        }

    def record(self, body: Any) -> None:
        with self.lock:
            self.requests.append(body if isinstance(body, dict) else {"unreadable": True})
            del self.requests[:-100]

    def stats(self) -> dict:
        with self.lock:
            return {
                "answered": self.answered,
                "refused": self.refused,
                "received": len(self.requests),
                "faults_queued": len(self.faults),
            }
