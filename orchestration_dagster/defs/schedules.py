"""The nightly refresh: every raw table, then one `dbt build`, at 02:00 in the configured zone."""

from __future__ import annotations

import dagster as dg

from ingest.common.settings import get_settings

NIGHTLY_CRON = "0 2 * * *"

nightly_refresh_job = dg.define_asset_job(
    name="nightly_refresh_job",
    selection=dg.AssetSelection.all(),
    description="Load every raw table from the landing directory, then `dbt build` everything.",
)

nightly_refresh_schedule = dg.ScheduleDefinition(
    name="nightly_refresh_schedule",
    job=nightly_refresh_job,
    cron_schedule=NIGHTLY_CRON,
    execution_timezone=get_settings().schedule_timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="The nightly refresh; FORGE_SCHEDULE_TIMEZONE sets its time zone (default UTC).",
)
