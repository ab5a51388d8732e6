"""The report's four charts (and the tables beside them), drawn from ReportData."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from analytics.report.data import PatternRow, PhaseRow, ReportData, TemplateRow
from analytics.report.svg import (
    Format,
    Series,
    Span,
    bar_chart,
    line_chart,
    success_color,
    timeline_chart,
)
from analytics.trends import MetricTrend

BLUE = "#2563eb"
ORANGE = "#ea580c"
TEAL = "#0f766e"
PURPLE = "#7c3aed"


def percent(value: float) -> str:
    """A value already in percent: 87.54 -> 87.5%."""
    return f"{value:.1f}%".replace(".0%", "%")


def share(value: float) -> str:
    """A share from 0 to 1: 0.875 -> 87.5%."""
    return f"{value * 100:.1f}%"


def signed(value: float) -> str:
    """-35, 0, +40."""
    return "0" if round(value) == 0 else f"{value:+.0f}"


def score(value: float) -> str:
    return f"{value:.2f}"


def duration(seconds: float) -> str:
    """42 s, 8.5 min, 1.2 h."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def patterns_section(data: ReportData) -> str:
    """Build success and NPS of the most used patterns, side by side, and their table."""
    rows = data.patterns
    if not rows:
        return _empty("No patterns in marts.pattern_analytics yet.")
    labels = [f"{row.pattern_name} ({row.total_projects})" for row in rows]
    success = bar_chart(
        labels,
        [Series("build success", [row.build_success_rate for row in rows], BLUE)],
        domain=(0, 100),
        fmt=percent,
        title="Build success rate by pattern (% of built projects)",
    )
    nps = bar_chart(
        labels,
        [Series("NPS", [row.nps for row in rows], ORANGE)],
        domain=(-100, 100),
        fmt=signed,
        title="NPS by pattern (-100 to 100)",
    )
    shown = (
        f"The {len(rows)} most used of {data.pattern_count} patterns, with their projects in "
        "brackets: a rate over a handful of projects is a weak signal."
    )
    return (
        f'<p class="note">{shown} A pattern without built projects or scored feedback '
        'shows "n/a".</p>'
        f'<div class="pair"><figure>{success}<figcaption>Build success rate</figcaption></figure>'
        f"<figure>{nps}<figcaption>NPS</figcaption></figure></div>"
        + html_table(
            ["pattern", "projects", "feedback", "build success", "NPS"],
            [_pattern_cells(row) for row in rows],
        )
    )


def trends_section(data: ReportData) -> str:
    """Satisfaction and session success, week by week."""
    return (
        '<div class="pair">'
        + _trend_figure(
            data.satisfaction, "Satisfaction (mean rating, 1-5)", (1, 5), score, TEAL, "ratings"
        )
        + _trend_figure(
            data.session_success, "Session success rate", (0, 1), share, PURPLE, "sessions"
        )
        + "</div>"
    )


def phases_section(rows: Sequence[PhaseRow]) -> str:
    """Median and 95th percentile duration per phase."""
    if not rows:
        return _empty("No phases in marts.phase_performance yet.")
    longest = max((row.p95_duration_seconds or 0.0 for row in rows), default=0.0)
    chart = bar_chart(
        [row.phase for row in rows],
        [
            Series("median (p50)", [row.median_duration_seconds for row in rows], BLUE),
            Series("p95", [row.p95_duration_seconds for row in rows], ORANGE),
        ],
        domain=(0, max(longest * 1.1, 1.0)),
        fmt=duration,
        title="Phase duration: median and 95th percentile",
    )
    cells = [
        [
            escape(row.phase),
            str(row.execution_count),
            _maybe(row.median_duration_seconds, duration),
            _maybe(row.p95_duration_seconds, duration),
            share(row.success_rate),
        ]
        for row in rows
    ]
    return f"<figure>{chart}</figure>" + html_table(
        ["phase", "executions", "p50", "p95", "success"], cells
    )


def templates_section(rows: Sequence[TemplateRow]) -> str:
    """Each phase type's templates on a timeline, with success rates and their successors."""
    if not rows:
        return _empty("No templates in marts.template_metrics yet.")
    by_type: dict[str, list[TemplateRow]] = {}
    for row in rows:
        by_type.setdefault(row.template_type, []).append(row)
    rates = {(row.template_type, row.template_hash): row.success_rate for row in rows}
    predecessors = {
        (row.template_type, row.replacement_template_hash): row.template_hash
        for row in rows
        if row.replacement_template_hash
    }
    lanes = [(name, _spans(lane)) for name, lane in by_type.items()]
    chart = timeline_chart(lanes, title="Templates by phase: span of use and success rate")
    cells = []
    for row in rows:
        before = predecessors.get((row.template_type, row.template_hash))
        change = (
            f"{(row.success_rate - rates[(row.template_type, before)]) * 100:+.1f} pts"
            if before
            else ""
        )
        cells.append(
            [
                escape(row.template_type),
                f"<code>{escape(row.template_hash[:8])}</code>",
                str(row.usage_count),
                share(row.success_rate),
                change,
                _day(row.first_used_at),
                _day(row.last_used_at),
                f"<code>{escape(row.replacement_template_hash[:8])}</code>"
                if row.replacement_template_hash
                else "",
            ]
        )
    return (
        '<p class="note">Bars run from first to last use; colour and label give the success '
        "rate; an arrow points from a deprecated template to its replacement.</p>"
        f"<figure>{chart}</figure>"
        + html_table(
            [
                "phase",
                "template",
                "uses",
                "success",
                "vs. predecessor",
                "first used",
                "last used",
                "replaced by",
            ],
            cells,
        )
    )


def _spans(lane: Sequence[TemplateRow]) -> list[Span]:
    index = {row.template_hash: position for position, row in enumerate(lane)}
    spans = []
    for row in lane:
        if row.first_used_at is None or row.last_used_at is None:
            continue
        successor = index.get(row.replacement_template_hash or "")
        spans.append(
            Span(
                label=f"{row.template_hash[:8]} ({row.usage_count})",
                start=row.first_used_at,
                end=row.last_used_at,
                color=success_color(row.success_rate),
                text=share(row.success_rate),
                tooltip=(
                    f"{row.template_type} {row.template_hash[:8]}: {row.usage_count} uses, "
                    f"{share(row.success_rate)} success, {_day(row.first_used_at)} to "
                    f"{_day(row.last_used_at)}"
                ),
                successor=successor,
            )
        )
    return spans


def _trend_figure(
    trend: MetricTrend,
    title: str,
    domain: tuple[float, float],
    fmt: Format,
    color: str,
    unit: str,
) -> str:
    values = trend.values()
    notes = [f"{bucket.sums.sample_size} {unit}" for bucket in trend.buckets]
    chart = line_chart(
        [bucket.end_date for bucket in trend.buckets],
        Series(f"{title}, weekly", values, color),
        domain=domain,
        fmt=fmt,
        title=title,
        notes=notes,
    )
    overall = trend.metric.value_of(trend.summary)
    caption = (
        f"{title}: {fmt(overall)} over the {trend.period.count} weeks "
        f"({trend.summary.sample_size} {unit})"
        if overall is not None
        else f"{title}: no data in the last {trend.period.count} weeks"
    )
    return f"<figure>{chart}<figcaption>{escape(caption)}</figcaption></figure>"


def _pattern_cells(row: PatternRow) -> list[str]:
    return [
        f"{escape(row.pattern_name)} <code>{escape(row.pattern_id)}</code>",
        str(row.total_projects),
        str(row.feedback_count),
        _maybe(row.build_success_rate, percent),
        _maybe(row.nps, signed),
    ]


def _maybe(value: float | None, fmt: Format) -> str:
    return "n/a" if value is None else fmt(value)


def _day(moment: object) -> str:
    return f"{moment:%Y-%m-%d}" if moment is not None else ""


def _empty(message: str) -> str:
    return f'<p class="empty">{escape(message)}</p>'


def html_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table of cells that are already HTML (escaped by the caller)."""
    head = "".join(f"<th>{escape(header)}</th>" for header in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
