"""The days Dagster's daily partitions span, and the day a nightly run is for."""

from __future__ import annotations

import datetime as dt

# The first day of Dagster's daily partitions (backfills can start there).
FIRST_EVENT_DAY = dt.date(2025, 1, 1)


def nightly_day(as_of: dt.datetime | None) -> str:
    """The UTC day a nightly run is for: the one before `as_of`, or before now; kept within the
    days Dagster knows (FIRST_EVENT_DAY to today), since the day only labels the run."""
    today = dt.datetime.now(dt.UTC).date()
    reference = as_of or dt.datetime.now(dt.UTC)
    day = (reference.astimezone(dt.UTC) - dt.timedelta(days=1)).date()
    return min(max(day, FIRST_EVENT_DAY), today).isoformat()
