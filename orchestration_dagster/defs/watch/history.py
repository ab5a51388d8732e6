"""Record a finished run in the warehouse: the run, its steps, its dbt nodes (watch.*).

Called by the run-status sensors (defs/watch/sensors.py) when Dagster's daemon runs, and by
`forge-warehouse refresh` after the run it executed in process (no daemon there). Idempotent:
a run recorded twice (by both) is written once, its steps and nodes replaced. Afterwards the
dbt artifacts of all but the newest FORGE_DBT_ARTIFACT_RUNS runs are deleted.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from core.db import connect
from core.dbt_results import run_artifacts_dir
from orchestration_dagster.defs.watch.queries import query
from orchestration_dagster.lib.alerts import run_alerts
from orchestration_dagster.lib.artifact_retention import prune_run_artifacts
from orchestration_dagster.lib.run_history import (
    DbtNode,
    StepEvent,
    StepSpan,
    as_of_of,
    dbt_nodes_of_run,
    partition_of,
    step_spans,
    trigger_of,
)

logger = logging.getLogger(__name__)

_STEP_EVENTS = {
    dg.DagsterEventType.STEP_START: "start",
    dg.DagsterEventType.STEP_SUCCESS: "success",
    dg.DagsterEventType.STEP_FAILURE: "failure",
    dg.DagsterEventType.STEP_SKIPPED: "skipped",
}
_FINISHED = {
    dg.DagsterRunStatus.SUCCESS,
    dg.DagsterRunStatus.FAILURE,
    dg.DagsterRunStatus.CANCELED,
}


@dataclass(frozen=True)
class RecordedRun:
    """What was written for a run, and which older runs' artifacts were deleted."""

    run_id: str
    status: str
    steps: list[StepSpan]
    nodes: list[DbtNode]
    pruned: list[str]


def _step_events(instance: dg.DagsterInstance, run_id: str) -> list[StepEvent]:
    entries = instance.all_logs(run_id, of_type=set(_STEP_EVENTS))
    return [
        StepEvent(entry.step_key, _STEP_EVENTS[entry.dagster_event.event_type], entry.timestamp)
        for entry in entries
        if entry.dagster_event is not None and entry.step_key
    ]


def _moment(timestamp: float | None) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC) if timestamp else None


def record_run(
    instance: dg.DagsterInstance, run_id: str, dsn: str, target_path: Path, keep_artifacts: int
) -> RecordedRun | None:
    """Write a finished run into watch.runs, watch.run_steps and watch.dbt_nodes (one
    transaction), then prune old dbt artifacts; None for a run that has not finished."""
    record = instance.get_run_record_by_id(run_id)
    if record is None or record.dagster_run.status not in _FINISHED:
        return None
    run = record.dagster_run
    steps = step_spans(_step_events(instance, run_id))
    nodes = dbt_nodes_of_run(run_artifacts_dir(target_path, run_id))
    reasons = [f"{alert.asset}: {alert.reason}" for alert in run_alerts(instance, run)]
    elapsed = sum(node.seconds or 0.0 for node in nodes) if nodes else None
    with connect(dsn) as conn, conn.transaction():
        conn.execute(
            query("upsert_run"),
            {
                "run_id": run_id,
                "job_name": run.job_name,
                "trigger": trigger_of(run.tags),
                "partition": partition_of(run.tags, run.run_config or {}),
                "as_of": as_of_of(run.run_config or {}),
                "started_at": _moment(record.start_time),
                "finished_at": _moment(record.end_time),
                "status": run.status.value.lower(),
                "dbt_elapsed_seconds": elapsed,
                "failure_reasons": list(dict.fromkeys(reasons))[:20],
            },
        )
        conn.execute("delete from watch.run_steps where run_id = %s", (run_id,))
        conn.execute("delete from watch.dbt_nodes where run_id = %s", (run_id,))
        with conn.cursor() as cursor:
            cursor.executemany(
                "insert into watch.run_steps values (%s, %s, %s, %s, %s, %s)",
                [
                    (run_id, s.step_key, s.stage, s.started_at, s.finished_at, s.status)
                    for s in steps
                ],
            )
            cursor.executemany(
                "insert into watch.dbt_nodes values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        run_id,
                        n.unique_id,
                        n.resource_type,
                        n.name,
                        n.status,
                        n.seconds,
                        n.rows_affected,
                        n.failures,
                        n.message,
                        n.started_at,
                    )
                    for n in nodes
                ],
            )

    def owned(run_ids: list[str]) -> set[str]:
        records = instance.get_run_records(dg.RunsFilter(run_ids=run_ids)) if run_ids else []
        return {record.dagster_run.run_id for record in records}

    pruned = prune_run_artifacts(target_path, keep_artifacts, protect={run_id}, owned=owned)
    logger.info("recorded run %s: %d steps, %d dbt nodes", run_id, len(steps), len(nodes))
    return RecordedRun(run_id, run.status.value.lower(), steps, nodes, pruned)
