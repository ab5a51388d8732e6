"""Periods of the trends endpoint and the report: `30d` is 30 daily buckets, `12w` twelve weekly
ones, both ending on the marts' as_of date."""

from __future__ import annotations

import re
import reprlib
from dataclasses import dataclass

MAX_DAYS = 1095  # three years
PERIOD_PATTERN = re.compile(r"([1-9][0-9]{0,3})([dw])")
PERIOD_HELP = (
    "a number of days or weeks, like 7d, 30d, 90d or 12w (at most "
    f"{MAX_DAYS} days); d gives daily points, w weekly ones"
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
