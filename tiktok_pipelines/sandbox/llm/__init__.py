"""An emulator of an OpenAI-compatible chat-completions endpoint (`POST /v1/chat/completions`), for the
content lane's ideas in tests and the demo.

Like the real API it wants `Authorization: Bearer <key>` (401 with OpenAI's own error bodies for a missing
or wrong key), a JSON body with a known `model` (404 `model_not_found`) and non-empty `messages`, and
checks `response_format`: `json_schema` needs a name and a schema, and with `strict` every object of the
schema must close its properties (`additionalProperties: false`) and require them all; `json_object`
needs the word JSON in the messages. Its answers are deterministic, built from the figures the last user
message carries as JSON (products to feature, best hashtags, hours and lengths) and shaped by the schema
asked for; usage counts about one token per four characters.

Control routes: `POST /_sandbox/next {"fault": "malformed" | "schema_mismatch" | "refusal", "times": 1}`,
`{"status": 500}` (or 429, 503), `{"delay_s": 5}` (a slow answer); `GET /_sandbox/requests` (the bodies
received, newest last), `GET /_sandbox/stats`, `POST /_sandbox/reset`.
"""

from tiktok_pipelines.sandbox.llm.app import create_llm_app
from tiktok_pipelines.sandbox.llm.emulator import SANDBOX_LLM_KEY, SANDBOX_LLM_MODEL, LlmEmulator

__all__ = ["SANDBOX_LLM_KEY", "SANDBOX_LLM_MODEL", "LlmEmulator", "create_llm_app"]
