"""Spans of the API and the report: a pattern's feedback in buckets of days or weeks; a metric's
trend in whole days, ISO weeks or months before as_of; bounded, and a sentence when wrong."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from analytics.metrics import Grain
from analytics.periods import (
    MAX_DAYS,
    Period,
    Span,
    parse_period,
    parse_span,
    period_end,
    period_start,
    shift,
    span,
)


@pytest.mark.parametrize(
    ("text", "count", "bucket_days", "granularity"),
    [
        ("7d", 7, 1, "day"),
        ("30d", 30, 1, "day"),
        ("90d", 90, 1, "day"),
        ("12w", 12, 7, "week"),
        (" 1w ", 1, 7, "week"),  # surrounding spaces are forgiven
        (f"{MAX_DAYS}d", MAX_DAYS, 1, "day"),
    ],
)
def test_a_period_is_buckets_of_days_or_weeks(
    text: str, count: int, bucket_days: int, granularity: str
) -> None:
    period = parse_period(text)
    assert period == Period(count, bucket_days)
    assert period.granularity == granularity
    assert period.days == count * bucket_days
    assert period.text == text.strip()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "is not a number of days or weeks"),
        ("30", "is not a number of days or weeks"),
        ("3m", "is not a number of days or weeks"),  # months are not a fixed length
        ("0d", "is not a number of days or weeks"),
        ("-7d", "is not a number of days or weeks"),
        ("07d", "is not a number of days or weeks"),
        ("1.5w", "is not a number of days or weeks"),
        ("30D", "is not a number of days or weeks"),
        (f"{MAX_DAYS + 1}d", "longer than"),
        ("157w", "longer than"),
    ],
)
def test_a_bad_period_says_what_is_expected(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says) as error:
        parse_period(text)
    assert "\n" not in str(error.value)


# ------------------------------------------------------------------ a metric's trend: a Span
AS_OF = dt.datetime(2025, 12, 8, 0, 0, tzinfo=dt.UTC)  # a Monday, at midnight


@pytest.mark.parametrize(
    ("text", "grain", "count"),
    [
        ("30d", Grain.DAY, 30),
        ("12w", Grain.WEEK, 12),
        ("6m", Grain.MONTH, 6),
        (" 1w ", Grain.WEEK, 1),
        ("1095d", Grain.DAY, 1095),
        ("156w", Grain.WEEK, 156),
        ("36m", Grain.MONTH, 36),
    ],
)
def test_a_span_is_whole_periods_of_a_grain(text: str, grain: Grain, count: int) -> None:
    parsed = parse_span(text)
    assert parsed == Span(grain, count)
    assert parsed.text == text.strip()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("3y", "is not a number of whole days, weeks or months"),
        ("0m", "is not a number of whole days, weeks or months"),
        ("12W", "is not a number of whole days, weeks or months"),
        ("1096d", "longer than three years (at most 1095d)"),
        ("157w", "longer than three years (at most 156w)"),
        ("37m", "longer than three years (at most 36m)"),
    ],
)
def test_a_bad_span_says_what_is_expected(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=re.escape(says)) as error:
        parse_span(text)
    assert "\n" not in str(error.value)


def test_a_span_of_a_grain_is_bounded() -> None:
    assert span(Grain.MONTH, 36) == Span(Grain.MONTH, 36)
    with pytest.raises(ValueError, match="periods must be from 1 to 36 for grain month, got 37"):
        span(Grain.MONTH, 37)


@pytest.mark.parametrize(
    ("grain", "count", "first", "last"),
    [
        # the as_of day is partial: the last whole day is the day before
        (Grain.DAY, 3, dt.date(2025, 12, 5), dt.date(2025, 12, 7)),
        # as_of is a Monday: the week it starts is partial, the last whole one began a week ago
        (Grain.WEEK, 2, dt.date(2025, 11, 24), dt.date(2025, 12, 1)),
        # December has begun: the last whole month is November
        (Grain.MONTH, 13, dt.date(2024, 11, 1), dt.date(2025, 11, 1)),
    ],
)
def test_a_span_ends_on_the_last_whole_period_before_as_of(
    grain: Grain, count: int, first: dt.date, last: dt.date
) -> None:
    starts = Span(grain, count).starts(AS_OF)
    assert len(starts) == count and (starts[0], starts[-1]) == (first, last)
    assert starts == sorted(set(starts))
    assert period_end(starts[-1], grain) < AS_OF.date()


def test_an_as_of_late_in_a_day_still_leaves_that_day_out() -> None:
    evening = dt.datetime(2025, 12, 7, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    # 23:00 at UTC-5 is 04:00 on the 8th in UTC: the 8th is the partial day
    assert Span(Grain.DAY, 1).starts(evening) == [dt.date(2025, 12, 7)]


def test_no_as_of_or_one_near_year_one_gives_no_periods() -> None:
    assert Span(Grain.DAY, 30).starts(None) == []
    assert Span(Grain.MONTH, 36).starts(dt.datetime(1, 2, 1, tzinfo=dt.UTC)) == []


@pytest.mark.parametrize(
    ("day", "grain", "start", "end"),
    [
        (dt.date(2025, 12, 10), Grain.WEEK, dt.date(2025, 12, 8), dt.date(2025, 12, 14)),
        (dt.date(2024, 2, 29), Grain.MONTH, dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        (dt.date(2025, 12, 31), Grain.MONTH, dt.date(2025, 12, 1), dt.date(2025, 12, 31)),
        (dt.date(2025, 12, 31), Grain.DAY, dt.date(2025, 12, 31), dt.date(2025, 12, 31)),
    ],
)
def test_periods_are_utc_days_iso_weeks_and_calendar_months(
    day: dt.date, grain: Grain, start: dt.date, end: dt.date
) -> None:
    assert period_start(day, grain) == start
    assert period_end(start, grain) == end
    assert shift(start, grain, 1) == end + dt.timedelta(days=1)
    assert shift(shift(start, grain, -14), grain, 14) == start
