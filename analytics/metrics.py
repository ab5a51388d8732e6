"""The daily metrics of marts.metrics_daily and how a span of days sums up.

Every metric is a numerator and a denominator per day, so any span's value is
sum(numerator) / sum(denominator): rates (percent) and the mean rating stay right over weeks,
and for the counts, whose denominator is 1 a day, it is the mean per day (sum(numerator) is the
span's total).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Metric(StrEnum):
    """A metric of marts.metrics_daily."""

    SATISFACTION = "satisfaction"
    NPS = "nps"
    BUILD_SUCCESS_RATE = "build_success_rate"
    SESSIONS = "sessions"
    SESSION_SUCCESS_RATE = "session_success_rate"
    TOKENS = "tokens"
    EVENT_ERROR_RATE = "event_error_rate"

    @property
    def is_count(self) -> bool:
        """Counts: the value of a span is a mean per day, its numerator the total."""
        return self in (Metric.SESSIONS, Metric.TOKENS)


@dataclass(frozen=True)
class Sums:
    """Numerator, denominator and sample size of some days of one metric."""

    numerator: float
    denominator: float | None
    sample_size: int

    @property
    def value(self) -> float | None:
        """sum(numerator) / sum(denominator); None when nothing was measured."""
        if not self.denominator:
            return None
        return self.numerator / self.denominator


def add_up(parts: Iterable[Sums]) -> Sums:
    """The sums of several spans: a period's value is a ratio of sums, never a mean of ratios."""
    numerator, denominator, sample_size, has_denominator = 0.0, 0.0, 0, False
    for part in parts:
        numerator += part.numerator
        sample_size += part.sample_size
        if part.denominator is not None:
            denominator += part.denominator
            has_denominator = True
    return Sums(numerator, denominator if has_denominator else None, sample_size)
