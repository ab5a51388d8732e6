"""The nightly's timing: the deadline window the marts' freshness policy checks, and the
sentence a late mart's alert carries."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from orchestration_dagster.lib.nightly import (
    NIGHTLY_CRON,
    daily_cron,
    deadline_window,
    latest_deadline,
    missed_deadline_reason,
)


def test_the_nightly_starts_at_two() -> None:
    assert NIGHTLY_CRON == "0 2 * * *"
    assert daily_cron(dt.time(6, 30)) == "30 6 * * *"


@pytest.mark.parametrize(
    ("deadline", "window"),
    [
        # from the 02:00 start to a 06:00 deadline: a rebuild since 02:00 counts
        (dt.time(6, 0), dt.timedelta(hours=4)),
        # a deadline before the nightly start: the window began the evening before
        (dt.time(1, 30), dt.timedelta(hours=23, minutes=30)),
        # a deadline at the start itself: the whole day before it
        (dt.time(2, 0), dt.timedelta(hours=24)),
    ],
)
def test_the_window_runs_from_the_nightly_start_to_the_deadline(
    deadline: dt.time, window: dt.timedelta
) -> None:
    assert deadline_window(deadline) == window


def test_the_latest_deadline_is_the_last_one_passed_in_its_zone() -> None:
    zone = "Europe/Amsterdam"
    tz = ZoneInfo(zone)
    six = dt.time(6, 0)

    before = dt.datetime(2026, 3, 2, 5, 59, tzinfo=tz)
    after = dt.datetime(2026, 3, 2, 6, 0, tzinfo=tz)

    assert latest_deadline(before, six, zone) == dt.datetime(2026, 3, 1, 6, 0, tzinfo=tz)
    assert latest_deadline(after, six, zone) == dt.datetime(2026, 3, 2, 6, 0, tzinfo=tz)


def test_a_late_marts_reason_names_the_deadline_and_its_last_rebuild() -> None:
    missed = dt.datetime(2026, 3, 2, 6, 0, 30, tzinfo=dt.UTC)
    yesterday = dt.datetime(2026, 3, 1, 15, 0, tzinfo=dt.UTC)

    late = missed_deadline_reason(
        "marts/pattern_analytics", missed, dt.time(6, 0), "UTC", yesterday
    )
    never = missed_deadline_reason("marts/pattern_analytics", missed, dt.time(6, 0), "UTC", None)

    assert late == (
        "the nightly refresh did not rebuild marts/pattern_analytics by 2026-03-02 06:00 UTC "
        "(last rebuilt 2026-03-01 15:00)"
    )
    assert never.endswith("(never built)")
