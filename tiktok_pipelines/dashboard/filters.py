"""The filters a page takes from its query string: client, channel or creator (those the page declares)
and period.

A period is a number of days up to the day of the build (`build_info.built_at` in the reporting time
zone, so an old copy of the database still shows its own last days), `all`, or explicit `from` / `to`
dates (inclusive). Values are checked here and reach SQL as parameters only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

PERIODS: dict[str, int | None] = {"7d": 7, "30d": 30, "90d": 90, "365d": 365, "all": None}
DEFAULT_PERIOD = "30d"
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class BadFilter(ValueError):
    """A filter value that cannot be used; the message names it."""


# The filters that choose whose rows a page shows, each a column of the page's tables.
SCOPES = {"client": "client_id", "channel": "channel", "creator": "creator_id"}


@dataclass(frozen=True)
class Filters:
    client: str | None = None
    channel: str | None = None
    period: str = DEFAULT_PERIOD
    start: date | None = None
    end: date | None = None  # inclusive
    creator: str | None = None

    @classmethod
    def parse(cls, query: Mapping[str, str], anchor: date | None) -> Filters:
        """From a query string; `anchor` is the last day the database covers (the build's day)."""
        scope = {name: _slug(query, name) for name in SCOPES}
        start, end = _date(query, "from"), _date(query, "to")
        if start or end:
            if start and end and start > end:
                raise BadFilter(f"from ({start}) is after to ({end})")
            return cls(period="custom", start=start, end=end, **scope)
        period = query.get("period") or DEFAULT_PERIOD
        if period not in PERIODS:
            raise BadFilter(f"period must be one of {', '.join(PERIODS)}, got {period!r}")
        days = PERIODS[period]
        if days is None or anchor is None:
            return cls(period=period, **scope)
        return cls(period=period, start=anchor - timedelta(days=days - 1), end=anchor, **scope)

    def restricted(self, scopes: tuple[str, ...], period: bool) -> Filters:
        """Only the filters a page takes: its scopes (of SCOPES), and the period unless it has none."""
        kept = {name: getattr(self, name) if name in scopes else None for name in SCOPES}
        if not period:
            return Filters(period=self.period, **kept)
        return Filters(period=self.period, start=self.start, end=self.end, **kept)

    def where(self, alias: str = "", day: str | None = "day", channel: str = "column") -> tuple[str, list]:
        """A WHERE clause (always starting with WHERE) and its parameters for a table with the columns of
        the filters set (client_id, channel, creator_id) and a day column (`day=None`: the period does
        not apply). `channel` is "column", or
        "nullable" (rows of no channel, such as webhooks, kept), or "none" (the table has no channel)."""
        p = f"{alias}." if alias else ""
        clauses, params = ["TRUE"], []
        if self.client:
            clauses.append(f"{p}client_id = ?")
            params.append(self.client)
        if self.creator:
            clauses.append(f"{p}creator_id = ?")
            params.append(self.creator)
        if self.channel and channel != "none":
            test = f"{p}channel = ?"
            clauses.append(f"({test} OR {p}channel IS NULL)" if channel == "nullable" else test)
            params.append(self.channel)
        if day and self.start:
            clauses.append(f"{p}{day} >= ?")
            params.append(self.start)
        if day and self.end:
            clauses.append(f"{p}{day} <= ?")
            params.append(self.end)
        return "WHERE " + " AND ".join(clauses), params

    def query(self, **overrides: str | None) -> dict[str, str]:
        """The query string of these filters (for links and the CSV export)."""
        q: dict[str, str | None] = {name: getattr(self, name) for name in SCOPES}
        if self.period == "custom":
            q["from"] = self.start.isoformat() if self.start else None
            q["to"] = self.end.isoformat() if self.end else None
        else:
            q["period"] = self.period
        q.update(overrides)
        return {k: v for k, v in q.items() if v}

    def describe(self) -> str:
        if self.start and self.end:
            return f"{self.start} to {self.end}"
        if self.start:
            return f"from {self.start}"
        if self.end:
            return f"until {self.end}"
        return "all days"


def _slug(query: Mapping[str, str], name: str) -> str | None:
    value = (query.get(name) or "").strip()
    if not value:
        return None
    if not SLUG.match(value):
        raise BadFilter(f"{name} must be an id such as demo or tiktok_shop, got {value[:40]!r}")
    return value


def _date(query: Mapping[str, str], name: str) -> date | None:
    value = (query.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadFilter(f"{name} must be a date such as 2026-01-31, got {value[:40]!r}") from None
