"""Generated history of the warehouse's daily measures, to prove the anomaly rule both ways.

Ninety (or any number of) days of the compact aggregates watch.daily_measures holds, as a
warehouse fed every night would record them: per raw table the rows loaded, reject rate,
median lateness, and null share and distinct values of key columns; per headline metric its
daily value. Volumes follow the working week (weekends a third of a weekday), grow slowly and
vary more than Poisson noise alone (a day-level multiplier); shares and means vary as their
day's sample would. `plant` bends one measure on one day (a night with a tenth of the events, a
null spike, a reject-rate jump, a metric shift).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace

# Weekday volume relative to a Monday (Mon..Sun): quiet weekends, a slower Friday.
WEEKDAY_FACTORS = (1.0, 1.05, 1.05, 1.0, 0.85, 0.3, 0.25)
DAILY_GROWTH = 0.002
DAY_VARIATION = 0.06  # the day-level multiplier's standard deviation (beyond Poisson)


@dataclass(frozen=True)
class Measure:
    """One measure's value of one day, with the sample it was computed on."""

    subject: str
    measure: str
    day: dt.date
    value: float | None
    sample_size: int


@dataclass(frozen=True)
class _Table:
    entity: str
    weekday_rows: float
    key_columns: tuple[tuple[str, float, float], ...]  # column, null share, distinct per row
    reject_rate: float
    lateness_hours: float


TABLES = (
    _Table(
        "orchestration_events",
        9000,
        (("session_id", 0.0, 0.05), ("phase", 0.04, 0.0006), ("event_type", 0.0, 0.0012)),
        0.003,
        3.0,
    ),
    _Table(
        "orchestration_sessions",
        450,
        (("user_identifier", 0.01, 0.2), ("project_id", 0.3, 0.6)),
        0.002,
        5.0,
    ),
    _Table(
        "orchestration_phase_metrics",
        2200,
        (("session_id", 0.0, 0.2), ("model_used", 0.02, 0.003), ("total_tokens", 0.05, 0.9)),
        0.002,
        4.0,
    ),
    _Table("user_feedback", 120, (("project_outcome_id", 0.0, 0.9),), 0.004, 20.0),
)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (normal approximation above 50, exact below)."""
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _binomial_share(rng: random.Random, n: int, p: float) -> float | None:
    if n == 0:
        return None
    mean, sd = n * p, math.sqrt(n * p * (1 - p))
    count = min(n, max(0, round(rng.gauss(mean, sd)))) if n * p > 20 else _poisson(rng, mean)
    return min(count, n) / n


def daily_history(start: dt.date, days: int, seed: int = 7) -> Iterator[Measure]:
    """`days` days of every measure from `start` on, from one random seed."""
    rng = random.Random(seed)
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        level = WEEKDAY_FACTORS[day.weekday()] * (1 + DAILY_GROWTH) ** offset
        multiplier = max(0.5, rng.gauss(1.0, DAY_VARIATION))
        for table in TABLES:
            yield from _table_day(rng, table, day, level * multiplier)
        yield from _metrics_day(rng, day, level * multiplier)


def _table_day(rng: random.Random, table: _Table, day: dt.date, level: float) -> Iterator[Measure]:
    subject = f"raw.{table.entity}"
    rows = _poisson(rng, table.weekday_rows * level)
    new_lines = rows + _poisson(rng, rows * table.reject_rate)
    rejected = new_lines - rows
    yield Measure(subject, "rows", day, float(rows), rows)
    yield Measure(
        subject, "reject_rate", day, rejected / new_lines if new_lines else None, new_lines
    )
    lateness = table.lateness_hours * math.exp(rng.gauss(0, 0.08))
    yield Measure(subject, "lateness_p50_hours", day, lateness, rows)
    for column, null_share, distinct_per_row in table.key_columns:
        share = _binomial_share(rng, rows, null_share)
        yield Measure(subject, f"null_share.{column}", day, share, rows)
        present = rows - round((share or 0.0) * rows)
        # distinct values: a few categories saturate, ids grow with the rows
        expected = min(present, max(1.0, present * distinct_per_row))
        if distinct_per_row < 0.01:
            expected = min(present, max(1.0, 5 + 2 * math.log1p(present)))
        distinct = min(present, _poisson(rng, expected))
        yield Measure(subject, f"distinct.{column}", day, float(distinct), rows)


def _metrics_day(rng: random.Random, day: dt.date, level: float) -> Iterator[Measure]:
    sessions = _poisson(rng, 420 * level)
    finished = round(sessions * 0.9)
    yield Measure("metric.sessions", "value", day, float(sessions), sessions)
    success = _binomial_share(rng, finished, 0.82)
    yield Measure("metric.session_success_rate", "value", day, success, finished)
    feedback = _poisson(rng, 110 * level)
    mean = 4.1 + rng.gauss(0, 0.9 / math.sqrt(feedback)) if feedback else None
    yield Measure("metric.satisfaction", "value", day, mean, feedback)
    events = _poisson(rng, 9000 * level)
    yield Measure(
        "metric.event_error_rate", "value", day, _binomial_share(rng, events, 0.03), events
    )
    tokens = float(_poisson(rng, 2200 * level) * 1800 * math.exp(rng.gauss(0, 0.05)))
    yield Measure("metric.tokens", "value", day, tokens, round(2200 * level))
    yield Measure(
        "metric.phase_duration_p50_seconds",
        "value",
        day,
        240 * math.exp(rng.gauss(0, 0.06)),
        round(2200 * level),
    )


def plant(
    measures: list[Measure], subject: str, measure: str, day: dt.date, value: float
) -> list[Measure]:
    """The history with one measure of one day set to `value` (an anomaly planted)."""
    found = False
    planted = []
    for item in measures:
        if (item.subject, item.measure, item.day) == (subject, measure, day):
            item, found = replace(item, value=value), True
        planted.append(item)
    if not found:
        raise ValueError(f"no {subject} {measure} on {day} to plant into")
    return planted
