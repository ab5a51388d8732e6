"""When the nightly refresh runs (02:00 in FORGE_SCHEDULE_TIMEZONE) and when the weekly run that
tests every row does (Sundays 03:00); both once FORGE_AUTOMATION is on."""

import datetime as dt

import dagster as dg

from core.settings import get_settings
from orchestration_dagster.defs.refresh.jobs import NIGHTLY_TAGS, nightly_refresh_job
from orchestration_dagster.lib.automation import schedule_status
from orchestration_dagster.lib.nightly import (
    FULL_DATA_TESTS_CRON,
    FULL_DATA_TESTS_RUN_CONFIG,
    NIGHTLY_CRON,
)


@dg.schedule(
    name="nightly_refresh_schedule",
    job=nightly_refresh_job,
    cron_schedule=NIGHTLY_CRON,
    execution_timezone=get_settings().schedule_timezone,
    default_status=schedule_status(),
    description="The nightly refresh; FORGE_SCHEDULE_TIMEZONE sets its time zone (default UTC).",
)
def nightly_refresh_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    scheduled = context.scheduled_execution_time or dt.datetime.now(dt.UTC)
    return dg.RunRequest(
        run_key=f"nightly-{scheduled.isoformat()}",
        tags={**NIGHTLY_TAGS, "forge/scheduled_for": scheduled.isoformat()},
    )


@dg.schedule(
    name="full_data_tests_schedule",
    job=nightly_refresh_job,
    cron_schedule=FULL_DATA_TESTS_CRON,
    execution_timezone=get_settings().schedule_timezone,
    default_status=schedule_status(),
    description=(
        "Weekly: the nightly refresh with every data test over every row (nightly runs test "
        "the rows they changed; the database's constraints hold keys and nulls between)."
    ),
)
def full_data_tests_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    scheduled = context.scheduled_execution_time or dt.datetime.now(dt.UTC)
    return dg.RunRequest(
        run_key=f"full-data-tests-{scheduled.isoformat()}",
        run_config=FULL_DATA_TESTS_RUN_CONFIG,
        tags={**NIGHTLY_TAGS, "forge/scheduled_for": scheduled.isoformat()},
    )
