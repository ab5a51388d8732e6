"""The report page from made-up data: self-contained, escaped, and honest about missing data."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

from analytics.metrics import Metric, Sums
from analytics.periods import Period
from analytics.report.data import PatternRow, PhaseRow, ReportData, TemplateRow
from analytics.report.health import DbtNode, DbtSummary, Freshness, Health, LoadTotals, RejectReason
from analytics.report.render import render_report, write_report
from analytics.trends import Bucket, MetricTrend

NOW = dt.datetime(2025, 12, 8, 6, 0, tzinfo=dt.UTC)
PERIOD = Period(4, 7)


def _trend(metric: Metric, values: list[tuple[int, int | None, int]]) -> MetricTrend:
    end = NOW.date()
    buckets = [
        Bucket(
            end - dt.timedelta(days=7 * (len(values) - i) - 1),
            end - dt.timedelta(days=7 * (len(values) - 1 - i)),
            Sums(*value),
        )
        for i, value in enumerate(values)
    ]
    return MetricTrend(metric, PERIOD, NOW, buckets)


def _data(**changes: object) -> ReportData:
    start = NOW - dt.timedelta(days=60)
    data = ReportData(
        generated_at=NOW,
        warehouse="postgres@/tmp:5432/forge",
        as_of=NOW - dt.timedelta(hours=4),
        patterns=[
            PatternRow("rest-api", "REST <API>", 31, 19, 87.1, -35.3),
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


def test_the_page_refers_to_nothing_outside_itself() -> None:
    html = render_report(_data())
    assert not re.search(r"(?i)(https?:|//[a-z]|<script|<link|@import|url\()", html)
    assert "default-src 'none'" in html
    assert html.count("<svg") == 6  # success, NPS, satisfaction, session success, phases, templates


def test_data_text_is_escaped_everywhere() -> None:
    html = render_report(_data())
    assert "REST <API>" not in html and "REST &lt;API&gt;" in html
    assert "&lt;is&gt;" in html


def test_the_cards_say_what_needs_attention() -> None:
    html = render_report(_data())
    states = {
        label: state
        for state, label in re.findall(r'<div class="card (\w+)"><div class="label">([^<]+)<', html)
    }
    assert states == {
        "Oldest raw load": "warn",  # orchestration_events is 3 days old
        "Rejected, last day of loads": "warn",
        "Failed batches, last day": "bad",
        "dbt tests": "bad",
    }
    assert "not_null_x" in html  # the failing test is named
    assert "+5.0 pts" in html  # template b's success over a's, the one it replaced


def test_an_empty_warehouse_still_renders() -> None:
    empty = _data(
        patterns=[],
        pattern_count=0,
        phases=[],
        templates=[],
        satisfaction=MetricTrend(Metric.SATISFACTION, PERIOD, None, []),
        session_success=MetricTrend(Metric.SESSION_SUCCESS_RATE, PERIOD, None, []),
        health=Health([], [], [], 0, None),
    )
    html = render_report(empty)
    assert "No patterns in marts.pattern_analytics yet." in html
    assert "No dbt run_results.json found" in html


def test_writing_replaces_the_file_whole(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "report.html"
    write_report("<p>one</p>", out)
    write_report("<p>two</p>", out)
    assert out.read_text() == "<p>two</p>"
    assert [path.name for path in out.parent.iterdir()] == ["report.html"]


def test_a_missing_mart_is_named_on_the_page() -> None:
    html = render_report(_data(missing=["marts.metrics_daily"]))
    assert "Missing marts" in html and "<code>marts.metrics_daily</code>" in html
    assert "Missing marts" not in render_report(_data())
