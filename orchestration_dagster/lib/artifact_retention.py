"""Keep the dbt artifacts of the last N runs: each run writes ~15 MB under target/runs/<run id>/.

Once a run's nodes are in watch.dbt_nodes its artifacts are only needed to debug it; the
newest FORGE_DBT_ARTIFACT_RUNS runs (by when their folder was last written) stay on disk. Only
the runs of the Dagster instance pruning are counted and deleted: another warehouse refreshed
from the same checkout (another DAGSTER_HOME) keeps its own, even while one of them runs.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Collection
from pathlib import Path

from core.dbt_results import run_artifacts_dir

logger = logging.getLogger(__name__)


# given the run ids of the folders, those of the pruning instance's runs
Owned = Callable[[list[str]], Collection[str]]


def runs_to_prune(
    target_path: Path, keep: int, protect: Collection[str] = (), owned: Owned | None = None
) -> list[Path]:
    """The run folders past the newest `keep`, oldest first; `protect`ed run ids never, and
    with `owned`, only folders of the runs it says are ours."""
    runs = run_artifacts_dir(target_path, "x").parent
    if not runs.is_dir():
        return []
    folders = [path for path in runs.iterdir() if path.is_dir()]
    if owned is not None:
        ours = set(owned([path.name for path in folders]))
        folders = [path for path in folders if path.name in ours]
    folders.sort(key=lambda path: (path.stat().st_mtime, path.name), reverse=True)
    old = [path for path in folders[max(keep, 0) :] if path.name not in protect]
    return sorted(old, key=lambda path: path.stat().st_mtime)


def prune_run_artifacts(
    target_path: Path, keep: int, protect: Collection[str] = (), owned: Owned | None = None
) -> list[str]:
    """Delete the artifacts of all but the newest `keep` runs; returns the run ids deleted."""
    deleted = []
    for folder in runs_to_prune(target_path, keep, protect, owned):
        shutil.rmtree(folder, ignore_errors=True)
        deleted.append(folder.name)
    if deleted:
        logger.info("deleted the dbt artifacts of %d older run(s)", len(deleted))
    return deleted
