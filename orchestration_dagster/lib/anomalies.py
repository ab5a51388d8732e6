"""The anomaly rule: a day's value against its own history, robustly and knowing weekdays.

The expected value is the median of the same weekday over the last eight weeks (weekly
seasonality: a Sunday is compared with Sundays). The spread is the median absolute deviation
(MAD) of every day of those eight weeks from its own weekday's median, pooled over the seven
weekdays: up to 56 deviations instead of 8, so one quiet week cannot shrink the spread and
raise false alarms (the MAD of 8 points has a relative standard error near 40%), while a
Monday is still measured against Mondays. Counts and durations are compared on a log scale
(a tenth of the usual rows is the same surprise on a busy and on a quiet weekday); shares
(null share, reject rate, rates) on their own scale. The spread never falls below the noise the
day's sample alone would show (Poisson for counts, binomial for shares) nor below a small
floor, so a series that never moved does not alarm on its first tiny wobble. A measure is
judged once it has the configured number of the same weekdays in its history (default four).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

WINDOW_WEEKS = 8
MAD_TO_SIGMA = 1.4826  # MAD x this estimates the standard deviation of normal data
_LOG_FLOOR = 0.05  # counts: at least a 5% spread
_SHARE_FLOOR = 0.002  # shares: at least 0.2 percentage points
_LEVEL_FLOOR = 0.01  # levels (a satisfaction score): at least 1% of the median


class Scale(StrEnum):
    """How a measure's values are compared."""

    COUNT = "count"  # rows, distinct values, sessions, tokens: log scale
    DURATION = "duration"  # seconds, hours: log scale
    SHARE = "share"  # 0..1 (null share, reject rate, success rates): own scale
    LEVEL = "level"  # any other value (a mean score, NPS): own scale


@dataclass(frozen=True)
class Judgement:
    """A day's value, what its history expected, the band it may move in, and the verdict."""

    day: dt.date
    value: float | None
    expected: float
    low: float
    high: float
    score: float
    history_days: int
    is_anomaly: bool


def _to(scale: Scale, value: float) -> float:
    if scale in (Scale.COUNT, Scale.DURATION):
        return math.log1p(max(value, 0.0))
    return value


def _back(scale: Scale, value: float) -> float:
    if scale in (Scale.COUNT, Scale.DURATION):
        return math.expm1(value)
    return value


def _spread_floor(scale: Scale, center: float, sample_size: int | None) -> float:
    if scale is Scale.COUNT:
        # Poisson noise of a count near exp(center) on the log scale: 1/sqrt(count)
        return max(_LOG_FLOOR, 1.0 / math.sqrt(math.expm1(center) + 1.0))
    if scale is Scale.DURATION:
        return _LOG_FLOOR
    if scale is Scale.SHARE:
        if sample_size:
            share = min(max(center, 1.0 / sample_size), 1.0 - 1.0 / (2 * sample_size))
            return max(_SHARE_FLOOR, math.sqrt(share * (1 - share) / sample_size))
        return _SHARE_FLOOR
    return max(_LEVEL_FLOOR * abs(center), 1e-9)


def same_weekday_history(
    day: dt.date, history: Mapping[dt.date, float | None], weeks: int = WINDOW_WEEKS
) -> list[float]:
    """The values of the same weekday in the `weeks` weeks before `day`, newest first."""
    values = []
    for week in range(1, weeks + 1):
        value = history.get(day - dt.timedelta(weeks=week))
        if value is not None:
            values.append(value)
    return values


def judge(
    day: dt.date,
    value: float | None,
    history: Mapping[dt.date, float | None],
    scale: Scale,
    *,
    threshold: float,
    min_weeks: int,
    sample_size: int | None = None,
) -> Judgement | None:
    """The judgement of `day`'s value against the eight weeks before it; None until the same
    weekday has `min_weeks` values in that window. A missing value counts as 0 for counts
    (a night that loaded nothing) and is not judged for other scales."""
    same = same_weekday_history(day, history)
    if len(same) < min_weeks:
        return None
    if value is None and scale is not Scale.COUNT:
        return None
    observed = 0.0 if value is None else value
    center = statistics.median(_to(scale, v) for v in same)
    deviations = []
    start = day - dt.timedelta(weeks=WINDOW_WEEKS)
    for offset in range(7):
        weekday_values = [
            _to(scale, v)
            for d, v in history.items()
            if v is not None and start <= d < day and (day - d).days % 7 == offset
        ]
        if len(weekday_values) >= 2:
            middle = statistics.median(weekday_values)
            deviations += [abs(v - middle) for v in weekday_values]
    mad = statistics.median(deviations) if deviations else 0.0
    # a weekday noisier than the rest (a weekend's small samples) keeps its own, wider spread
    mad = max(mad, statistics.median(abs(_to(scale, v) - center) for v in same))
    spread = max(MAD_TO_SIGMA * mad, _spread_floor(scale, center, sample_size))
    score = (_to(scale, observed) - center) / spread
    return Judgement(
        day=day,
        value=value,
        expected=_back(scale, center),
        low=_back(scale, center - threshold * spread),
        high=_back(scale, center + threshold * spread),
        score=score,
        history_days=len([v for d, v in history.items() if v is not None and start <= d < day]),
        is_anomaly=abs(score) > threshold,
    )
