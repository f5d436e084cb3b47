"""Charts drawn on the server as inline SVG: no script, no CDN, nothing to download in the browser.

A line chart of one or more series over days, and a bar chart of labelled values. Both take plain rows
(dicts) and return the SVG markup, escaped; a chart of no rows says so instead of drawing empty axes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from html import escape

WIDTH, HEIGHT = 760, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 36
COLOURS = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c")


def _number(value) -> float:
    if value is None:
        return 0.0
    if isinstance(value, Decimal):
        return float(value)
    return float(value)


def _tick(value: float) -> str:
    magnitude = abs(value)
    if magnitude >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if magnitude >= 10_000:
        return f"{value / 1_000:.0f}k"
    if magnitude >= 1_000:
        return f"{value / 1_000:.1f}k"
    if value == int(value):
        return f"{value:.0f}"
    return f"{value:.2f}"


def _empty(title: str) -> str:
    return (
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} 60" '
        f'width="100%"><text x="{WIDTH / 2}" y="34" text-anchor="middle" class="muted">'
        "no data in this period</text></svg>"
    )


def line_chart(rows: Sequence[dict], x: str, series: Sequence[str], title: str) -> str:
    """Each column of `series` as a line over the x column (days, in the rows' order)."""
    if not rows:
        return _empty(title)
    values = {s: [_number(r.get(s)) for r in rows] for s in series}
    top = max([max(v) for v in values.values()] + [0.0]) or 1.0
    bottom = min([min(v) for v in values.values()] + [0.0])
    span = (top - bottom) or 1.0
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = len(rows)

    def px(i: int) -> float:
        return LEFT + (inner_w * i / (n - 1) if n > 1 else inner_w / 2)

    def py(v: float) -> float:
        return TOP + inner_h * (1 - (v - bottom) / span)

    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        'width="100%" preserveAspectRatio="xMidYMid meet">'
    ]
    for k in range(5):
        v = bottom + span * k / 4
        y = py(v)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">{_tick(v)}</text>'
        )
    labels = [r.get(x) for r in rows]
    for i in sorted({0, n // 2, n - 1}):
        label = labels[i].isoformat() if isinstance(labels[i], date) else str(labels[i])
        anchor = "start" if i == 0 else "end" if i == n - 1 else "middle"
        parts.append(
            f'<text x="{px(i):.1f}" y="{HEIGHT - 12}" text-anchor="{anchor}" class="axis">{escape(label)}</text>'
        )
    for s, colour in zip(series, COLOURS, strict=False):
        points = " ".join(f"{px(i):.1f},{py(v):.1f}" for i, v in enumerate(values[s]))
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}">'
            f"<title>{escape(s)}</title></polyline>"
        )
    legend_x = LEFT
    for s, colour in zip(series, COLOURS, strict=False):
        parts.append(
            f'<rect x="{legend_x}" y="{HEIGHT - 8}" width="10" height="4" fill="{colour}"/>'
            f'<text x="{legend_x + 14}" y="{HEIGHT - 3}" class="axis">{escape(s)}</text>'
        )
        legend_x += 24 + 7 * len(s)
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(rows: Sequence[dict], label: str, value: str, title: str) -> str:
    """One horizontal bar per row: its `label` and its `value`, the largest bar full width."""
    if not rows:
        return _empty(title)
    bar, gap, label_w = 18, 6, 260
    height = TOP + len(rows) * (bar + gap)
    top = max(_number(r.get(value)) for r in rows) or 1.0
    inner = WIDTH - label_w - RIGHT - 80
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {height}" '
        'width="100%" preserveAspectRatio="xMidYMid meet">'
    ]
    for i, r in enumerate(rows):
        y = TOP / 2 + i * (bar + gap)
        v = _number(r.get(value))
        w = max(inner * v / top, 0.0)
        text = str(r.get(label) if r.get(label) is not None else "—")
        text = text if len(text) <= 38 else text[:37] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar - 5}" text-anchor="end" class="axis">{escape(text)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar}" fill="{COLOURS[0]}">'
            f"<title>{escape(text)}: {_tick(v)}</title></rect>"
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar - 5}" class="axis">{_tick(v)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
