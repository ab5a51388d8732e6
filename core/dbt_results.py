"""dbt's results of a build, counted by kind and status from its run_results.json."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DbtResults:
    """Counts from a dbt run_results.json: nodes by kind and status."""

    models: Counter[str]
    tests: Counter[str]
    path: Path

    @property
    def succeeded(self) -> bool:
        return not (self.models["error"] or self.tests["fail"] or self.tests["error"])

    def summary_line(self) -> str:
        models = ", ".join(f"{count} {status}" for status, count in sorted(self.models.items()))
        tests = ", ".join(f"{count} {status}" for status, count in sorted(self.tests.items()))
        return f"dbt: models/snapshots {models or 'none'}; tests {tests or 'none'}"


def latest_dbt_results(project_dir: Path, *, since: float) -> DbtResults | None:
    """The newest run_results.json under target/ written after `since` (a POSIX time)."""
    candidates = [
        path
        for path in (project_dir / "target").rglob("run_results.json")
        if path.stat().st_mtime >= since
    ]
    if not candidates:
        return None
    path = max(candidates, key=lambda candidate: candidate.stat().st_mtime)
    models: Counter[str] = Counter()
    tests: Counter[str] = Counter()
    for result in json.loads(path.read_text())["results"]:
        kind = result["unique_id"].split(".", 1)[0]
        (tests if kind in ("test", "unit_test") else models)[result["status"]] += 1
    return DbtResults(models, tests, path)
