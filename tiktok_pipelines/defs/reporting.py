"""Helpers that turn results into the metadata a data engineer reads in the Dagster UI."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import dagster as dg


def _cell(value: Any, width: int) -> str:
    text = "" if value is None else str(value)
    text = text.replace("|", "\\|").replace("\n", " ").replace("\r", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def markdown_table(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[str], limit: int = 10, width: int = 60
) -> str:
    """A markdown table of the first `limit` rows; says how many more there were."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    shown = total = 0
    for row in rows:
        total += 1
        if shown < limit:
            lines.append("| " + " | ".join(_cell(row.get(c), width) for c in columns) + " |")
            shown += 1
    if total == 0:
        return "_none_"
    if total > shown:
        lines.append(f"\n_{total - shown} more not shown_")
    return "\n".join(lines)


def md(text: str) -> dg.MetadataValue:
    return dg.MetadataValue.md(text)
