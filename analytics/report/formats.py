"""How the report writes its numbers and times (Jinja filters and chart labels share them)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

NOT_AVAILABLE = "n/a"


def share(value: float | None) -> str:
    """A fraction from 0 to 1 as a percent: 0.875 -> 87.5%."""
    return NOT_AVAILABLE if value is None else f"{value * 100:.1f}%"


def signed(value: float | None) -> str:
    """An NPS: -35, 0, +40."""
    if value is None:
        return NOT_AVAILABLE
    return "0" if round(value) == 0 else f"{value:+.0f}"


def score(value: float | None) -> str:
    """A mean rating: 3.63."""
    return NOT_AVAILABLE if value is None else f"{value:.2f}"


def duration(seconds: float | None) -> str:
    """42 s, 8.5 min, 1.2 h."""
    if seconds is None:
        return NOT_AVAILABLE
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def points(change: float | None) -> str:
    """A change of a fraction, in percentage points: +5.0 pts."""
    return "" if change is None else f"{change * 100:+.1f} pts"


def day(moment: dt.datetime | dt.date | None) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d}"


def moment(value: dt.datetime | None) -> str:
    """2025-12-08 06:00 UTC; "unknown" when there is none."""
    return f"{value.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC" if value else "unknown"


def age(value: dt.timedelta) -> str:
    """38 min, 5.5 h, 3.0 days."""
    hours = value.total_seconds() / 3600
    if hours < 1:
        return f"{max(value.total_seconds() / 60, 0):.0f} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


def counts(counter: Counter[str]) -> str:
    """3 error, 250 pass; "none" when empty."""
    return ", ".join(f"{count} {status}" for status, count in sorted(counter.items())) or "none"


FILTERS = {
    "share": share,
    "signed": signed,
    "score": score,
    "duration": duration,
    "points": points,
    "day": day,
    "moment": moment,
    "age": age,
    "counts": counts,
}
