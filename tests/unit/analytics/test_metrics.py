"""A span's value comes from its sums in the metric's one unit: fractions for rates, a score for
NPS, a mean rating for satisfaction, the sum for counts; never a mean of daily values."""

from __future__ import annotations

import pytest

from analytics.metrics import Metric, Sums, Unit, add_up, from_mart


@pytest.mark.parametrize(
    ("metric", "sums", "value"),
    [
        # 7 of 8 builds: a fraction, 4 decimals (the marts' percent with 2)
        (Metric.BUILD_SUCCESS_RATE, Sums(7, 8, 8), 0.875),
        (Metric.SESSION_SUCCESS_RATE, Sums(2, 3, 3), 0.6667),
        (Metric.EVENT_ERROR_RATE, Sums(1, 28, 28), 0.0357),
        # 15 points over 4 ratings: a mean rating, 2 decimals
        (Metric.SATISFACTION, Sums(15, 4, 4), 3.75),
        # 1 promoter net over 3 scored answers: a score, 2 decimals
        (Metric.NPS, Sums(1, 3, 3), 33.33),
        (Metric.NPS, Sums(-2, 2, 2), -100.0),
        # a week of 14 sessions is 14, not 2 a day
        (Metric.SESSIONS, Sums(14, None, 14), 14.0),
        (Metric.TOKENS, Sums(0, None, 0), 0.0),
    ],
)
def test_a_value_is_derived_from_the_sums_in_the_metrics_unit(
    metric: Metric, sums: Sums, value: float
) -> None:
    assert metric.value_of(sums) == value


@pytest.mark.parametrize("metric", [metric for metric in Metric if not metric.is_count])
def test_nothing_measured_has_no_value(metric: Metric) -> None:
    assert metric.value_of(Sums(0, 0, 0)) is None


def test_the_marts_scaled_numerators_become_counts() -> None:
    # the mart stores 100 x successes for rates and 100 x (promoters - detractors) for NPS
    assert from_mart(Metric.BUILD_SUCCESS_RATE, 700.0, 8.0, 8) == Sums(7, 8, 8)
    assert from_mart(Metric.NPS, -100.0, 2.0, 2) == Sums(-1, 2, 2)
    assert from_mart(Metric.SATISFACTION, 15.0, 4.0, 4) == Sums(15, 4, 4)
    # counts have a denominator of 1 a day in the mart, and none here
    assert from_mart(Metric.SESSIONS, 14.0, 7.0, 14) == Sums(14, None, 14)


def test_a_period_is_the_ratio_of_its_sums() -> None:
    # a quiet day (1 of 1) and a busy one (10 of 100): 11/101, not the mean of 100 % and 10 %
    total = add_up([Sums(1, 1, 1), Sums(10, 100, 100)])
    assert total == Sums(11, 101, 101)
    assert Metric.BUILD_SUCCESS_RATE.value_of(total) == round(11 / 101, 4)


def test_missing_denominators_stay_missing() -> None:
    assert add_up([Sums(5, None, 5), Sums(7, None, 7)]) == Sums(12, None, 12)
    assert add_up([]) == Sums(0, None, 0)


def test_each_unit_is_one_kind_of_metric() -> None:
    units = {metric: metric.unit for metric in Metric}
    assert {metric for metric, unit in units.items() if unit is Unit.COUNT} == {
        Metric.SESSIONS,
        Metric.TOKENS,
    }
    assert {metric for metric, unit in units.items() if unit is Unit.RATIO} == {
        Metric.BUILD_SUCCESS_RATE,
        Metric.SESSION_SUCCESS_RATE,
        Metric.EVENT_ERROR_RATE,
    }
    assert units[Metric.NPS] is Unit.SCORE and units[Metric.SATISFACTION] is Unit.RATING
