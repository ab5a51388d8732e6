"""Alerts: one per failed run, per failed blocking check and per missed freshness.

The run-status sensors hand each finished run over once (Dagster's cursor), so each alert is sent
once. A run that failed only because blocking checks failed gets the check alerts (which name
the asset and the test), not a second, vaguer "run failed" alert. A mart that misses its
deadline turns its freshness policy (lib/nightly.py) to FAIL, evaluated by Dagster's daemon;
marts_freshness_sensor alerts once per such turn.
"""

import datetime as dt
import json

import dagster as dg

from core.settings import get_settings
from orchestration_dagster.defs.alerts.resources import AlertResource
from orchestration_dagster.lib.alerts import check_alerts, freshness_alerts, run_failure_alert
from orchestration_dagster.lib.automation import sensor_status
from orchestration_dagster.lib.nightly import missed_deadline_reason

MARTS_FRESHNESS_INTERVAL_SECONDS = 300
_DEADLINE_JOB = "nightly_refresh_job"


@dg.run_failure_sensor(
    name="run_failure_sensor",
    default_status=sensor_status(),
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
    default_status=sensor_status(),
    description="Alerts once per failed source freshness check in a run that otherwise succeeded.",
)
def missed_freshness_sensor(context: dg.RunStatusSensorContext, alerts: AlertResource) -> None:
    for alert in check_alerts(context.instance, context.dagster_run):
        alerts.send(alert, context.log)


@dg.sensor(
    name="marts_freshness_sensor",
    minimum_interval_seconds=MARTS_FRESHNESS_INTERVAL_SECONDS,
    default_status=sensor_status(),
    description=(
        "Alerts once each time a mart's freshness policy turns FAIL: the nightly refresh did "
        "not rebuild it by FORGE_MARTS_DEADLINE (default 06:00, in FORGE_SCHEDULE_TIMEZONE)."
    ),
)
def marts_freshness_sensor(
    context: dg.SensorEvaluationContext, alerts: AlertResource
) -> dg.SkipReason:
    # custom: Dagster+ alerts on freshness; open-source Dagster records the state changes only
    assert context.repository_def is not None
    graph = context.repository_def.asset_graph
    keys = [key for key in graph.get_all_asset_keys() if graph.get(key).freshness_policy]
    records = context.instance.get_freshness_state_records(keys)
    states = {
        key: (record.freshness_state.value, record.updated_at) for key, record in records.items()
    }
    if context.cursor is None:
        # a fresh sensor starts from the states it finds: marts late before it ran are known
        context.update_cursor(
            json.dumps({k.to_user_string(): t.timestamp() for k, (_, t) in states.items()})
        )
        return dg.SkipReason("started; alerts on the next mart that misses its deadline")
    settings = get_settings()
    reasons = {}
    for key, (state, since) in states.items():
        if state == "FAIL":
            event = context.instance.get_latest_materialization_event(key)
            last = dt.datetime.fromtimestamp(event.timestamp, dt.UTC) if event else None
            reasons[key] = missed_deadline_reason(
                key.to_user_string(),
                since,
                settings.marts_deadline,
                settings.schedule_timezone,
                last,
            )
    sent, cursor = freshness_alerts(states, json.loads(context.cursor), reasons, _DEADLINE_JOB)
    for alert in sent:
        alerts.send(alert, context.log)
    context.update_cursor(json.dumps(cursor, sort_keys=True))
    return dg.SkipReason(f"{len(sent)} mart(s) missed the deadline" if sent else "no mart is late")
