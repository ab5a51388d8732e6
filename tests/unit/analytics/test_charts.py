"""The report's charts: valid Vega-Lite, rendered to SVG that writes every number it shows (values,
sample sizes, "n/a"), escapes data text, and draws an arrow for each template succession."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest

from analytics.metrics import Definition, Grain
from analytics.periods import Span
from analytics.report import charts
from analytics.report.data import PatternRow, PhaseRow, TemplateRow
from analytics.trends import MetricTrend, build_trend

HOSTILE = '<script>alert("x")</script> & "quotes"'
START = dt.datetime(2025, 9, 1, tzinfo=dt.UTC)
PATTERNS = [
    PatternRow("rest-api", HOSTILE, 31, 19, 0.871, -35.3),
    PatternRow("cli", "CLI", 5, 5, 1.0, 40.0),
    PatternRow("new", "New", 1, 0, None, None),
]
PHASES = [PhaseRow("planning", 10, 190.0, 650.0, 0.94), PhaseRow("testing", 8, 790.0, None, 0.8)]


def _template(
    kind: str, name: str, uses: int, rate: float | None, days: tuple[int, int], nxt: str | None
) -> TemplateRow:
    first, last = (START + dt.timedelta(days=day) for day in days)
    return TemplateRow(kind, name * 64, uses, rate, first, last, None, nxt and nxt * 64)


TEMPLATES = [
    _template("planning", "a", 30, 0.9, (0, 20), "b"),
    _template("planning", "b", 40, 0.95, (15, 50), "c"),
    _template("planning", "c", 12, None, (45, 60), None),
    _template("testing", "d", 27, 0.5, (0, 30), "e"),
    _template("testing", "e", 35, 1.0, (25, 60), None),
]


def _trend(values: list[tuple[int, int, int]]) -> MetricTrend:
    """Weeks of session success, (successes, finished, sample) each; a week of zeros has no row."""
    as_of = dt.datetime(2025, 12, 8, tzinfo=dt.UTC)
    definition = Definition.from_row(
        {
            "metric": "session_success_rate",
            "label": "Session success rate",
            "description": "",
            "unit": "fraction",
            "numerator_metric": "successful_session_count",
            "denominator_metric": "finished_session_count",
            "trend_dimensions": [],
            "as_of": as_of,
        }
    )
    span = Span(Grain.WEEK, len(values))
    starts = span.starts(as_of)
    rows = [
        {
            "period_start": start,
            "dimension_value": None,
            "numerator": successes,
            "denominator": finished,
            "value": successes / finished,
            "sample_size": sample,
            "is_split": False,
        }
        for start, (successes, finished, sample) in zip(starts, values, strict=True)
        if finished
    ]
    return build_trend(definition, span, None, starts, rows)


TREND = _trend([(3, 4, 4), (0, 0, 0), (9, 10, 10), (1, 3, 3)])
CHARTS: dict[str, Callable[[], Any]] = {
    "pattern_success": lambda: charts.pattern_success_chart(PATTERNS),
    "pattern_nps": lambda: charts.pattern_nps_chart(PATTERNS),
    "trend": lambda: charts.trend_chart(
        TREND, title="Session success", domain=(0.0, 1.0), color=charts.PURPLE, unit="sessions"
    ),
    "phases": lambda: charts.phase_chart(PHASES),
    "templates": lambda: charts.template_timeline(TEMPLATES),
    "no_templates": lambda: charts.template_timeline([]),
}


def _texts(svg: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", text) for text in re.findall(r"<text[^>]*>.*?</text>", svg)]


@pytest.fixture(scope="module")
def svgs() -> dict[str, str]:
    return {name: str(charts.to_svg(make())) for name, make in CHARTS.items()}


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_every_chart_is_valid_vega_lite(name: str) -> None:
    spec = CHARTS[name]().to_dict(validate=True)  # raises on a spec Vega-Lite would not accept
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v6")


def test_bars_write_each_value_and_n_a_where_there_is_none(svgs: dict[str, str]) -> None:
    success = _texts(svgs["pattern_success"])
    assert {"87.1%", "100.0%", "n/a", "CLI (5)", "New (1)"} <= set(success)
    nps = _texts(svgs["pattern_nps"])
    # values, and a signed axis (d3's format writes a true minus sign)
    assert {"-35", "+40", "n/a", "+50", "\u221250"} <= set(nps)


def test_data_text_is_escaped(svgs: dict[str, str]) -> None:
    assert "<script" not in svgs["pattern_success"]
    assert "&lt;script&gt;" in svgs["pattern_success"]


def test_a_trend_writes_its_values_and_sample_sizes(svgs: dict[str, str]) -> None:
    texts = _texts(svgs["trend"])
    assert {"75.0%", "90.0%", "33.3%"} <= set(texts)  # 3/4, 9/10, 1/3
    assert {"4", "10", "3"} <= set(texts)  # the sessions behind each week
    assert "no data in this period" not in texts
    empty = _trend([(0, 0, 0)] * 3)
    chart = charts.trend_chart(empty, title="t", domain=(0.0, 1.0), color="#000", unit="n")
    assert "no data in this period" in _texts(str(charts.to_svg(chart)))
    missing = charts.trend_chart(None, title="t", domain=(0.0, 1.0), color="#000", unit="n")
    assert "no data in this period" in _texts(str(charts.to_svg(missing)))


def test_phase_durations_are_labelled(svgs: dict[str, str]) -> None:
    texts = _texts(svgs["phases"])
    assert {"3.2 min", "10.8 min", "13.2 min", "n/a", "median (p50)", "p95"} <= set(texts)


def test_the_timeline_draws_a_bar_a_label_and_an_arrow_per_succession(
    svgs: dict[str, str],
) -> None:
    svg = svgs["templates"]
    texts = _texts(svg)
    assert {"planning", "testing", "aaaaaaaa (30)", "eeeeeeee (35)"} <= set(texts)
    assert {"90.0%", "95.0%", "50.0%", "100.0%", "n/a"} <= set(texts)
    heads = re.search(r'class="mark-symbol role-mark[^"]*"[^>]*>(.*?)</g>', svg)
    assert heads and heads[1].count("<path") == 3  # a->b, b->c, d->e
    bars = re.search(r'class="mark-rect role-mark[^"]*"[^>]*>(.*?)</g>', svg)
    assert bars and bars[1].count("<path") == 5
    assert "no templates yet" in _texts(svgs["no_templates"])


def test_a_template_without_a_usable_span_is_left_off_the_timeline() -> None:
    undated = TemplateRow("planning", "z" * 64, 3, 0.5, None, START, None, None)
    marks, lanes = charts._timeline_rows([*TEMPLATES, undated])
    assert len(marks) == 5 and [lane["lane"] for lane in lanes] == ["planning", "testing"]
