"""What a finished run did, as rows for watch.runs, watch.run_steps and watch.dbt_nodes.

Pure helpers: the trigger and stage names from a run's tags and step keys, the steps' spans from
its step events, and each dbt node from the run_results.json files its dbt invocations wrote
(parsed by dbt-artifacts-parser; a retry's result for a node replaces the earlier attempt's).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration_dagster.lib.names import REFRESH_TAG

# Set by `forge-warehouse refresh` and `demo` on the runs they start (cli/nightly.py).
TRIGGER_TAG = "forge/trigger"
_SCHEDULE_TAG = "dagster/schedule_name"
_SENSOR_TAG = "dagster/sensor_name"
_BACKFILL_TAG = "dagster/backfill"
_PARTITION_TAG = "dagster/partition"
_MAX_MESSAGE = 500
# the run_results schema dbt-core 1.11 writes; its model alone imports in a fraction of a second,
# while the parser's dispatcher imports every version of every artifact (~10 s on 2 cores)
_RUN_RESULTS_V6 = "https://schemas.getdbt.com/dbt/run-results/v6.json"

# The stages a run's steps belong to, in the order a nightly runs them.
STAGES = ("ingest", "dbt", "checks", "watch")
_DBT_STEP = "forge_dbt_assets"
_FRESHNESS_STEP = "dbt_source_freshness_checks"
WATCH_STEP_PREFIX = "watch__"


def trigger_of(tags: Mapping[str, str]) -> str:
    """Who started the run: the CLI command, the schedule, a sensor, a backfill, or a person."""
    if TRIGGER_TAG in tags:
        return tags[TRIGGER_TAG]
    if _SCHEDULE_TAG in tags:
        return f"schedule {tags[_SCHEDULE_TAG]}"
    if _SENSOR_TAG in tags:
        return f"sensor {tags[_SENSOR_TAG]}"
    if _BACKFILL_TAG in tags:
        return f"backfill {tags[_BACKFILL_TAG]}"
    refresh = tags.get(REFRESH_TAG)
    return f"{refresh} (by hand)" if refresh else "by hand"


def partition_of(tags: Mapping[str, str], run_config: Mapping[str, Any]) -> str | None:
    """The run's partition, or the days its dbt step was configured to rebuild (from..to)."""
    if _PARTITION_TAG in tags:
        return tags[_PARTITION_TAG]
    ops = run_config.get("ops") or {}
    config = (ops.get(_DBT_STEP) or {}).get("config") or {}
    start, end = config.get("reprocess_from"), config.get("reprocess_to")
    return f"{start}..{end}" if start and end else None


def as_of_of(run_config: Mapping[str, Any]) -> dt.datetime | None:
    """The marts' reference time the run was configured with, if any."""
    resources = run_config.get("resources") or {}
    value = ((resources.get("dbt_vars") or {}).get("config") or {}).get("as_of")
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else None


def stage_of(step_key: str) -> str:
    """The stage of a step: raw loads are ingest, `dbt build` is dbt, freshness is checks."""
    if step_key.startswith("raw__"):
        return "ingest"
    if step_key == _DBT_STEP:
        return "dbt"
    if step_key.startswith(WATCH_STEP_PREFIX) or step_key.startswith("watch_"):
        return "watch"
    return "checks"


@dataclass(frozen=True)
class StepEvent:
    """One step event of a run: its step, kind (start, success, failure, skipped), time."""

    step_key: str
    kind: str
    timestamp: float


@dataclass(frozen=True)
class StepSpan:
    """One step of a run, from its first start to its last end, and how it ended."""

    step_key: str
    stage: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    status: str

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


def _moment(timestamp: float | None) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC) if timestamp is not None else None


def step_spans(events: Iterable[StepEvent]) -> list[StepSpan]:
    """Each step's span: retries are inside it (first start to last end); the last end says
    how it ended (success, failure, skipped)."""
    starts: dict[str, float] = {}
    ends: dict[str, tuple[float, str]] = {}
    for event in sorted(events, key=lambda e: e.timestamp):
        if event.kind == "start":
            starts.setdefault(event.step_key, event.timestamp)
        else:
            ends[event.step_key] = (event.timestamp, event.kind)
    spans = []
    for key in sorted(set(starts) | set(ends), key=lambda k: starts.get(k, ends[k][0])):
        end = ends.get(key)
        spans.append(
            StepSpan(
                step_key=key,
                stage=stage_of(key),
                started_at=_moment(starts.get(key)),
                finished_at=_moment(end[0] if end else None),
                status=end[1] if end else "started",
            )
        )
    return spans


@dataclass(frozen=True)
class DbtNode:
    """One dbt node of a run, as its last attempt left it."""

    unique_id: str
    resource_type: str
    name: str
    status: str
    seconds: float | None
    rows_affected: int | None
    failures: int | None
    message: str | None
    started_at: dt.datetime | None


def _started(timing: Sequence[Any]) -> dt.datetime | None:
    moments = [item.started_at for item in timing if getattr(item, "started_at", None)]
    if not moments:
        return None
    first = min(str(moment) for moment in moments)
    return dt.datetime.fromisoformat(first.replace("Z", "+00:00"))


def _rows_affected(adapter_response: Any) -> int | None:
    value = adapter_response.get("rows_affected") if isinstance(adapter_response, dict) else None
    return int(value) if isinstance(value, int) and value >= 0 else None


def _message(text: str | None) -> str | None:
    if not text:
        return None
    line = " ".join(text.split())
    return line if len(line) <= _MAX_MESSAGE else line[: _MAX_MESSAGE - 1] + "…"


def _parse(raw: dict[str, Any]) -> Any:
    """dbt-artifacts-parser's model of a run_results.json (its v6 model directly, the
    dispatcher for any other version)."""
    if raw.get("metadata", {}).get("dbt_schema_version") == _RUN_RESULTS_V6:
        from dbt_artifacts_parser.parsers.run_results.run_results_v6 import RunResultsV6

        return RunResultsV6.model_validate(raw)
    from dbt_artifacts_parser.parser import parse_run_results

    return parse_run_results(run_results=raw)


def read_dbt_nodes(run_results: Path) -> list[DbtNode]:
    """The nodes of one run_results.json, parsed by dbt-artifacts-parser."""
    document = _parse(json.loads(run_results.read_text(encoding="utf-8")))
    nodes = []
    for result in document.results:
        unique_id = str(result.unique_id)
        status = getattr(result.status, "value", result.status)
        failures = getattr(result, "failures", None)
        nodes.append(
            DbtNode(
                unique_id=unique_id,
                resource_type=unique_id.split(".", 1)[0],
                name=unique_id.split(".")[2] if unique_id.count(".") >= 2 else unique_id,
                status=str(status),
                seconds=getattr(result, "execution_time", None),
                rows_affected=_rows_affected(getattr(result, "adapter_response", None)),
                failures=int(failures) if isinstance(failures, int) else None,
                message=_message(getattr(result, "message", None)),
                started_at=_started(getattr(result, "timing", None) or []),
            )
        )
    return nodes


def _attempt_order(path: Path) -> tuple[str, int]:
    """`<step>-<attempt>` folders: by step, then by attempt as a number."""
    step, _, attempt = path.parent.name.rpartition("-")
    return (step, int(attempt)) if attempt.isdigit() else (path.parent.name, 0)


def dbt_nodes_of_run(run_folder: Path) -> list[DbtNode]:
    """Every dbt node a run's invocations ran (target/runs/<run id>/<step>-<attempt>/), the
    later attempt's result for a node replacing the earlier one; sources' freshness is not a
    node run (its sources.json is a check's input, recorded as the check)."""
    merged: dict[str, DbtNode] = {}
    for path in sorted(run_folder.glob("*/run_results.json"), key=_attempt_order):
        merged.update({node.unique_id: node for node in read_dbt_nodes(path)})
    # nothing runs for an exposure: dbt lists it as no-op
    return [node for node in merged.values() if node.resource_type != "exposure"]
