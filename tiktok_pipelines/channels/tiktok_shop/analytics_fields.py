"""Where TikTok Shop's analytics answers carry each figure: the reference lists the endpoints but not
their schemas (UNCONFIRMED), so every name is a setting (TIKTOK_ANALYTICS_FIELDS) and a figure an answer
leaves out is read as unknown (None), never as 0.

A name is a dotted path into the answer (`performance.intervals`); `list` names the list of rows of a
report, the other names a field of one row. There is no LIVE endpoint in the reference: the path of the
LIVE report is a guess too (TIKTOK_LIVE_PERFORMANCE_PATH).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

DEFAULT_LIVE_PERFORMANCE_PATH = "/analytics/202409/shop_lives/performance"

_COMMON = {
    "id": "id",
    "title": "title",
    "creator": "username",
    "views": "views",
    "orders": "sku_orders",
    "units": "units_sold",
    "gmv": "gmv",
    "click_through_rate": "click_through_rate",
}

# Report → our name → the answer's (dotted) name.
DEFAULT_ANALYTICS_FIELDS: dict[str, dict[str, str]] = {
    "shop": {
        "list": "performance.intervals",
        "gmv": "gmv",
        "orders": "orders",
        "units": "units_sold",
        "buyers": "buyers",
        "page_views": "product_page_views",
        "visitors": "avg_product_page_visitors",
    },
    "video": {"list": "videos", **_COMMON, "started_at": "video_post_time"},
    "live": {
        "list": "lives",
        **_COMMON,
        "started_at": "start_time",
        "ended_at": "end_time",
        "viewers": "viewers",
    },
}


def parse_analytics_fields(spec: str | None) -> dict[str, dict[str, str]]:
    """`"shop.buyers=buyer_count,live.list=data.lives"` → DEFAULT_ANALYTICS_FIELDS with those names
    replaced (for TIKTOK_ANALYTICS_FIELDS)."""
    out = {report: dict(names) for report, names in DEFAULT_ANALYTICS_FIELDS.items()}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        key, sep, name = (s.strip() for s in part.partition("="))
        report, _, ours = key.partition(".")
        if not sep or ours not in out.get(report, {}) or not re.fullmatch(r"[A-Za-z_][\w.]*", name):
            raise ValueError(
                f"bad analytics field {part.strip()!r}: expected report.name=answer_field with report.name one of "
                + ", ".join(f"{r}.{n}" for r, names in DEFAULT_ANALYTICS_FIELDS.items() for n in names)
            )
        out[report][ours] = name
    return out


def parse_live_performance_path(path: str | None) -> str:
    """The path of the LIVE report (for TIKTOK_LIVE_PERFORMANCE_PATH): `/analytics/<version>/...`."""
    path = (path or DEFAULT_LIVE_PERFORMANCE_PATH).strip()
    if not re.fullmatch(r"/analytics/\d{6}(/[a-z_]+)+", path):
        raise ValueError(
            f"bad LIVE performance path {path!r}: expected /analytics/YYYYMM/..., e.g. {DEFAULT_LIVE_PERFORMANCE_PATH}"
        )
    return path


def pick(row: Mapping[str, Any], name: str) -> Any:
    """The value at a dotted `name` of `row`; None when any step is missing."""
    value: Any = row
    for step in name.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(step)
    return value


def _number(row: Mapping[str, Any], name: str, what: str, read: Callable[[str], Any]) -> Any:
    value = pick(row, name)
    if value in (None, ""):
        return None
    try:
        return read(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{what}: unreadable {name} {value!r}") from None


def count(row: Mapping[str, Any], name: str, what: str) -> int | None:
    return _number(row, name, what, lambda v: int(Decimal(v)))


def rate(row: Mapping[str, Any], name: str, what: str) -> float | None:
    """A rate as a fraction (`0.0123`) or a percentage (`1.23%`)."""
    return _number(row, name, what, lambda v: float(Decimal(v.rstrip("%"))) / (100 if v.endswith("%") else 1))


def money(value: Any, what: str) -> tuple[Decimal | None, str | None]:
    """A GMV as the answers give it: `{amount, currency}`, a list of those (one per currency: the first
    is taken) or a bare number. (None, None) when absent."""
    if isinstance(value, list):
        value = value[0] if value else None
    amount = value.get("amount") if isinstance(value, Mapping) else value
    currency = value.get("currency") if isinstance(value, Mapping) else None
    if amount in (None, ""):
        return None, currency
    try:
        return Decimal(str(amount)), currency
    except InvalidOperation:
        raise ValueError(f"{what}: unreadable GMV {amount!r}") from None


def instant(row: Mapping[str, Any], name: str, what: str) -> datetime | None:
    """A time as Unix seconds or ISO 8601 (UTC when it names no zone)."""
    value = pick(row, name)
    if value in (None, ""):
        return None
    try:
        if isinstance(value, int | float) or str(value).isdigit():
            return datetime.fromtimestamp(int(value), UTC)
        parsed = datetime.fromisoformat(str(value))
    except (ValueError, OverflowError):
        raise ValueError(f"{what}: unreadable {name} {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def report_day(row: Mapping[str, Any], fallback: date) -> date:
    """The day of an interval row (`start_date`), else the day asked for."""
    try:
        return date.fromisoformat(str(row["start_date"]))
    except (KeyError, ValueError):
        return fallback
