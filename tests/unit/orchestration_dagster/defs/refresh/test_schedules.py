"""The nightly schedule: the nightly job at 02:00 in the settings' zone, one run per tick."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg

from core.settings import get_settings
from orchestration_dagster.lib.names import REFRESH_TAG


def test_nightly_refresh_schedule_runs_the_job_at_two_in_the_settings_timezone(
    defs: dg.Definitions, instance: dg.DagsterInstance
) -> None:
    schedule = defs.resolve_schedule_def("nightly_refresh_schedule")
    zone = get_settings().schedule_timezone
    tick = dt.datetime(2026, 3, 2, 2, 0, tzinfo=ZoneInfo(zone))

    context = dg.build_schedule_context(
        instance=instance, scheduled_execution_time=tick, repository_def=defs.get_repository_def()
    )
    data = schedule.evaluate_tick(context)

    assert schedule.job_name == "nightly_refresh_job"
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == zone
    assert data.run_requests is not None and len(data.run_requests) == 1
    request = data.run_requests[0]
    assert request.run_key == f"nightly-{tick.isoformat()}"
    assert request.tags[REFRESH_TAG] == "nightly"
    assert request.tags["dagster/max_retries"] == "1"
    assert request.partition_key is None
