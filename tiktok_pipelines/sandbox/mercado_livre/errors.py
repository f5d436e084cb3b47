"""The two error shapes of Mercado Livre (reference §2, §3): the API's envelope `{"message", "error",
"status", "cause": []}` and the token endpoint's `{"error_description", "error", "status", "cause": []}`,
with the codes and messages the reference gives; and the validation causes of item writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse

from tiktok_pipelines.sandbox.refusals import Refusal

MSG_INVALID_GRANT = (
    "Error validating grant. Your authorization code or refresh token may be expired or it was already used"
)
MSG_INVALID_TOKEN = "invalid access token"
MSG_TOO_MANY = "Too many requests"
MSG_INTERNAL = "Internal server error"
MSG_UNAVAILABLE = "Service temporarily unavailable"
MSG_VALIDATION = "Validation error"

# The 5xx answers fault injection may give, with their envelope codes (reference §3).
SERVER_ERRORS = {500: "internal_server_error", 502: "bad_gateway", 503: "service_not_available"}


@dataclass(eq=False)
class ApiError(Refusal):
    """A refusal in the API's envelope: its HTTP status, machine code, message and causes."""

    status: int
    error: str
    message: str
    cause: list[dict[str, Any]] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "error": self.error, "status": self.status, "cause": self.cause}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status)


class OAuthError(Exception):
    """A refusal of the token endpoint: `error_description` instead of `message` (reference §2)."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> JSONResponse:
        return JSONResponse(
            {"error_description": self.description, "error": self.error, "status": self.status, "cause": []},
            status_code=self.status,
        )


def bad_request(message: str, error: str = "bad_request") -> ApiError:
    return ApiError(400, error, message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


def forbidden(message: str = "forbidden") -> ApiError:
    return ApiError(403, "forbidden", message)


def too_many() -> ApiError:
    return ApiError(429, "too_many_requests", MSG_TOO_MANY)


def cause(code: str, message: str, references: list[str], cause_id: int = 0) -> dict[str, Any]:
    """One validation cause of an item write (shape UNCONFIRMED in the reference: §3)."""
    return {
        "department": "items",
        "cause_id": cause_id,
        "type": "error",
        "code": code,
        "references": references,
        "message": message,
    }


def invalid_field_types(detail: str) -> ApiError:
    """The API's generic refusal of a body of the wrong shape (a string for a list...)."""
    return bad_request(f"body.invalid_field_types: {detail}", "body.invalid_field_types")


def validation_error(causes: list[dict[str, Any]]) -> ApiError:
    return ApiError(400, "validation_error", MSG_VALIDATION, causes)
