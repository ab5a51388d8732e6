"""A span's value is sum(numerator) / sum(denominator) for every metric, not a mean of ratios."""

from __future__ import annotations

import pytest

from analytics.metrics import Metric, Sums, add_up


def test_a_value_is_the_ratio_of_the_sums() -> None:
    assert Sums(300.0, 4.0, 4).value == 75.0  # a rate in percent
    # a count has a denominator of 1 a day: a week of 14 sessions is 2 a day
    assert Sums(14.0, 7.0, 14).value == 2.0


@pytest.mark.parametrize("denominator", [None, 0.0])
def test_nothing_measured_has_no_value(denominator: float | None) -> None:
    assert Sums(0.0, denominator, 0).value is None


def test_a_period_is_the_ratio_of_its_sums() -> None:
    # a quiet day (1 of 1) and a busy one (10 of 100): 11/101, not the mean of 100 % and 10 %
    total = add_up([Sums(100.0, 1.0, 1), Sums(1000.0, 100.0, 100)])
    assert total == Sums(1100.0, 101.0, 101)
    assert total.value == pytest.approx(1100 / 101)


def test_missing_denominators_stay_missing() -> None:
    assert add_up([Sums(5.0, None, 5), Sums(7.0, None, 7)]) == Sums(12.0, None, 12)
    assert add_up([]) == Sums(0.0, None, 0)


def test_only_sessions_and_tokens_are_counts() -> None:
    assert {metric for metric in Metric if metric.is_count} == {Metric.SESSIONS, Metric.TOKENS}
