"""What the creator client raises, by what a caller does about it."""

from __future__ import annotations

from tiktok_pipelines.http import RetryableError


class CreatorApiError(Exception):
    """TikTok refused a call; `code` is its error code (`invalid_params`, `invalid_grant`, ...),
    `log_id` its request id (for TikTok's support), `status` the HTTP status."""

    def __init__(self, code: str, message: str, status: int = 0, log_id: str | None = None):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.status = status
        self.log_id = log_id


class CreatorAuthError(CreatorApiError):
    """The token or grant is not (or no longer) accepted: an `invalid_grant` from the token endpoint, an
    `access_token_invalid` from the API. A refused refresh token means the creator must connect again."""


class ScopeMissing(CreatorApiError):
    """A call needs a scope the creator did not grant (`scope_not_authorized`, `scope_permission_missed`)."""


class CreatorRetryableError(RetryableError, CreatorApiError):
    """Worth another attempt: a 429 (`rate_limit_exceeded`), a 5xx, or the network."""

    def __init__(self, code: str, message: str, status: int = 0, log_id: str | None = None, retry_after=None):
        CreatorApiError.__init__(self, code, message, status, log_id)
        self.retry_after = retry_after


AUTH_CODES = {"access_token_invalid", "invalid_grant", "invalid_client", "unauthorized_client"}
SCOPE_CODES = {"scope_not_authorized", "scope_permission_missed", "invalid_scope"}


def api_error(code: str, message: str, status: int, log_id: str | None, retry_after=None) -> CreatorApiError:
    """The error of a refused answer, by its code and status."""
    if code == "rate_limit_exceeded" or status == 429 or status >= 500 or code == "internal_error":
        return CreatorRetryableError(code, message, status, log_id, retry_after)
    if code in AUTH_CODES:
        return CreatorAuthError(code, message, status, log_id)
    if code in SCOPE_CODES:
        return ScopeMissing(code, message, status, log_id)
    return CreatorApiError(code, message, status, log_id)
