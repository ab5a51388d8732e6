"""A metric's trend from metric_values rows: every period of the span in every series, an empty
period 0 for a sum and no value otherwise, the total apart from the splits, and a dimension the
metric does not have refused in one sentence."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from analytics.metrics import Definition, Dimension, Grain, Metric, Sums
from analytics.periods import Span
from analytics.trends import TrendError, build_trend, check_dimension

AS_OF = dt.datetime(2025, 12, 8, tzinfo=dt.UTC)
WEEKS = Span(Grain.WEEK, 3)  # 2025-11-17, 11-24, 12-01


def _definition(
    metric: str, unit: str, numerator: str | None, denominator: str | None, dimensions: list[str]
) -> Definition:
    return Definition.from_row(
        {
            "metric": metric,
            "label": metric.title(),
            "description": "",
            "unit": unit,
            "numerator_metric": numerator,
            "denominator_metric": denominator,
            "trend_dimensions": dimensions,
            "as_of": AS_OF,
        }
    )


RATE = _definition("build_success_rate", "fraction", "ok", "builds", ["pattern_id"])
SESSIONS = _definition("sessions", "count", "sessions", None, [])
P50 = _definition("phase_duration_p50_seconds", "seconds", None, None, ["phase", "model_used"])


def _row(
    start: str,
    numerator: float | None,
    denominator: float | None,
    value: float | None,
    sample: int,
    split: str | None = None,
    is_split: bool = False,
) -> dict[str, Any]:
    return {
        "period_start": dt.date.fromisoformat(start),
        "dimension_value": split,
        "numerator": numerator,
        "denominator": denominator,
        "value": value,
        "sample_size": sample,
        "is_split": is_split,
    }


def test_every_period_is_present_and_an_empty_rate_has_no_value() -> None:
    rows = [
        _row("2025-11-17", 3, 4, 0.75, 4),
        _row("2025-12-01", 1, 3, 1 / 3, 3),
        _row("2025-11-17", 3, 4, 0.75, 4, "rest-api", True),
        _row("2025-12-01", 1, 1, 1.0, 1, None, True),  # builds of projects without a pattern
    ]
    trend = build_trend(RATE, WEEKS, Dimension.PATTERN_ID, WEEKS.starts(AS_OF), rows)
    points = trend.total.points
    assert [point.start_date for point in points] == [
        dt.date(2025, 11, 17),
        dt.date(2025, 11, 24),
        dt.date(2025, 12, 1),
    ]
    assert points[-1].end_date == dt.date(2025, 12, 7)
    assert [point.value for point in points] == [0.75, None, 0.3333]
    assert points[1].sums == Sums(0.0, 0.0, 0)
    assert trend.total.summary == Sums(4.0, 7.0, 7)
    assert trend.summary_value(trend.total) == round(4 / 7, 4)  # the ratio of the sums
    # one series per value, each with every period; the rows without a value come last
    assert [(series.dimension_value, series.is_split) for series in trend.splits] == [
        ("rest-api", True),
        (None, True),
    ]
    assert [point.value for point in trend.splits[0].points] == [0.75, None, None]
    assert (trend.start_date, trend.end_date) == (dt.date(2025, 11, 17), dt.date(2025, 12, 7))


def test_an_empty_period_of_a_sum_is_zero() -> None:
    trend = build_trend(
        SESSIONS, WEEKS, None, WEEKS.starts(AS_OF), [_row("2025-11-24", 5, None, 5, 5)]
    )
    assert [point.value for point in trend.total.points] == [0.0, 5.0, 0.0]
    assert trend.total.summary == Sums(5.0, None, 5)
    assert trend.summary_value(trend.total) == 5.0
    assert trend.splits == []


def test_a_percentile_has_values_per_period_but_no_summary() -> None:
    starts = WEEKS.starts(AS_OF)
    trend = build_trend(P50, WEEKS, None, starts, [_row("2025-12-01", None, None, 123.456, 9)])
    assert [point.value for point in trend.total.points] == [None, None, 123.46]
    assert trend.summary_value(trend.total) is None
    assert trend.total.summary.sample_size == 9


def test_no_as_of_is_a_trend_without_periods() -> None:
    trend = build_trend(RATE, WEEKS, None, [], [])
    assert trend.total.points == [] and trend.start_date is None


@pytest.mark.parametrize(
    ("definition", "dimension", "says"),
    [
        (
            SESSIONS,
            Dimension.PATTERN_ID,
            "metric sessions has no dimension pattern_id: it has none",
        ),
        (
            P50,
            Dimension.TEMPLATE_TYPE,
            "metric phase_duration_p50_seconds has no dimension template_type: it can be split "
            "by phase, model_used",
        ),
    ],
)
def test_a_dimension_the_metric_lacks_is_one_sentence(
    definition: Definition, dimension: Dimension, says: str
) -> None:
    with pytest.raises(TrendError, match=says) as error:
        check_dimension(definition, dimension)
    assert "\n" not in str(error.value)
    check_dimension(definition, None)
    assert Metric(definition.metric) is definition.metric
