"""The report as one HTML file: Jinja templates (autoescaped) around the charts' inline SVG.

templates/page.html.j2 is the page: the header, the health cards, then one `<section>` per
entry of SECTIONS, each its own template. A new section (run history, restatements) is a
template, its data on ReportData, and one line in SECTIONS.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from analytics.metrics import Metric, Unit
from analytics.report import charts
from analytics.report.data import TREND_SPAN, ReportData, TemplateRow
from analytics.report.formats import FILTERS, age, counts, moment, score, share
from analytics.report.health import DbtSummary
from analytics.report.watch_chart import runs_chart
from analytics.trends import MetricTrend

TITLE = "Forge warehouse report"
STALE_AFTER = dt.timedelta(hours=36)  # a nightly refresh missed once

ENVIRONMENT = Environment(
    loader=PackageLoader("analytics.report", "templates"),
    autoescape=True,  # every value from the warehouse is text to show, never markup
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
ENVIRONMENT.filters.update(FILTERS)


@dataclass(frozen=True)
class Section:
    """One `<section id=...>` of the page, drawn by its own template."""

    id: str
    title: str
    template: str


SECTIONS = [
    Section("patterns", "Patterns: build success and NPS", "patterns.html.j2"),
    Section("trends", "Satisfaction and session success over time", "trends.html.j2"),
    Section("phases", "Phases: median and 95th percentile duration", "phases.html.j2"),
    Section("templates", "Template succession and success rates", "templates.html.j2"),
    Section("health", "Data health", "health.html.j2"),
    Section("runs", "Run history: the last 30 nights", "runs.html.j2"),
    Section("watch", "Anomalies and restatements", "watch.html.j2"),
]


@dataclass(frozen=True)
class Card:
    """A number at the top of the page, marked ok, warn or bad."""

    label: str
    value: str
    detail: str
    state: str


@dataclass(frozen=True)
class TrendFigure:
    """A trend's chart and the caption that sums it up."""

    chart: Markup
    title: str
    overall: str | None
    weeks: int
    sample_size: int
    unit: str


def render_report(data: ReportData) -> str:
    """The whole page: nothing in it refers to anything outside it."""
    return ENVIRONMENT.get_template("page.html.j2").render(
        title=TITLE,
        data=data,
        cards=summary_cards(data),
        sections=SECTIONS,
        charts=_charts(data),
        trends=[
            _trend_figure(
                data.satisfaction, Metric.SATISFACTION, "Satisfaction (mean rating, 1-5)", "ratings"
            ),
            _trend_figure(
                data.session_success,
                Metric.SESSION_SUCCESS_RATE,
                "Session success rate",
                "finished sessions",
            ),
        ],
        template_changes=template_changes(data.templates),
    )


def write_report(html: str, out: Path) -> None:
    """Replace `out` in one step, so a reader never opens half a report."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(html)
        os.chmod(temporary, 0o644)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def summary_cards(data: ReportData) -> list[Card]:
    """Freshness, rejects, failed loads and dbt tests, each marked ok, warn or bad."""
    health, now = data.health, data.generated_at
    oldest = health.oldest_load
    if oldest is None:
        freshness = Card("Oldest raw load", "never", "a raw table has no rows yet", "bad")
    else:
        state = "ok" if now - oldest <= STALE_AFTER else "warn"
        freshness = Card("Oldest raw load", age(now - oldest), moment(oldest), state)
    read = sum(item.lines_read for item in health.loads)
    rejected = sum(item.rows_rejected for item in health.loads)
    failed = sum(item.failed_batches for item in health.loads)
    rejects = Card(
        "Rejected, last day of loads",
        f"{rejected:,}",
        f"{share(rejected / read if read else 0.0)} of {read:,} lines; "
        f"{health.rejects_total:,} kept in audit.rejects",
        "ok" if rejected == 0 else "warn",
    )
    loads = Card(
        "Failed batches, last day",
        str(failed),
        f"{sum(item.batches for item in health.loads)} batches in all",
        "ok" if failed == 0 else "bad",
    )
    return [freshness, rejects, loads, _dbt_card(health.dbt)]


def template_changes(rows: list[TemplateRow]) -> list[float | None]:
    """Each template's success rate minus its predecessor's (the template it replaced)."""
    rates = {(row.template_type, row.template_hash): row.success_rate for row in rows}
    predecessors = {
        (row.template_type, row.replacement_template_hash): row.template_hash
        for row in rows
        if row.replacement_template_hash
    }
    changes: list[float | None] = []
    for row in rows:
        before = predecessors.get((row.template_type, row.template_hash))
        earlier = rates.get((row.template_type, before)) if before else None
        if row.success_rate is None or earlier is None:
            changes.append(None)
        else:
            changes.append(row.success_rate - earlier)
    return changes


def _charts(data: ReportData) -> dict[str, Markup]:
    drawn: dict[str, Any] = {}
    if data.patterns:
        drawn["pattern_success"] = charts.pattern_success_chart(data.patterns)
        drawn["pattern_nps"] = charts.pattern_nps_chart(data.patterns)
    if data.phases:
        drawn["phases"] = charts.phase_chart(data.phases)
    if data.templates:
        drawn["templates"] = charts.template_timeline(data.templates)
    if data.watch.runs:
        drawn["runs"] = runs_chart(data.watch.runs)
    return {name: charts.to_svg(chart) for name, chart in drawn.items()}


def _trend_figure(trend: MetricTrend | None, metric: Metric, title: str, unit: str) -> TrendFigure:
    is_ratio = metric is Metric.SESSION_SUCCESS_RATE or (
        trend is not None and trend.definition.unit is Unit.RATIO
    )
    domain = (0.0, 1.0) if is_ratio else (1.0, 5.0)
    color = charts.PURPLE if is_ratio else charts.TEAL
    chart = charts.trend_chart(trend, title=title, domain=domain, color=color, unit=unit)
    overall = None if trend is None else trend.summary_value(trend.total)
    return TrendFigure(
        chart=charts.to_svg(chart),
        title=title,
        overall=None if overall is None else (share(overall) if is_ratio else score(overall)),
        weeks=TREND_SPAN.count if trend is None else trend.span.count,
        sample_size=0 if trend is None else trend.total.summary.sample_size,
        unit=unit,
    )


def _dbt_card(dbt: DbtSummary | None) -> Card:
    if dbt is None:
        return Card("dbt tests", "no results", "no run_results.json under target/", "warn")
    failing = dbt.tests["fail"] + dbt.tests["error"] + dbt.models["error"]
    state = "bad" if failing else "warn" if dbt.tests["warn"] else "ok"
    return Card(
        "dbt tests",
        counts(dbt.tests),
        f"models: {counts(dbt.models)}; run {moment(dbt.generated_at)}",
        state,
    )
