"""After each deadline, once: did the nightly refresh rebuild the marts in time?"""

import datetime as dt

import dagster as dg

from orchestration_dagster.defs.dbt.assets import dbt_assets_defs
from orchestration_dagster.defs.dbt.checks import marts_freshness_checks
from orchestration_dagster.defs.dbt.resources import FreshnessResource
from orchestration_dagster.defs.nightly import latest_deadline
from orchestration_dagster.defs.schedules import nightly_partition_key

MARTS_FRESHNESS_INTERVAL_SECONDS = 300
_CHECKS_PARTITIONED_MARTS = any(
    key.asset_key in assets.keys
    for key in marts_freshness_checks.check_keys
    for assets in dbt_assets_defs
    if assets.partitions_def is not None
)


def marts_freshness_request(
    cursor: str | None, now: dt.datetime, deadline: dt.time, timezone: str
) -> tuple[dg.RunRequest | None, str, str]:
    """(the run that evaluates the deadline checks or None, the new cursor, why not).

    The cursor is the last deadline evaluated. A sensor seeing no cursor starts from the
    current deadline without evaluating it: marts of a fresh instance are not "late".
    """
    moment = latest_deadline(now, deadline, timezone)
    latest = moment.isoformat()
    if cursor is None:
        return None, latest, f"started; first evaluation after the deadline following {latest}"
    if dt.datetime.fromisoformat(cursor) >= moment:
        return None, cursor, f"deadline {latest} already evaluated"
    request = dg.RunRequest(
        run_key=f"marts-freshness-{latest}",
        asset_selection=[],
        asset_check_keys=sorted(
            marts_freshness_checks.check_keys, key=lambda k: k.to_user_string()
        ),
        tags={"forge/deadline": latest},
        # checks on the daily event marts need a partition: the day the nightly run was for
        partition_key=nightly_partition_key(moment) if _CHECKS_PARTITIONED_MARTS else None,
    )
    return request, latest, ""


@dg.sensor(
    name="marts_freshness_sensor",
    target=dg.AssetSelection.checks(marts_freshness_checks),
    minimum_interval_seconds=MARTS_FRESHNESS_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Once after each deadline (FORGE_MARTS_DEADLINE): were the marts rebuilt in time?",
)
def marts_freshness_sensor(
    context: dg.SensorEvaluationContext, freshness: FreshnessResource
) -> dg.SensorResult:
    request, cursor, why_not = marts_freshness_request(
        context.cursor, dt.datetime.now(dt.UTC), freshness.deadline(), freshness.zone()
    )
    if request is None:
        return dg.SensorResult(skip_reason=dg.SkipReason(why_not), cursor=cursor)
    return dg.SensorResult(run_requests=[request], cursor=cursor)
