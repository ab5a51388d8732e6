"""The report's charts as Vega-Lite specifications (Altair), rendered to inline SVG by vl-convert.

Why this way: the page must open anywhere with no network and no script, and print as shown.
Altair writes a declarative Vega-Lite spec; vl-convert runs Vega's own renderer in the process
(bundled, no download, no external data: `allowed_base_urls=[]`) and returns static SVG whose
text Vega escapes. Every number a chart shows is drawn as a label, not left to a hover:
values beside bars and points, sample sizes beside labels or as bars under a trend.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import altair as alt
import vl_convert
from markupsafe import Markup

from analytics.metrics import Unit
from analytics.report.data import PatternRow, PhaseRow, TemplateRow
from analytics.report.formats import duration, score, share, signed
from analytics.trends import MetricTrend

BLUE = "#2563eb"
ORANGE = "#ea580c"
TEAL = "#0f766e"
PURPLE = "#7c3aed"
MUTED = "#6b7280"
GRID = "#e5e7eb"
INK = "#111827"
NO_RATE = "#9ca3af"  # a template without a success rate
FONT = "system-ui, -apple-system, Segoe UI, Roboto, DejaVu Sans, sans-serif"
WIDTH = 420  # plot width of a bar chart; labels and values add their own room
ROW = 22  # pixels per bar or timeline row
# success colours: red at 70 % success or less, through amber, to green at 100 %
SUCCESS_DOMAIN = [0.7, 0.85, 1.0]
SUCCESS_RANGE = ["hsl(0, 65%, 42%)", "hsl(45, 80%, 42%)", "hsl(130, 65%, 42%)"]
VEGA_LITE = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


def to_svg(chart: alt.TopLevelMixin) -> Markup:
    """The chart as an SVG element, safe to place in the page as it is (Vega escapes text).

    The spec is not validated against the Vega-Lite schema here (a tenth of a second per chart);
    tests/unit/analytics/test_charts.py validates every chart's spec.
    """
    spec = chart.to_dict(validate=False)
    svg = vl_convert.vegalite_to_svg(spec, vl_version=VEGA_LITE, allowed_base_urls=[])
    return Markup(svg)  # trusted: Vega's renderer escapes every text it draws


def pattern_success_chart(rows: Sequence[PatternRow]) -> alt.TopLevelMixin:
    """Build success (a fraction) per pattern, most used first, its projects in brackets."""
    values = [
        {
            "label": _pattern_label(row),
            "value": row.build_success_ratio,
            "at": row.build_success_ratio or 0.0,
            "text": share(row.build_success_ratio),
        }
        for row in rows
    ]
    return _bars(
        values,
        domain=(0.0, 1.0),
        axis_format=".0%",
        color=BLUE,
        title="Build success rate by pattern (share of built projects)",
    )


def pattern_nps_chart(rows: Sequence[PatternRow]) -> alt.TopLevelMixin:
    """NPS (-100 to 100) per pattern, bars growing either way from zero."""
    values = [
        {
            "label": _pattern_label(row),
            "value": row.nps,
            "at": row.nps or 0.0,
            "text": signed(row.nps),
        }
        for row in rows
    ]
    return _bars(
        values,
        domain=(-100.0, 100.0),
        axis_format="d",
        color=ORANGE,
        title="NPS by pattern (-100 to 100)",
        label_expr="datum.value > 0 ? '+' + datum.label : datum.label",  # -50, 0, +50
    )


def trend_chart(
    trend: MetricTrend | None, *, title: str, domain: tuple[float, float], color: str, unit: str
) -> alt.TopLevelMixin:
    """A metric period by period (each point at its period's first day) with its value written
    at each point, and its sample size below.

    A period without a value leaves a gap in the line; an empty span says so.
    """
    points = trend.total.points if trend is not None else []
    values = [
        {
            "start": f"{point.start_date:%Y-%m-%d}",
            "value": point.value,
            "text": "" if point.value is None or trend is None else _trend_text(trend, point.value),
            "sample": point.sums.sample_size,
        }
        for point in points
    ]
    data = alt.InlineData(values=values)
    x = alt.X(
        "start:T",
        title=None,
        axis=alt.Axis(format="%b %d", labelColor=MUTED, tickCount=8, grid=False),
    )
    axis_format = ".0%" if domain == (0.0, 1.0) else ".2f"
    line = alt.Chart(data).encode(
        x=x,
        y=alt.Y(
            "value:Q",
            title=None,
            scale=alt.Scale(domain=list(domain)),
            axis=alt.Axis(format=axis_format, tickCount=4),
        ),
    )
    layers: list[Any] = [
        line.mark_line(color=color, strokeWidth=2, invalid="break-paths-show-path-domains"),
        line.mark_point(color=color, filled=True, size=30, opacity=1),
        line.mark_text(dy=-9, fontSize=9, color=INK).encode(text="text:N"),
    ]
    if all(item["value"] is None for item in values):
        layers.append(
            alt.Chart(alt.InlineData(values=[{"text": "no data in this period"}]))
            .mark_text(color=MUTED, fontSize=13)
            .encode(text="text:N", x=alt.value(WIDTH * 0.75), y=alt.value(90))
        )
    samples = (
        alt.Chart(data)
        .mark_bar(color=color, opacity=0.35)
        .encode(
            x=x,
            y=alt.Y("sample:Q", title=unit, axis=alt.Axis(tickCount=2, titleColor=MUTED)),
        )
        .properties(width=WIDTH * 1.5, height=50)
    )
    sample_labels = (
        samples.transform_filter("datum.sample > 0")
        .mark_text(dy=-6, fontSize=9, color=MUTED)
        .encode(text="sample:Q")
    )
    chart = alt.vconcat(
        alt.layer(*layers).properties(width=WIDTH * 1.5, height=170, title=title),
        alt.layer(samples, sample_labels),
        spacing=6,
    ).resolve_scale(x="shared")
    return _styled(chart)


def phase_chart(rows: Sequence[PhaseRow]) -> alt.TopLevelMixin:
    """Median and 95th percentile duration per phase, side by side, labelled."""
    values = [
        {
            "phase": row.phase,
            "series": series,
            "minutes": None if seconds is None else seconds / 60,
            "at": 0.0 if seconds is None else seconds / 60,
            "text": duration(seconds),
        }
        for row in rows
        for series, seconds in (
            ("median (p50)", row.median_duration_seconds),
            ("p95", row.p95_duration_seconds),
        )
    ]
    base = alt.Chart(alt.InlineData(values=values)).encode(
        y=alt.Y("phase:N", sort=[row.phase for row in rows], title=None),
        yOffset=alt.YOffset("series:N", sort=["median (p50)", "p95"]),
    )
    bars = base.mark_bar(height={"band": 0.9}).encode(
        x=alt.X("minutes:Q", title="minutes", axis=alt.Axis(titleColor=MUTED, tickCount=8)),
        color=alt.Color(
            "series:N",
            scale=alt.Scale(domain=["median (p50)", "p95"], range=[BLUE, ORANGE]),
            legend=alt.Legend(title=None, orient="top"),
        ),
    )
    labels = base.mark_text(align="left", dx=4, fontSize=10).encode(
        x="at:Q",
        text="text:N",
        color=alt.condition("datum.minutes === null", alt.value(MUTED), alt.value(INK)),
    )
    chart = alt.layer(bars, labels).properties(
        width=WIDTH * 1.4,
        height=alt.Step(ROW * 0.8),
        title="Phase duration: median and 95th percentile",
    )
    return _styled(chart)


def template_timeline(rows: Sequence[TemplateRow]) -> alt.TopLevelMixin:
    """Each phase type's templates on a shared time axis: a bar from first to last use coloured
    by success rate and labelled with it, the uses beside the hash, and an arrow from a
    deprecated template down to the one that replaced it."""
    marks, lanes = _timeline_rows(rows)
    if not marks:
        empty = alt.Chart(alt.InlineData(values=[{"text": "no templates yet"}])).mark_text(
            color=MUTED, fontSize=13
        )
        return _styled(empty.encode(text="text:N").properties(width=WIDTH, height=40))
    height = ROW * (max(mark["row"] for mark in marks) + 1)
    y_scale = alt.Scale(domain=[-0.5, height / ROW - 0.5], reverse=True, nice=False, zero=False)
    spans = alt.Chart(alt.InlineData(values=marks))
    x = alt.X(
        "start:T",
        title=None,
        axis=alt.Axis(format="%Y-%m-%d", tickCount=4, labelColor=MUTED, grid=True),
    )
    bars = spans.mark_bar(cornerRadius=2, invalid=None).encode(
        x=x,
        x2="end:T",
        y=alt.Y("top:Q", scale=y_scale, axis=None),
        y2="bottom:Q",
        color=alt.condition(
            "datum.success === null",
            alt.value(NO_RATE),
            alt.Color(
                "success:Q",
                scale=alt.Scale(
                    domain=SUCCESS_DOMAIN, range=SUCCESS_RANGE, clamp=True, interpolate="hsl"
                ),
                legend=alt.Legend(title="success", format=".0%", orient="top", gradientLength=160),
            ),
        ),
    )
    rates = spans.mark_text(align="left", dx=4, fontSize=10, color=INK).encode(
        x="end:T", y=alt.Y("row:Q", scale=y_scale), text="rate:N"
    )
    labels = spans.mark_text(align="right", fontSize=11, color=INK).encode(
        x=alt.value(-8), y=alt.Y("row:Q", scale=y_scale), text="label:N"
    )
    successors = [mark for mark in marks if mark["successor_row"] is not None]
    arrows = alt.Chart(alt.InlineData(values=successors))
    links = arrows.mark_rule(color=MUTED).encode(
        x="end:T", y=alt.Y("bottom:Q", scale=y_scale), y2="arrow_tip:Q"
    )
    heads = arrows.mark_point(
        shape="triangle-down", filled=True, color=MUTED, size=30, opacity=1
    ).encode(x="end:T", y=alt.Y("arrow_tip:Q", scale=y_scale))
    headings = (
        alt.Chart(alt.InlineData(values=lanes))
        .mark_text(align="left", fontWeight="bold", fontSize=12, color=INK)
        .encode(x=alt.value(-150), y=alt.Y("row:Q", scale=y_scale), text="lane:N")
    )
    chart = alt.layer(bars, links, heads, rates, labels, headings).properties(
        width=WIDTH * 1.6,
        height=height,
        title="Templates by phase: span of use and success rate",
        padding=5,
    )
    return _styled(chart)


def _timeline_rows(
    rows: Sequence[TemplateRow],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Marks of the timeline: one row per template, a heading row per phase type."""
    by_type: dict[str, list[TemplateRow]] = {}
    for row in rows:
        if row.first_used_at is not None and row.last_used_at is not None:
            by_type.setdefault(row.template_type, []).append(row)
    marks: list[dict[str, Any]] = []
    lanes: list[dict[str, Any]] = []
    position = 0
    for lane, templates in by_type.items():
        lanes.append({"lane": lane, "row": position})
        position += 1
        rows_of = {row.template_hash: position + index for index, row in enumerate(templates)}
        for index, row in enumerate(templates):
            at = position + index
            successor = rows_of.get(row.replacement_template_hash or "")
            marks.append(
                {
                    "row": at,
                    "top": at - 0.3,
                    "bottom": at + 0.3,
                    "arrow_tip": None if successor is None else successor - 0.38,
                    "successor_row": successor,
                    "start": _instant(row.first_used_at),
                    "end": _instant(row.last_used_at),
                    "success": row.success_rate,
                    "rate": share(row.success_rate),
                    "label": f"{row.template_hash[:8]} ({row.usage_count})",
                }
            )
        position += len(templates)
    return marks, lanes


def _bars(
    values: list[dict[str, Any]],
    *,
    domain: tuple[float, float],
    axis_format: str,
    color: str,
    title: str,
    label_expr: str = "datum.label",
) -> alt.TopLevelMixin:
    """Horizontal bars from zero, one per label in the given order, each with its value written
    beside it ("n/a" where there is none)."""
    base = alt.Chart(alt.InlineData(values=values)).encode(
        y=alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelLimit=230))
    )
    bars = base.mark_bar(color=color, height={"band": 0.7}).encode(
        x=alt.X(
            "value:Q",
            title=None,
            scale=alt.Scale(domain=list(domain)),
            axis=alt.Axis(format=axis_format, tickCount=5, labelExpr=label_expr),
        )
    )
    right = base.transform_filter("datum.at >= 0").mark_text(align="left", dx=4, fontSize=10)
    left = base.transform_filter("datum.at < 0").mark_text(align="right", dx=-4, fontSize=10)
    text_color = alt.condition("datum.value === null", alt.value(MUTED), alt.value(INK))
    zero = (
        alt.Chart(alt.InlineData(values=[{"zero": 0}]))
        .mark_rule(color=INK)
        .encode(x=alt.X("zero:Q", scale=alt.Scale(domain=list(domain))))
    )
    layers = [
        bars,
        right.encode(x="at:Q", text="text:N", color=text_color),
        left.encode(x="at:Q", text="text:N", color=text_color),
        zero,
    ]
    chart = alt.layer(*layers).properties(width=WIDTH, height=alt.Step(ROW), title=title)
    return _styled(chart)


def _styled(chart: Any) -> alt.TopLevelMixin:
    styled: alt.TopLevelMixin = (
        chart.configure(font=FONT, background="white")
        .configure_view(stroke=None)
        .configure_axis(
            labelColor=INK, labelFontSize=11, titleFontSize=11, gridColor=GRID, domainColor=GRID
        )
        .configure_title(fontSize=13, anchor="start", color=INK, fontWeight="bold")
        .configure_legend(labelFontSize=11)
    )
    return styled


def _pattern_label(row: PatternRow) -> str:
    return f"{row.pattern_name} ({row.total_projects})"


def _trend_text(trend: MetricTrend, value: float) -> str:
    return share(value) if trend.definition.unit is Unit.RATIO else score(value)


def _instant(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).isoformat()
