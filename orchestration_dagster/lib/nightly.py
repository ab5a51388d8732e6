"""When the nightly refresh starts, and by when the marts it rebuilds must have landed."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg

# 02:00 every day, in FORGE_SCHEDULE_TIMEZONE.
NIGHTLY_START = dt.time(2, 0)
NIGHTLY_CRON = f"{NIGHTLY_START.minute} {NIGHTLY_START.hour} * * *"
_DAY_MINUTES = 24 * 60
# 03:00 on Sundays: the weekly run that tests every row (queued behind that night's refresh).
FULL_DATA_TESTS_CRON = "0 3 * * 0"
# Its run config: the dbt step's full_data_tests (defs/dbt/assets.py, DbtBuildConfig).
FULL_DATA_TESTS_RUN_CONFIG = {"ops": {"forge_dbt_assets": {"config": {"full_data_tests": True}}}}


def daily_cron(moment: dt.time) -> str:
    """The cron expression of `moment` o'clock every day."""
    return f"{moment.minute} {moment.hour} * * *"


def deadline_window(deadline: dt.time, start: dt.time = NIGHTLY_START) -> dt.timedelta:
    """How long before the deadline a rebuild counts: back to the nightly start before it.

    A mart rebuilt since then landed in time; one rebuilt earlier (yesterday, or by hand during
    the day) did not. A deadline at the start itself gives the whole day before it.
    """
    minutes = (deadline.hour - start.hour) * 60 + deadline.minute - start.minute
    return dt.timedelta(minutes=minutes if minutes > 0 else minutes + _DAY_MINUTES)


def marts_freshness_policy(
    deadline: dt.time, timezone: str, start: dt.time = NIGHTLY_START
) -> dg.FreshnessPolicy:
    """Dagster's own deadline rule for the marts: rebuilt between the nightly start and the
    deadline, every day, in `timezone` (evaluated by the daemon, shown on each mart)."""
    return dg.FreshnessPolicy.cron(
        deadline_cron=daily_cron(deadline),
        lower_bound_delta=deadline_window(deadline, start),
        timezone=timezone,
    )


def latest_deadline(now: dt.datetime, deadline: dt.time, timezone: str) -> dt.datetime:
    """The most recent moment at `deadline` o'clock (in `timezone`) at or before `now`."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    candidate = dt.datetime.combine(local.date(), deadline, tzinfo=zone)
    if candidate > local:
        candidate = dt.datetime.combine(local.date() - dt.timedelta(days=1), deadline, tzinfo=zone)
    return candidate


def missed_deadline_reason(
    name: str, missed_at: dt.datetime, deadline: dt.time, timezone: str, last: dt.datetime | None
) -> str:
    """Why a mart is late, in a sentence: the deadline it missed and when it was last rebuilt."""
    due = latest_deadline(missed_at, deadline, timezone)
    when = f"last rebuilt {last.astimezone(due.tzinfo):%Y-%m-%d %H:%M}" if last else "never built"
    return f"the nightly refresh did not rebuild {name} by {due:%Y-%m-%d %H:%M %Z} ({when})"
