"""Periods of the trends endpoint: days or weeks, bounded, and a sentence when wrong."""

from __future__ import annotations

import pytest

from analytics.periods import MAX_DAYS, Period, parse_period


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
