"""When the nightly refresh starts, by when it must have landed, and what keeps it one at a time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

# 02:00 every day, in FORGE_SCHEDULE_TIMEZONE.
NIGHTLY_START = dt.time(2, 0)
NIGHTLY_CRON = f"{NIGHTLY_START.minute} {NIGHTLY_START.hour} * * *"

# Every run that writes the warehouse carries this tag (value: nightly, landing); the run queue
# lets one such run in progress at a time (orchestration_dagster/dagster.yaml).
REFRESH_TAG = "forge/refresh"


def parse_time_of_day(text: str) -> dt.time:
    """'06:00' or '6:30' as a time of day; anything else is a clear error."""
    try:
        hours, minutes = (int(part) for part in text.strip().split(":"))
        return dt.time(hours, minutes)
    except ValueError:
        raise ValueError(f"expected a time of day as HH:MM, e.g. 06:00; got {text!r}") from None


def latest_deadline(now: dt.datetime, deadline: dt.time, timezone: str) -> dt.datetime:
    """The most recent moment at `deadline` o'clock (in `timezone`) at or before `now`."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    candidate = dt.datetime.combine(local.date(), deadline, tzinfo=zone)
    if candidate > local:
        candidate = dt.datetime.combine(local.date() - dt.timedelta(days=1), deadline, tzinfo=zone)
    return candidate


def refresh_window(
    now: dt.datetime, deadline: dt.time, timezone: str, start: dt.time = NIGHTLY_START
) -> tuple[dt.datetime, dt.datetime]:
    """(start, deadline) of the latest nightly refresh that should have landed by `now`.

    The start is the nightly schedule's tick before that deadline: a mart rebuilt since then
    landed in time; one rebuilt earlier (yesterday, or by hand during the day) did not.
    """
    end = latest_deadline(now, deadline, timezone)
    zone = ZoneInfo(timezone)
    begin = dt.datetime.combine(end.date(), start, tzinfo=zone)
    if begin > end:
        begin = dt.datetime.combine(end.date() - dt.timedelta(days=1), start, tzinfo=zone)
    return begin, end
