"""The two error shapes of TikTok for Developers (reference §3, §5): the OAuth endpoints' top-level
`{"error", "error_description", "log_id"}`, and the v2 API's envelope `{"data": {}, "error": {code,
message, log_id}}`, whose `error` is there on success too, with code `ok`."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse

from tiktok_pipelines.sandbox.refusals import Refusal

MSG_TOKEN_INVALID = "The access token is invalid or not found in the request."
MSG_SCOPE_NOT_AUTHORIZED = "The user did not authorize the scope required for completing this request."
MSG_SCOPE_MISSED = "The user did not authorize the scope required for some of the requested fields."
MSG_RATE_LIMIT = "API rate limit exceeded, please retry later."
MSG_INTERNAL = "Something went wrong. Please try again later."
MSG_MALFORMED = "The request parameters are malformed."


def log_id() -> str:
    """A log id as the platform writes them: a UTC timestamp and 18 hex digits."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + f"{random.getrandbits(72):018X}"


@dataclass(eq=False)
class ApiError(Refusal):
    """A v2 API refusal: its code (`access_token_invalid`...), HTTP status and message."""

    code: str
    message: str
    http_status: int


def invalid_params(message: str) -> ApiError:
    return ApiError("invalid_params", message, 400)


def token_invalid(message: str = MSG_TOKEN_INVALID) -> ApiError:
    return ApiError("access_token_invalid", message, 401)


def api_answer(data: dict[str, Any] | None, error: ApiError | None = None) -> JSONResponse:
    """The v2 envelope: `data` (empty on failure) and `error` (code `ok` on success)."""
    if error is not None:
        body = {"data": {}, "error": {"code": error.code, "message": error.message, "log_id": log_id()}}
        return JSONResponse(body, status_code=error.http_status)
    return JSONResponse({"data": data or {}, "error": {"code": "ok", "message": "", "log_id": log_id()}})


class OAuthError(Exception):
    """An OAuth refusal (`invalid_grant`, `invalid_client`...), answered at the top level."""

    def __init__(self, error: str, description: str):
        super().__init__(description)
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description, "log_id": log_id()}
