"""The anomaly rule: same-weekday median, pooled MAD, floors from the day's own sample."""

from __future__ import annotations

import datetime as dt

import pytest

from orchestration_dagster.lib.anomalies import Scale, judge, same_weekday_history

MONDAY = dt.date(2026, 3, 2)


def test_nothing_is_judged_before_the_minimum_of_same_weekdays() -> None:
    history = {MONDAY - dt.timedelta(weeks=w): 1000.0 for w in (1, 2, 3)}
    assert judge(MONDAY, 10.0, history, Scale.COUNT, threshold=6, min_weeks=4) is None
    history[MONDAY - dt.timedelta(weeks=4)] = 1000.0
    judged = judge(MONDAY, 10.0, history, Scale.COUNT, threshold=6, min_weeks=4)
    assert judged is not None and judged.is_anomaly and judged.expected == pytest.approx(1000.0)


def test_a_sunday_is_compared_with_sundays_not_with_weekdays() -> None:
    sunday = dt.date(2026, 3, 8)
    history = {}
    for day in range(1, 57):
        date = sunday - dt.timedelta(days=day)
        history[date] = 300.0 + day % 3 if date.weekday() == 6 else 1000.0 + 10 * (day % 5)
    quiet = judge(sunday, 290.0, history, Scale.COUNT, threshold=6, min_weeks=4)
    busy = judge(sunday, 1000.0, history, Scale.COUNT, threshold=6, min_weeks=4)
    assert quiet is not None and not quiet.is_anomaly
    assert busy is not None and busy.is_anomaly and busy.score > 0


def test_a_tenth_of_the_usual_rows_is_an_anomaly_and_the_usual_is_not() -> None:
    history = {MONDAY - dt.timedelta(days=d): 9000.0 + 200 * (d % 4) for d in range(1, 57)}
    low = judge(MONDAY, 900.0, history, Scale.COUNT, threshold=6, min_weeks=4)
    usual = judge(MONDAY, 9300.0, history, Scale.COUNT, threshold=6, min_weeks=4)
    assert low is not None and low.is_anomaly and low.low > 900.0
    assert usual is not None and not usual.is_anomaly and usual.low < 9300.0 < usual.high


def test_a_share_that_never_moved_does_not_alarm_on_one_null_in_a_small_day() -> None:
    """The spread never falls below the binomial noise of the day's own sample."""
    history = {MONDAY - dt.timedelta(days=d): 0.0 for d in range(1, 57)}
    one_in_fifty = judge(
        MONDAY, 1 / 50, history, Scale.SHARE, threshold=6, min_weeks=4, sample_size=50
    )
    spike = judge(MONDAY, 0.3, history, Scale.SHARE, threshold=6, min_weeks=4, sample_size=5000)
    assert one_in_fifty is not None and not one_in_fifty.is_anomaly
    assert spike is not None and spike.is_anomaly


def test_a_night_that_loaded_nothing_counts_as_zero_rows() -> None:
    history = {MONDAY - dt.timedelta(days=d): 500.0 for d in range(1, 57)}
    judged = judge(MONDAY, None, history, Scale.COUNT, threshold=6, min_weeks=4)
    assert judged is not None and judged.is_anomaly and judged.value is None
    assert judge(MONDAY, None, history, Scale.SHARE, threshold=6, min_weeks=4) is None


def test_one_odd_week_in_the_history_does_not_move_the_expectation() -> None:
    history = {MONDAY - dt.timedelta(days=d): 100.0 + d % 3 for d in range(1, 57)}
    history[MONDAY - dt.timedelta(weeks=1)] = 10_000.0  # last Monday was an outage backlog
    judged = judge(MONDAY, 101.0, history, Scale.COUNT, threshold=6, min_weeks=4)
    assert judged is not None and not judged.is_anomaly
    assert judged.expected == pytest.approx(101.0, abs=1.5)


def test_same_weekday_history_is_newest_first_and_skips_missing_values() -> None:
    history = {
        MONDAY - dt.timedelta(weeks=1): 1.0,
        MONDAY - dt.timedelta(weeks=2): None,
        MONDAY - dt.timedelta(weeks=3): 3.0,
        MONDAY - dt.timedelta(days=1): 9.0,
        MONDAY - dt.timedelta(weeks=9): 7.0,
    }
    assert same_weekday_history(MONDAY, history) == [1.0, 3.0]
