"""Values as the VTEX APIs write and read them: OMS timestamps (seven fractional digits and an offset),
ISO 8601 dates, and numbers taken strictly (order money is integer cents; a decimal is never negative)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tiktok_pipelines.sandbox.vtex.errors import ApiError


def now_utc() -> datetime:
    return datetime.now(UTC)


def vtex_time(at: datetime | None = None) -> str:
    """VTEX's OMS timestamps: seven fractional digits and an explicit offset."""
    at = at or now_utc()
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0+00:00"


def parse_time(value: Any, what: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"{what} is not an ISO 8601 date: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def strict_int(value: Any, what: str, minimum: int | None = None) -> int:
    # Order money is integer cents: 99.9 or "99.90" is a client bug VTEX does not silently fix.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"{what} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ApiError(400, f"{what} must be at least {minimum}")
    return value


def strict_decimal(value: Any, what: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ApiError(400, f"{what} must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ApiError(400, f"{what} must be a number, got {value!r}") from None
    if not number.is_finite() or number < 0:
        raise ApiError(400, f"{what} must be a non-negative number")
    return number
