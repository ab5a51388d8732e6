"""Alerts: one per failed run, per failed blocking check and per missed freshness.

Both sensors are run-status sensors: Dagster's cursor hands each finished run to them once, so
each alert is sent once. A run that failed only because blocking checks failed gets the check
alerts (which name the asset and the test), not a second, vaguer "run failed" alert.
"""

from collections.abc import Sequence

import dagster as dg

from orchestration_dagster.defs.alerts.resources import (
    BLOCKING_CHECK_FAILED,
    MISSED_FRESHNESS,
    RUN_FAILURE,
    Alert,
    AlertResource,
)
from orchestration_dagster.defs.dbt.assets import CAUSE_BLOCKING_CHECKS, CAUSE_KEY
from orchestration_dagster.defs.dbt.checks import DEADLINE_SUFFIX, SOURCE_FRESH_SUFFIX

_FRESHNESS_SUFFIXES = (SOURCE_FRESH_SUFFIX, DEADLINE_SUFFIX)
_FAILED_ROWS_KEY = "dagster_dbt/failed_row_count"
_MAX_ASSETS_NAMED = 5


def _metadata_value(metadata: dict[str, dg.MetadataValue], key: str) -> object:
    value = metadata.get(key)
    return value.value if value is not None else None


def _not_rebuilt(step_failures: Sequence[dg.DagsterEvent]) -> list[str]:
    names: list[str] = []
    for event in step_failures:
        user = event.step_failure_data.user_failure_data
        value = _metadata_value(dict(user.metadata), "not_rebuilt") if user else None
        if isinstance(value, list):
            names += [str(name) for name in value if str(name) not in names]
    return names


def check_alerts(
    instance: dg.DagsterInstance,
    run: dg.DagsterRun,
    step_failures: Sequence[dg.DagsterEvent] = (),
) -> list[Alert]:
    """An alert per failed blocking check and per failed (error-level) freshness check."""
    alerts = []
    not_rebuilt = _not_rebuilt(step_failures)
    entries = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    for entry in entries:
        event = entry.dagster_event
        data = event.event_specific_data if event else None
        if not isinstance(data, dg.AssetCheckEvaluation) or data.passed:
            continue
        if data.severity != dg.AssetCheckSeverity.ERROR:
            continue  # warnings show in Dagster, they do not page anyone
        name = data.check_name
        asset = data.asset_key.to_user_string()
        if name.endswith(_FRESHNESS_SUFFIXES):
            kind = MISSED_FRESHNESS
            reason = data.description or f"{name} failed"
        elif data.blocking:
            kind = BLOCKING_CHECK_FAILED
            rows = _metadata_value(dict(data.metadata), _FAILED_ROWS_KEY)
            reason = data.description or f"check {name} failed"
            if rows:
                reason += f" ({rows} failing rows)"
            if not data.description and not_rebuilt:
                reason += "; not rebuilt, keeping their previous data: " + ", ".join(not_rebuilt)
        else:
            continue
        alerts.append(Alert(kind, asset, reason, run.job_name, run.run_id))
    return alerts


def _assets_of_step(instance: dg.DagsterInstance, run: dg.DagsterRun, step_key: str) -> list[str]:
    if run.execution_plan_snapshot_id is None:
        return []
    plan = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
    for step in plan.steps:
        if step.key == step_key:
            keys = [key for key in step.entity_keys if isinstance(key, dg.AssetKey)]
            return sorted(key.to_user_string() for key in keys)
    return []


def _failure_assets(
    instance: dg.DagsterInstance, run: dg.DagsterRun, event: dg.DagsterEvent
) -> list[str]:
    """The assets a failed step failed on: dbt says which; otherwise, the step's assets."""
    user = event.step_failure_data.user_failure_data
    metadata = dict(user.metadata) if user else {}
    named: list[str] = []
    for key in ("errors", "failed_tests"):
        value = _metadata_value(metadata, key)
        if isinstance(value, list):
            named += [str(item[1] if key == "failed_tests" else item[0]) for item in value]
    if named:
        return sorted(set(named))
    return _assets_of_step(instance, run, event.step_key or "")


def _named(assets: Sequence[str]) -> str:
    if not assets:
        return "no asset"
    shown = ", ".join(assets[:_MAX_ASSETS_NAMED])
    more = len(assets) - _MAX_ASSETS_NAMED
    return shown + (f" and {more} more" if more > 0 else "")


def run_failure_alert(
    instance: dg.DagsterInstance,
    run: dg.DagsterRun,
    step_failures: Sequence[dg.DagsterEvent],
    run_failure_message: str | None,
) -> Alert | None:
    """The one alert of a failed run, or None when its failure is all failed blocking checks."""
    assets: list[str] = []
    reasons: list[str] = []
    for event in step_failures:
        data = event.step_failure_data
        user = data.user_failure_data
        cause = _metadata_value(dict(user.metadata), CAUSE_KEY) if user else None
        if cause == CAUSE_BLOCKING_CHECKS or (
            data.error and data.error.cls_name == "DagsterAssetCheckFailedError"
        ):
            continue
        message = (user.description if user and user.description else None) or (
            data.error.message.strip().splitlines()[0] if data.error else "step failed"
        )
        reasons.append(message)
        assets += [a for a in _failure_assets(instance, run, event) if a not in assets]
    if step_failures and not reasons:
        return None
    if not step_failures:
        reasons.append(run_failure_message or "the run failed before any step ran")
        assets = sorted(key.to_user_string() for key in run.asset_selection or ())
    return Alert(RUN_FAILURE, _named(assets), "; ".join(reasons), run.job_name, run.run_id)


@dg.run_failure_sensor(
    name="run_failure_sensor",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Alerts once per failed run, and once per failed blocking or freshness check.",
)
def run_failure_sensor(context: dg.RunFailureSensorContext, alerts: AlertResource) -> None:
    run = context.dagster_run
    step_failures = context.get_step_failure_events()
    for alert in check_alerts(context.instance, run, step_failures):
        alerts.send(alert, context.log)
    failed = run_failure_alert(context.instance, run, step_failures, context.failure_event.message)
    if failed is not None:
        alerts.send(failed, context.log)


@dg.run_status_sensor(
    name="missed_freshness_sensor",
    run_status=dg.DagsterRunStatus.SUCCESS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Alerts once per failed freshness check in a run that otherwise succeeded.",
)
def missed_freshness_sensor(context: dg.RunStatusSensorContext, alerts: AlertResource) -> None:
    for alert in check_alerts(context.instance, context.dagster_run):
        alerts.send(alert, context.log)
