"""dbt's results of a build, counted per kind of node and status, from its run_results.json.

Where they are is said once here: each dbt invocation of a Dagster run writes its artifacts under
target/runs/<run id>/ (orchestration_dagster passes the path), so a run's results are found by
its id; the newest results are the ones dbt generated last, by the time dbt wrote in them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RUN_RESULTS = "run_results.json"
_RUNS = "runs"
# The kinds a summary names, in its order, with their plural; anything else is counted as itself.
_KINDS = {
    "model": "models",
    "snapshot": "snapshots",
    "seed": "seeds",
    "test": "tests",
    "unit_test": "unit tests",
    "exposure": "exposures",
}
_FAILED = {"error", "fail", "runtime error"}


@dataclass(frozen=True)
class DbtResults:
    """Counts from dbt's run_results.json files: per kind of node (model, snapshot, test,
    exposure...), per status; and the results themselves, one per node."""

    by_kind: dict[str, Counter[str]]
    results: list[dict[str, Any]] = field(default_factory=list)
    path: Path = Path()
    generated_at: str | None = None
    elapsed_seconds: float | None = None

    @property
    def models(self) -> Counter[str]:
        return self.by_kind.get("model", Counter())

    @property
    def tests(self) -> Counter[str]:
        return self.by_kind.get("test", Counter()) + self.by_kind.get("unit_test", Counter())

    @property
    def succeeded(self) -> bool:
        return not any(counts[status] for counts in self.by_kind.values() for status in _FAILED)

    def summary_line(self) -> str:
        """`dbt: 35 models (33 success, 2 skipped); 2 snapshots (2 success); ...; 6 exposures`."""
        kinds = [*(kind for kind in _KINDS if kind in self.by_kind), *sorted(self.by_kind)]
        parts = []
        for kind in dict.fromkeys(kinds):
            counts = self.by_kind[kind]
            name = _KINDS.get(kind, kind)
            total = sum(counts.values())
            if kind == "exposure":  # nothing runs for an exposure: dbt reports it as no-op
                parts.append(f"{total} {name}")
                continue
            statuses = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
            parts.append(f"{total} {name} ({statuses})")
        return "dbt: " + ("; ".join(parts) or "nothing ran")


def _kind(unique_id: str) -> str:
    return unique_id.split(".", 1)[0]


def count_results(
    results: Iterable[Mapping[str, Any]], path: Path = Path(), **metadata: Any
) -> DbtResults:
    """DbtResults of dbt result entries (each with unique_id and status)."""
    kept = [dict(result) for result in results]
    by_kind: dict[str, Counter[str]] = {}
    for result in kept:
        by_kind.setdefault(_kind(result["unique_id"]), Counter())[str(result["status"])] += 1
    return DbtResults(by_kind, kept, path, **metadata)


def read_run_results(path: Path) -> DbtResults:
    """The results of one run_results.json."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return count_results(
        document.get("results", []),
        path,
        generated_at=document.get("metadata", {}).get("generated_at"),
        elapsed_seconds=document.get("elapsed_time"),
    )


def run_artifacts_dir(target_path: Path, run_id: str) -> Path:
    """The folder holding a Dagster run's dbt artifacts, one sub-folder per dbt invocation."""
    return target_path / _RUNS / run_id


def dbt_results_of_run(project_dir: Path, run_id: str) -> DbtResults | None:
    """What the dbt invocations of one Dagster run did, attempts merged in order (a retry's
    result for a node replaces the earlier one); None when the run ran no dbt."""
    folder = run_artifacts_dir(project_dir / "target", run_id)
    files = sorted(folder.glob(f"*/{RUN_RESULTS}"), key=_attempt_order)
    if not files:
        return None
    merged: dict[str, dict[str, Any]] = {}
    parts = [read_run_results(path) for path in files]
    for part in parts:
        merged.update({result["unique_id"]: result for result in part.results})
    return count_results(
        merged.values(),
        folder,
        generated_at=parts[-1].generated_at,
        elapsed_seconds=sum(part.elapsed_seconds or 0.0 for part in parts),
    )


def _attempt_order(path: Path) -> tuple[str, int]:
    """`<step>-<attempt>` folders: by step, then by attempt as a number."""
    step, _, attempt = path.parent.name.rpartition("-")
    return (step, int(attempt)) if attempt.isdigit() else (path.parent.name, 0)


def latest_dbt_results(project_dir: Path) -> DbtResults | None:
    """The results dbt generated last, anywhere under target/ (by their `generated_at`)."""
    newest: DbtResults | None = None
    for path in (project_dir / "target").rglob(RUN_RESULTS):
        try:
            results = read_run_results(path)
        except (OSError, ValueError):  # being written, or not dbt's
            continue
        if newest is None or (results.generated_at or "") > (newest.generated_at or ""):
            newest = results
    return newest
