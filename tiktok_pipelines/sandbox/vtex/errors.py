"""The error answer of the VTEX emulator: an HTTP status, the VTEX code when VTEX documents one, and a
message, in VTEX's `{"error": {...}}` body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tiktok_pipelines.sandbox.refusals import Refusal


@dataclass(eq=False)
class ApiError(Refusal):
    """An error answer: HTTP status, VTEX code (when VTEX documents one) and message."""

    status: int
    message: str
    code: str | None = None

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "exception": None}}
