"""The nightly refresh: every raw table, then dbt, at 02:00 in the configured zone.

Its runs carry the refresh tag, so the run queue never lets two of them (or a nightly and a
landing-sensor run) overlap. When dbt's assets are partitioned by day (the project has
incremental models), a nightly run is for the UTC day that just ended: the partitions show
which days landed.
"""

import datetime as dt

import dagster as dg

from core.settings import get_settings
from orchestration_dagster.defs.dbt.assets import dbt_assets_defs
from orchestration_dagster.defs.dbt.checks import marts_freshness_checks
from orchestration_dagster.defs.nightly import NIGHTLY_CRON, REFRESH_TAG
from orchestration_dagster.lib.partitions import nightly_day

# Everything the refresh builds and checks; the deadline checks run on their own, after it.
refresh_selection = dg.AssetSelection.all() - dg.AssetSelection.checks(marts_freshness_checks)

NIGHTLY_TAGS = {
    REFRESH_TAG: "nightly",
    # a run whose process died (not one whose step failed) is re-executed once, from the
    # assets that did not complete (needs run_retries enabled in dagster.yaml)
    "dagster/max_retries": "1",
    "dagster/retry_on_asset_or_op_failure": "false",
    "dagster/retry_strategy": "FROM_ASSET_FAILURE",
}

nightly_refresh_job = dg.define_asset_job(
    name="nightly_refresh_job",
    selection=refresh_selection,
    tags=NIGHTLY_TAGS,
    description=(
        "Load every raw table's new landing files, check their reject rates and freshness, "
        "then `dbt build` with the tests as checks."
    ),
)

_PARTITIONED = any(assets.partitions_def is not None for assets in dbt_assets_defs)


def nightly_partition_key(scheduled: dt.datetime) -> str | None:
    """The day a nightly run is for: the last whole UTC day before it started."""
    return nightly_day(scheduled) if _PARTITIONED else None


@dg.schedule(
    name="nightly_refresh_schedule",
    job=nightly_refresh_job,
    cron_schedule=NIGHTLY_CRON,
    execution_timezone=get_settings().schedule_timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="The nightly refresh; FORGE_SCHEDULE_TIMEZONE sets its time zone (default UTC).",
)
def nightly_refresh_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    scheduled = context.scheduled_execution_time or dt.datetime.now(dt.UTC)
    return dg.RunRequest(
        run_key=f"nightly-{scheduled.isoformat()}",
        partition_key=nightly_partition_key(scheduled),
        tags={**NIGHTLY_TAGS, "forge/scheduled_for": scheduled.isoformat()},
    )
