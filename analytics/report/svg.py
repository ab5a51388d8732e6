"""Small SVG charts drawn in Python: no script, no font or file to fetch, text escaped.

Why not a JavaScript chart library bundled into the page: the report must open anywhere
without a network, and an SVG drawn here needs nothing at view time (not even JavaScript),
prints, stays a few tens of kilobytes, and leaves no vendored library to license and update.
Every mark carries a <title>, so hovering shows its exact value.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 680
LABEL_WIDTH = 190
VALUE_ROOM = 70
ROW = 24
TOP = 34
AXIS = 26
MUTED = "#6b7280"
GRID = "#e5e7eb"
INK = "#111827"

Format = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    """One set of values, drawn in one colour."""

    name: str
    values: Sequence[float | None]
    color: str


@dataclass(frozen=True)
class Span:
    """One bar of a timeline: a label, a time span, a colour and its hover text."""

    label: str
    start: dt.datetime
    end: dt.datetime
    color: str
    text: str
    tooltip: str
    successor: int | None = None  # index of the span in the same lane that replaced this one


def text(x: float, y: float, content: str, **attributes: str | float) -> str:
    extra = "".join(f' {name.replace("_", "-")}="{value}"' for name, value in attributes.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(content)}</text>'


def ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    if high <= low:
        return [low]
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]


def bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    domain: tuple[float, float],
    fmt: Format,
    title: str,
) -> str:
    """Horizontal bars, a group per label and a bar per series, from zero (or the domain's
    nearest end); a missing value is written "n/a"."""
    low, high = domain
    left, right = LABEL_WIDTH, WIDTH - VALUE_ROOM
    bar = 14 if len(series) == 1 else 11
    group = bar * len(series) + 8
    height = TOP + group * len(labels) + AXIS

    def x(value: float) -> float:
        return left + (min(max(value, low), high) - low) / (high - low) * (right - left)

    base = x(min(max(0.0, low), high))
    parts = [_legend(series) if len(series) > 1 else ""]
    for tick in ticks(low, high):
        parts.append(_grid(x(tick), TOP - 4, height - AXIS + 2, fmt(tick)))
    for row, label in enumerate(labels):
        top = TOP + row * group
        parts.append(text(left - 8, top + group / 2, _clip(label, 28), text_anchor="end"))
        for index, item in enumerate(series):
            value = item.values[row]
            y = top + 3 + index * bar
            tip = f"{label}, {item.name}: {'n/a' if value is None else fmt(value)}"
            if value is None:
                parts.append(text(base + 4, y + bar - 2, "n/a", fill=MUTED, font_size=10))
                continue
            x0, x1 = sorted((base, x(value)))
            parts.append(
                f'<rect x="{x0:.1f}" y="{y:.1f}" width="{max(x1 - x0, 1):.1f}" '
                f'height="{bar - 2}" fill="{item.color}"><title>{escape(tip)}</title></rect>'
            )
            anchor = "start" if value >= 0 or base == left else "end"
            at = x1 + 4 if anchor == "start" else x0 - 4
            parts.append(text(at, y + bar - 3, fmt(value), font_size=10, text_anchor=anchor))
    parts.append(_line(base, TOP - 4, base, height - AXIS + 2, INK))
    return _svg(height, title, parts)


def line_chart(
    dates: Sequence[dt.date],
    series: Series,
    *,
    domain: tuple[float, float],
    fmt: Format,
    title: str,
    notes: Sequence[str] = (),
) -> str:
    """A line over dates with a dot per point; a missing value breaks the line."""
    low, high = domain
    left, right, height = 56, WIDTH - 32, 220
    bottom = height - AXIS
    span = max(len(dates) - 1, 1)

    def x(index: int) -> float:
        return left + index / span * (right - left)

    def y(value: float) -> float:
        return bottom - (min(max(value, low), high) - low) / (high - low) * (bottom - TOP)

    parts = [_legend([series])]
    for tick in ticks(low, high, 4):
        parts.append(_line(left, y(tick), right, y(tick), GRID))
        parts.append(text(left - 6, y(tick) + 4, fmt(tick), text_anchor="end", fill=MUTED))
    for index in sorted({0, len(dates) - 1, *range(0, len(dates), max(len(dates) // 5, 1))}):
        if 0 <= index < len(dates):
            parts.append(
                text(
                    x(index), height - 8, f"{dates[index]:%b %d}", fill=MUTED, text_anchor="middle"
                )
            )
    runs: list[list[str]] = [[]]
    for index, value in enumerate(series.values):
        if value is None:
            runs.append([])
            continue
        runs[-1].append(f"{x(index):.1f},{y(value):.1f}")
        note = f" ({notes[index]})" if index < len(notes) else ""
        tip = f"{dates[index]:%Y-%m-%d}: {fmt(value)}{note}"
        parts.append(
            f'<circle cx="{x(index):.1f}" cy="{y(value):.1f}" r="3" fill="{series.color}">'
            f"<title>{escape(tip)}</title></circle>"
        )
    for run in runs:
        if len(run) > 1:
            parts.insert(
                1,
                f'<polyline points="{" ".join(run)}" fill="none" stroke="{series.color}" '
                'stroke-width="2"/>',
            )
    if not any(value is not None for value in series.values):
        parts.append(text(WIDTH / 2, height / 2, "no data in this period", fill=MUTED))
    return _svg(height, title, parts)


def timeline_chart(lanes: Sequence[tuple[str, Sequence[Span]]], *, title: str) -> str:
    """Spans on a shared time axis, a lane per group; an arrow joins a span to its successor."""
    spans = [span for _, lane in lanes for span in lane]
    if not spans:
        return _svg(60, title, [text(WIDTH / 2, 34, "no templates yet", fill=MUTED)])
    start = min(span.start for span in spans)
    end = max(span.end for span in spans)
    total = max((end - start).total_seconds(), 1.0)
    left, right = LABEL_WIDTH, WIDTH - 120

    def x(moment: dt.datetime) -> float:
        return left + (moment - start).total_seconds() / total * (right - left)

    parts: list[str] = []
    y = TOP
    for name, lane in lanes:
        parts.append(text(8, y + 12, name, font_weight="bold"))
        y += ROW
        rows = {index: y + index * ROW for index in range(len(lane))}
        for index, span in enumerate(lane):
            top = rows[index]
            x0, x1 = x(span.start), max(x(span.end), x(span.start) + 3)
            parts.append(text(left - 8, top + 12, span.label, text_anchor="end", font_size=11))
            parts.append(
                f'<rect x="{x0:.1f}" y="{top + 2:.1f}" width="{x1 - x0:.1f}" height="14" rx="2" '
                f'fill="{span.color}"><title>{escape(span.tooltip)}</title></rect>'
            )
            parts.append(text(x1 + 4, top + 13, span.text, font_size=10))
            if span.successor is not None and span.successor in rows:
                target = rows[span.successor] + 2
                parts.append(_line(x1, top + 16, x1, target - 3, MUTED))
                parts.append(
                    f'<polygon points="{x1 - 3:.1f},{target - 5:.1f} {x1 + 3:.1f},'
                    f'{target - 5:.1f} {x1:.1f},{target:.1f}" fill="{MUTED}"/>'
                )
        y += ROW * len(lane) + 6
    grid = [
        _grid(x(moment), TOP - 4, y, f"{moment:%Y-%m-%d}")
        for moment in (start, start + (end - start) / 2, end)
    ]
    return _svg(y + AXIS, title, grid + parts)


def success_color(rate: float | None) -> str:
    """Red at 70 % success or less, through amber, to green at 100 %."""
    if rate is None:
        return "#9ca3af"
    share = min(max((rate - 0.7) / 0.3, 0.0), 1.0)
    return f"hsl({share * 130:.0f}, 65%, 42%)"


def _legend(series: Sequence[Series]) -> str:
    parts, x = [], float(LABEL_WIDTH)
    for item in series:
        parts.append(f'<rect x="{x:.1f}" y="8" width="12" height="12" fill="{item.color}"/>')
        parts.append(text(x + 16, 18, item.name, font_size=11))
        x += 24 + 7 * len(item.name)
    return "".join(parts)


def _grid(x: float, top: float, bottom: float, label: str) -> str:
    return _line(x, top, x, bottom, GRID) + text(
        x, bottom + 14, label, fill=MUTED, font_size=10, text_anchor="middle"
    )


def _line(x1: float, y1: float, x2: float, y2: float, color: str) -> str:
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{color}"/>'


def _clip(label: str, length: int) -> str:
    return label if len(label) <= length else label[: length - 1] + "…"


def _svg(height: float, title: str, parts: Sequence[str]) -> str:
    return (
        f'<svg viewBox="0 0 {WIDTH} {height:.0f}" '
        f'role="img" aria-label="{escape(title)}" font-size="12">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )
