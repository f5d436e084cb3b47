"""The dashboard's pages, declared in `pages.toml`: each page a few sections, each section one SQL query
on analytics.duckdb.

A section's SQL holds `{where}`, replaced at each request by the filters' WHERE clause (client,
channel, period; values as parameters), and may hold `{name}` for a piece of SQL of the file's
`[fragments]`, replaced once at load. The page shows the section's rows as figures (`kpis`), charts
drawn on the server (`lines`, `bars`) and a table, and exports the same rows as CSV. A section that
reads a table the database does not have (an older build, a lane that has not landed) says so instead
of failing the page. Adding a page is adding it to the file. Tables and columns: docs/analytics.md.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from tiktok_pipelines.dashboard.filters import SCOPES

DECLARED = Path(__file__).with_name("pages.toml")


@dataclass(frozen=True)
class Section:
    """One query of a page and how its rows are shown (the fields of a `[[page.section]]`)."""

    key: str
    title: str
    sql: str
    day: str | None = "day"  # the column the period filters; None: the period does not apply
    alias: str = ""  # the alias of the filtered table in the SQL, if it has one
    channel: str = "column"  # "column", "nullable" (rows of no channel kept) or "none"
    kpis: bool = False  # the rows as figures
    lines: tuple[tuple[str, ...], ...] = ()  # line charts over `x`, one per tuple of columns
    x: str = "day"
    bars: tuple[str, str] | None = None  # (label column, value column) of a bar chart
    bar_rows: int = 12
    table: bool = True
    rows: int = 200  # rows shown (the CSV has every row of the query)
    requires: tuple[str, ...] = ()  # tables of the database the SQL reads


@dataclass(frozen=True)
class Page:
    """A page at /<slug>; `period=False`: its tables are states, not days (no period filter).
    `filters`: whose rows it can be narrowed to (of filters.SCOPES), columns of every table it reads."""

    slug: str
    sections: tuple[Section, ...]
    title: str
    intro: str
    next_steps: tuple[str, ...] = ()
    period: bool = True
    filters: tuple[str, ...] = ("client", "channel")

    def only(self, section: Section) -> Page:
        return replace(self, sections=(section,), next_steps=())

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)


CHANNEL_MODES = ("column", "nullable", "none")


class PageDeclarationError(ValueError):
    """pages.toml declares something the dashboard cannot show; the message says where."""


def _section(raw: dict[str, Any], fragments: dict[str, str], where: str) -> Section:
    known = {f.name for f in fields(Section)}
    unknown = set(raw) - known
    if unknown or not {"key", "title", "sql"} <= set(raw):
        raise PageDeclarationError(f"{where}: needs key, title and sql; unknown fields {sorted(unknown)}")
    values = dict(raw)
    sql = values["sql"]
    for name, text in fragments.items():
        sql = sql.replace("{" + name + "}", text.strip())
    if "{where}" not in sql:
        raise PageDeclarationError(f"{where}: the SQL has no {{where}}")
    values["sql"] = sql
    values["day"] = values.get("day", "day") or None
    values["lines"] = tuple(tuple(columns) for columns in values.get("lines", ()))
    values["bars"] = tuple(values["bars"]) if "bars" in values else None
    values["requires"] = tuple(values.get("requires", ()))
    if values.get("channel", "column") not in CHANNEL_MODES:
        raise PageDeclarationError(f"{where}: channel must be one of {', '.join(CHANNEL_MODES)}")
    return Section(**values)


def load_pages(path: Path = DECLARED) -> tuple[Page, ...]:
    declared = tomllib.loads(path.read_text(encoding="utf-8"))
    fragments = declared.get("fragments", {})
    pages = []
    for raw in declared.get("page", []):
        slug = raw["slug"]
        scopes = tuple(raw.get("filters", ("client", "channel")))
        if not set(scopes) <= set(SCOPES):
            raise PageDeclarationError(f"{path.name}, page {slug}: filters are some of {', '.join(SCOPES)}")
        sections = tuple(
            _section(s, fragments, f"{path.name}, page {slug}, section {i + 1}")
            for i, s in enumerate(raw.get("section", []))
        )
        pages.append(
            Page(
                slug,
                sections,
                raw["title"],
                raw["intro"],
                tuple(raw.get("next_steps", ())),
                raw.get("period", True),
                scopes,
            )
        )
    slugs = [p.slug for p in pages]
    if len(set(slugs)) != len(slugs):
        raise PageDeclarationError(f"{path.name}: two pages have the same slug")
    return tuple(pages)


PAGES: tuple[Page, ...] = load_pages()
BY_SLUG = {p.slug: p for p in PAGES}
