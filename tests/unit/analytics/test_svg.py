"""The SVG charts: data text is escaped, missing values and empty data draw without failing."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ElementTree

import pytest

from analytics.report.svg import (
    Series,
    Span,
    bar_chart,
    line_chart,
    success_color,
    ticks,
    timeline_chart,
)

HOSTILE = '<script>alert("x")</script> & "quotes"'


def _parse(svg: str) -> ElementTree.Element:
    """Well-formed XML, or this raises."""
    return ElementTree.fromstring(svg)


def test_bar_chart_escapes_labels_and_marks_missing_values() -> None:
    svg = bar_chart(
        [HOSTILE, "plain"],
        [Series("NPS", [-40.0, None], "#ea580c")],
        domain=(-100, 100),
        fmt=lambda value: f"{value:+.0f}",
        title="NPS <by> pattern",
    )
    root = _parse(svg)
    assert "<script>" not in svg
    texts = [element.text for element in root.iter("text")]
    assert "n/a" in texts and "-40" in texts
    assert len(list(root.iter("rect"))) == 1  # no bar for the missing value


def test_a_negative_bar_grows_left_of_zero() -> None:
    svg = bar_chart(["p"], [Series("NPS", [-50.0], "#000")], domain=(-100, 100), fmt=str, title="t")
    rect = next(_parse(svg).iter("rect"))
    x, width = float(rect.get("x", 0)), float(rect.get("width", 0))
    zero = [float(line.get("x1", 0)) for line in _parse(svg).iter("line")][-1]
    assert x + width == pytest.approx(zero, abs=0.2)


def test_line_chart_breaks_at_missing_values_and_says_when_empty() -> None:
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=7 * i) for i in range(5)]
    svg = line_chart(
        days,
        Series("rate", [0.5, 0.6, None, 0.7, 0.8], "#000"),
        domain=(0, 1),
        fmt=str,
        title="t",
        notes=["n=1"] * 5,
    )
    root = _parse(svg)
    assert len(list(root.iter("polyline"))) == 2
    assert len(list(root.iter("circle"))) == 4
    empty = line_chart(days, Series("rate", [None] * 5, "#000"), domain=(0, 1), fmt=str, title="t")
    assert "no data in this period" in empty


def test_timeline_draws_each_span_and_an_arrow_to_its_successor() -> None:
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    spans = [
        Span("a (3)", start, start + dt.timedelta(days=10), "#0a0", "90%", HOSTILE, successor=1),
        Span(
            "b (4)", start + dt.timedelta(days=8), start + dt.timedelta(days=20), "#0a0", "95%", "b"
        ),
    ]
    svg = timeline_chart([("planning", spans)], title="templates")
    root = _parse(svg)
    assert len(list(root.iter("rect"))) == 2 and len(list(root.iter("polygon"))) == 1
    assert "<script>" not in svg
    assert "no templates yet" in timeline_chart([], title="t")


def test_ticks_are_round_and_cover_the_domain() -> None:
    assert ticks(0, 100) == [0, 20, 40, 60, 80, 100]
    assert ticks(-100, 100) == [-100, -50, 0, 50, 100]
    assert ticks(1, 5, 4) == [1, 2, 3, 4, 5]
    assert ticks(3, 3) == [3]


def test_success_colour_runs_from_red_to_green() -> None:
    assert success_color(0.5) == success_color(0.7) == "hsl(0, 65%, 42%)"
    assert success_color(1.0) == "hsl(130, 65%, 42%)"
    assert success_color(None) == "#9ca3af"
