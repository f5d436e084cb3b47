"""The error answer of the VTEX emulator: an HTTP status, the VTEX code when VTEX documents one, and a
message, in VTEX's `{"error": {...}}` body."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answer: HTTP status, VTEX code (when VTEX documents one) and message."""

    def __init__(self, status: int, message: str, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "exception": None}}
