"""What a finished run did, read from its events: the batches it loaded, why it failed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import dagster as dg

from orchestration_dagster.lib.alerts import run_alerts, step_failure_events

_BATCH_IDS = "batch_ids"
_ALREADY_LOADED = "files_already_loaded"


@dataclass(frozen=True)
class RunReport:
    """A run's outcome, the load batches its raw assets committed, and why it failed."""

    run_id: str
    succeeded: bool
    batch_ids: list[str]
    files_already_loaded: dict[str, int]  # raw asset -> files skipped as loaded before
    reasons: list[str]


def _values(metadata: Mapping[str, dg.MetadataValue]) -> dict[str, object]:
    return {name: value.value for name, value in metadata.items()}


def _batches(metadata: Mapping[str, object]) -> list[str]:
    value = metadata.get(_BATCH_IDS)
    return [str(batch) for batch in value] if isinstance(value, list) else []


def read_run(instance: dg.DagsterInstance, run_id: str) -> RunReport:
    """The report of a finished run, from its materializations and step failures."""
    run = instance.get_run_by_id(run_id)
    if run is None:
        raise ValueError(f"no Dagster run {run_id} in this instance")
    batch_ids: list[str] = []
    skipped: dict[str, int] = {}
    entries = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
    for entry in entries:
        event = entry.dagster_event
        if event is None or event.asset_key is None:
            continue
        metadata = _values(event.step_materialization_data.materialization.metadata)
        batch_ids += _batches(metadata)
        if isinstance(metadata.get(_ALREADY_LOADED), int):
            skipped[event.asset_key.to_user_string()] = int(str(metadata[_ALREADY_LOADED]))
    for failure in step_failure_events(instance, run_id):
        user = failure.step_failure_data.user_failure_data
        batch_ids += _batches(_values(user.metadata)) if user else []
    reasons = [f"{alert.asset}: {alert.reason}" for alert in run_alerts(instance, run)]
    return RunReport(
        run_id=run_id,
        succeeded=run.status == dg.DagsterRunStatus.SUCCESS,
        batch_ids=list(dict.fromkeys(batch_ids)),
        files_already_loaded=skipped,
        reasons=list(dict.fromkeys(reasons)),
    )
