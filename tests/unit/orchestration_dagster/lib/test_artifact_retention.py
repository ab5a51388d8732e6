"""The dbt artifacts of the newest N runs stay; older runs' folders go, never a protected one."""

from __future__ import annotations

import os
from pathlib import Path

from orchestration_dagster.lib.artifact_retention import prune_run_artifacts


def _run(target: Path, run_id: str, mtime: float) -> Path:
    folder = target / "runs" / run_id / "forge_dbt_assets-0"
    folder.mkdir(parents=True)
    (folder / "run_results.json").write_text("{}")
    os.utime(target / "runs" / run_id, (mtime, mtime))
    return target / "runs" / run_id


def test_the_newest_runs_are_kept_and_older_ones_deleted(tmp_path: Path) -> None:
    folders = {name: _run(tmp_path, name, 1000.0 + i) for i, name in enumerate("abcde")}

    deleted = prune_run_artifacts(tmp_path, keep=2, protect={"a"})

    assert deleted == ["b", "c"], "oldest first; the protected run stays whatever its age"
    assert [name for name, path in folders.items() if path.exists()] == ["a", "d", "e"]
    assert prune_run_artifacts(tmp_path, keep=2, protect={"a"}) == []


def test_no_runs_folder_is_nothing_to_prune(tmp_path: Path) -> None:
    assert prune_run_artifacts(tmp_path, keep=1) == []


def test_only_the_instances_own_runs_are_counted_and_deleted(tmp_path: Path) -> None:
    folders = {name: _run(tmp_path, name, 1000.0 + i) for i, name in enumerate("abcde")}
    ours = {"a", "c", "e"}  # b and d: another warehouse's runs, from the same checkout

    deleted = prune_run_artifacts(
        tmp_path, keep=1, protect={"c"}, owned=lambda ids: ours & set(ids)
    )

    assert deleted == ["a"]
    assert [name for name, path in folders.items() if path.exists()] == ["b", "c", "d", "e"]
