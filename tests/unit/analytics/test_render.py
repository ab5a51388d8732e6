"""The report page from made-up data: self-contained, escaped, and honest about missing data."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from analytics.metrics import Definition, Grain, Metric
from analytics.periods import Span
from analytics.report.data import PatternRow, PhaseRow, ReportData, TemplateRow
from analytics.report.health import DbtNode, DbtSummary, Freshness, Health, LoadTotals, RejectReason
from analytics.report.render import render_report, write_report
from analytics.trends import MetricTrend, build_trend
from tests.browser import NAMESPACES, OUTSIDE

NOW = dt.datetime(2025, 12, 8, 6, 0, tzinfo=dt.UTC)
UNITS = {Metric.SATISFACTION: "mean_1_to_5", Metric.SESSION_SUCCESS_RATE: "fraction"}


def _trend(metric: Metric, values: list[tuple[int, int, int]]) -> MetricTrend:
    """Weeks of a ratio metric ending on the last whole week before NOW: (numerator, denominator,
    sample size) each, a week of zeros left out as metric_values leaves it out."""
    definition = Definition.from_row(
        {
            "metric": metric.value,
            "label": metric.value,
            "description": "",
            "unit": UNITS[metric],
            "numerator_metric": "n",
            "denominator_metric": "d",
            "trend_dimensions": [],
            "as_of": NOW,
        }
    )
    span = Span(Grain.WEEK, len(values))
    starts = span.starts(NOW)
    rows = [
        {
            "period_start": start,
            "dimension_value": None,
            "numerator": numerator,
            "denominator": denominator,
            "value": numerator / denominator,
            "sample_size": sample,
            "is_split": False,
        }
        for start, (numerator, denominator, sample) in zip(starts, values, strict=True)
        if denominator
    ]
    return build_trend(definition, span, None, starts, rows)


def _data(**changes: object) -> ReportData:
    start = NOW - dt.timedelta(days=60)
    data = ReportData(
        generated_at=NOW,
        warehouse="postgres@/tmp:5432/forge",
        as_of=NOW - dt.timedelta(hours=4),
        patterns=[
            PatternRow("rest-api", "REST <API>", 31, 19, 0.871, -35.3),
            PatternRow("cli", "CLI", 2, 0, None, None),
        ],
        pattern_count=12,
        satisfaction=_trend(Metric.SATISFACTION, [(8, 2, 2), (0, 0, 0), (9, 3, 3), (4, 1, 1)]),
        session_success=_trend(Metric.SESSION_SUCCESS_RATE, [(1, 2, 2)] * 4),
        phases=[
            PhaseRow("planning", 10, 190.0, 650.0, 0.94),
            PhaseRow("testing", 8, 790.0, None, 0.8),
        ],
        templates=[
            TemplateRow(
                "planning",
                "a" * 64,
                30,
                0.9,
                start,
                start + dt.timedelta(days=20),
                start + dt.timedelta(days=20),
                "b" * 64,
            ),
            TemplateRow(
                "planning",
                "b" * 64,
                40,
                0.95,
                start + dt.timedelta(days=15),
                start + dt.timedelta(days=50),
                None,
                None,
            ),
        ],
        health=Health(
            freshness=[
                Freshness("user_feedback", NOW - dt.timedelta(hours=3)),
                Freshness("orchestration_events", NOW - dt.timedelta(days=3)),
            ],
            loads=[LoadTotals("user_feedback", 2, 1, 100, 90, 7, 3, NOW)],
            reasons=[RejectReason("user_feedback", 'field "id" <is> null', 7)],
            rejects_total=21,
            dbt=DbtSummary(
                Path("/x/target/run_results.json"),
                NOW,
                12.0,
                Counter(success=5),
                Counter({"pass": 9, "fail": 1}),
                [DbtNode("not_null_x", "fail", 2, "Got 2 results")],
            ),
        ),
    )
    return replace(data, **changes)


@pytest.fixture(scope="module")
def page() -> str:
    return render_report(_data())


def test_the_page_refers_to_nothing_outside_itself(page: str) -> None:
    assert not OUTSIDE.search(NAMESPACES.sub("", page))
    assert "default-src 'none'" in page
    assert page.count("<svg") == 6  # success, NPS, satisfaction, session success, phases, templates
    for section in ("patterns", "trends", "phases", "templates", "health"):
        assert f'<section id="{section}">' in page
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # one page of several SVGs: a shared id would cross-link


def test_data_text_is_escaped_everywhere(page: str) -> None:
    assert "REST <API>" not in page and "REST &lt;API&gt;" in page
    assert "&lt;is&gt;" in page


def test_the_cards_say_what_needs_attention(page: str) -> None:
    states = {
        label: state
        for state, label in re.findall(r'<div class="card (\w+)"><div class="label">([^<]+)<', page)
    }
    assert states == {
        "Oldest raw load": "warn",  # orchestration_events is 3 days old
        "Rejected, last day of loads": "warn",
        "Failed batches, last day": "bad",
        "dbt tests": "bad",
    }
    assert "not_null_x" in page  # the failing test is named
    assert "+5.0 pts" in page  # template b's success over a's, the one it replaced


def test_the_numbers_keep_their_unit(page: str) -> None:
    assert "<td>87.1%</td>" in page  # build success, a fraction shown as a percent
    assert "<td>-35</td>" in page  # NPS, a score
    # satisfaction over the 4 weeks: (8 + 9 + 4) / (2 + 3 + 1) ratings; session success 4/8
    assert "Satisfaction (mean rating, 1-5): 3.50 over the 4 weeks (6 ratings)" in page
    assert "Session success rate: 50.0% over the 4 weeks (8 finished sessions)" in page


def test_an_empty_warehouse_still_renders() -> None:
    empty = _data(
        patterns=[],
        pattern_count=0,
        phases=[],
        templates=[],
        satisfaction=None,
        session_success=None,
        health=Health([], [], [], 0, None),
        missing=["marts.metric_values"],
    )
    html = render_report(empty)
    assert "No patterns in marts.pattern_analytics yet." in html
    assert "No dbt run_results.json found" in html
    assert "Satisfaction (mean rating, 1-5): no data in the last 26 weeks" in html
    assert "Missing marts" in html and "<code>marts.metric_values</code>" in html


def test_writing_replaces_the_file_whole(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "report.html"
    write_report("<p>one</p>", out)
    write_report("<p>two</p>", out)
    assert out.read_text() == "<p>two</p>"
    assert [path.name for path in out.parent.iterdir()] == ["report.html"]


def test_no_missing_mart_is_named_when_none_is_missing(page: str) -> None:
    assert "Missing marts" not in page
