"""Spans of time the API and the report ask about.

- A pattern's feedback trend (`Period`): `30d` is 30 daily buckets, `12w` twelve weekly ones,
  both ending on the last whole day before the marts' as_of.
- A metric's trend (`Span`): the last N whole calendar periods of a grain (UTC days, ISO weeks
  from Monday, months), as marts.metric_values holds them; `30d`, `12w` and `6m` are short for
  grain day, week or month with 30, 12 or 6 periods. The period holding the as_of day is
  partial (the build saw none or part of that day), so the span ends on the period before it.
"""

from __future__ import annotations

import datetime as dt
import re
import reprlib
from dataclasses import dataclass

from analytics.metrics import Grain

MAX_DAYS = 1095  # three years
PERIOD_PATTERN = re.compile(r"([1-9][0-9]{0,3})([dw])")
PERIOD_HELP = (
    "a number of days or weeks, like 7d, 30d, 90d or 12w (at most "
    f"{MAX_DAYS} days); d gives daily points, w weekly ones"
)
SPAN_PATTERN = re.compile(r"([1-9][0-9]{0,3})([dwm])")
GRAIN_LETTERS = {"d": Grain.DAY, "w": Grain.WEEK, "m": Grain.MONTH}
# the most periods a trend spans: three years of each grain
MAX_PERIODS = {Grain.DAY: MAX_DAYS, Grain.WEEK: 156, Grain.MONTH: 36}
DEFAULT_PERIODS = {Grain.DAY: 30, Grain.WEEK: 12, Grain.MONTH: 12}
SPAN_HELP = (
    "a number of whole days, weeks or months, like 30d, 12w or 6m (at most "
    f"{MAX_PERIODS[Grain.DAY]}d, {MAX_PERIODS[Grain.WEEK]}w or {MAX_PERIODS[Grain.MONTH]}m); "
    "short for grain=day, week or month with that many periods"
)


@dataclass(frozen=True)
class Period:
    """`count` buckets of `bucket_days` days each."""

    count: int
    bucket_days: int

    @property
    def text(self) -> str:
        return f"{self.count}{'w' if self.bucket_days == 7 else 'd'}"

    @property
    def granularity(self) -> str:
        return "week" if self.bucket_days == 7 else "day"

    @property
    def days(self) -> int:
        return self.count * self.bucket_days


def parse_period(text: str) -> Period:
    """`30d` or `12w`; anything else raises ValueError with a sentence saying what is expected."""
    match = PERIOD_PATTERN.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"period {reprlib.repr(text)} is not {PERIOD_HELP}")
    period = Period(count=int(match[1]), bucket_days=7 if match[2] == "w" else 1)
    if period.days > MAX_DAYS:
        raise ValueError(f"period {reprlib.repr(text)} is longer than {MAX_DAYS} days")
    return period


@dataclass(frozen=True)
class Span:
    """The last `count` whole periods of `grain` before the one holding as_of."""

    grain: Grain
    count: int

    @property
    def text(self) -> str:
        return f"{self.count}{self.grain.value[0]}"

    def starts(self, as_of: dt.datetime | None) -> list[dt.date]:
        """The first day of each period, oldest first; none without an as_of."""
        if as_of is None:
            return []
        try:
            as_of_date = as_of.astimezone(dt.UTC).date()
            last = shift(period_start(as_of_date, self.grain), self.grain, -1)
            return [shift(last, self.grain, index - self.count + 1) for index in range(self.count)]
        except (OverflowError, ValueError):  # an as_of near year 1: no whole period before it
            return []


def span(grain: Grain, count: int) -> Span:
    """`count` periods of `grain`; more than three years raises ValueError (one sentence)."""
    most = MAX_PERIODS[grain]
    if not 1 <= count <= most:
        raise ValueError(f"periods must be from 1 to {most} for grain {grain.value}, got {count}")
    return Span(grain, count)


def parse_span(text: str) -> Span:
    """`30d`, `12w` or `6m`; anything else raises ValueError with a sentence saying what is
    expected."""
    match = SPAN_PATTERN.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"period {reprlib.repr(text)} is not {SPAN_HELP}")
    grain, count = GRAIN_LETTERS[match[2]], int(match[1])
    if count > MAX_PERIODS[grain]:
        raise ValueError(
            f"period {reprlib.repr(text)} is longer than three years "
            f"(at most {MAX_PERIODS[grain]}{match[2]})"
        )
    return Span(grain, count)


def period_start(day: dt.date, grain: Grain) -> dt.date:
    """The first day of the period of `grain` holding `day` (weeks start on Monday)."""
    if grain is Grain.WEEK:
        return day - dt.timedelta(days=day.weekday())
    if grain is Grain.MONTH:
        return day.replace(day=1)
    return day


def shift(start: dt.date, grain: Grain, periods: int) -> dt.date:
    """The start of the period `periods` periods after (or, negative, before) the one at
    `start`, itself a period's first day."""
    if grain is Grain.DAY:
        return start + dt.timedelta(days=periods)
    if grain is Grain.WEEK:
        return start + dt.timedelta(weeks=periods)
    months = start.year * 12 + start.month - 1 + periods
    return dt.date(months // 12, months % 12 + 1, 1)


def period_end(start: dt.date, grain: Grain) -> dt.date:
    """The last day of the period starting on `start` (included)."""
    return shift(start, grain, 1) - dt.timedelta(days=1)
