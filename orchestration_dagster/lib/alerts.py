"""What an operator is told: one alert per failed run, failed blocking check and missed freshness.

The same reasons serve the alerts (defs/alerts) and `forge-warehouse refresh`, which names the
failed check or step when its run fails.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import dagster as dg

from orchestration_dagster.lib.names import CAUSE_BLOCKING_CHECKS, CAUSE_KEY
from orchestration_dagster.lib.source_freshness import SOURCE_FRESH_SUFFIX

RUN_FAILURE = "run_failure"
BLOCKING_CHECK_FAILED = "blocking_check_failed"
MISSED_FRESHNESS = "missed_freshness"
ANOMALY = "anomaly"
# the anomaly checks' names end so (defs/watch/judging.py); they alert when they warn too
ANOMALY_CHECK_SUFFIX = "_within_history"

_TITLES = {
    RUN_FAILURE: "Run failed",
    BLOCKING_CHECK_FAILED: "Blocking check failed",
    MISSED_FRESHNESS: "Missed freshness",
    ANOMALY: "Anomaly",
}
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
_MAX_REASON = 500
_FAILED_ROWS_KEY = "dagster_dbt/failed_row_count"
_MAX_ASSETS_NAMED = 5


def link_free(text: str) -> str:
    """One line, without URLs (which may carry credentials), at most a few hundred characters."""
    line = " ".join(_URL.sub("[link removed]", text).split())
    return line if len(line) <= _MAX_REASON else line[: _MAX_REASON - 1] + "…"


@dataclass(frozen=True)
class Alert:
    """One thing an operator must know: what kind, on which asset, why, and in one line."""

    kind: str
    asset: str
    reason: str
    job: str
    run_id: str

    @property
    def summary(self) -> str:
        where = f"job {self.job}" + (f", run {self.run_id[:8]}" if self.run_id else "")
        title = _TITLES.get(self.kind, self.kind)
        return link_free(f"{title}: {self.asset} — {self.reason} ({where})")

    def payload(self) -> dict[str, str]:
        return {**asdict(self), "reason": link_free(self.reason), "summary": self.summary}


def _metadata_value(metadata: Mapping[str, dg.MetadataValue], key: str) -> object:
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
    """An alert per failed blocking check, per failed (error-level) source freshness check and
    per anomaly check that found one (warning or error)."""
    alerts = []
    not_rebuilt = _not_rebuilt(step_failures)
    entries = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    for entry in entries:
        event = entry.dagster_event
        data = event.event_specific_data if event else None
        if not isinstance(data, dg.AssetCheckEvaluation) or data.passed:
            continue
        if data.check_name.endswith(ANOMALY_CHECK_SUFFIX):
            reason = data.description or f"{data.check_name} found an anomaly"
            alerts.append(
                Alert(ANOMALY, data.asset_key.to_user_string(), reason, run.job_name, run.run_id)
            )
            continue
        if data.severity != dg.AssetCheckSeverity.ERROR:
            continue  # warnings show in Dagster, they do not page anyone
        name = data.check_name
        asset = data.asset_key.to_user_string()
        if name.endswith(SOURCE_FRESH_SUFFIX):
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


def step_failure_events(instance: dg.DagsterInstance, run_id: str) -> list[dg.DagsterEvent]:
    """The run's step failures, as a run-failure sensor's context hands them over."""
    entries = instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
    return [entry.dagster_event for entry in entries if entry.dagster_event is not None]


def run_alerts(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[Alert]:
    """Every alert a finished run gives: its failed checks, then its failure if not all checks."""
    failures = step_failure_events(instance, run.run_id)
    alerts = check_alerts(instance, run, failures)
    if run.status == dg.DagsterRunStatus.FAILURE:
        failed = run_failure_alert(instance, run, failures, None)
        if failed is not None:
            alerts.append(failed)
    return alerts


def freshness_alerts(
    states: Mapping[dg.AssetKey, tuple[str, dt.datetime]],
    alerted: Mapping[str, float],
    describe: Mapping[dg.AssetKey, str],
    job: str,
) -> tuple[list[Alert], dict[str, float]]:
    """(one alert per asset whose freshness policy turned FAIL since it was last alerted, the
    new cursor); `states` is each asset's freshness state and when it took it."""
    alerts = []
    cursor = dict(alerted)
    for key in sorted(states, key=lambda k: k.to_user_string()):
        state, since = states[key]
        name = key.to_user_string()
        if state != "FAIL" or cursor.get(name, 0.0) >= since.timestamp():
            continue
        cursor[name] = since.timestamp()
        alerts.append(
            Alert(MISSED_FRESHNESS, name, describe.get(key, "missed its deadline"), job, "")
        )
    return alerts, cursor
