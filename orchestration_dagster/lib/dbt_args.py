"""The dbt command line of a build step: its vars, what it leaves out, where it writes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator

from core.dbt_results import run_artifacts_dir
from orchestration_dagster.lib.dbt_attempts import built_before
from orchestration_dagster.lib.test_scope import UNIQUE_ID_KEY

_REFABLE = ("model", "seed", "snapshot")


def build_args(
    variables: Mapping[str, str], exclude: Sequence[str] = (), tests: Sequence[str] = ()
) -> list[str]:
    """The dbt command line: `build` without dbt's unit tests (they test the SQL, not the data,
    and run in CI), the vars when there are any, the exclusions, and the tests to run besides
    those dbt picks itself (a second --select adds to the selection)."""
    args = ["build", "--exclude-resource-type", "unit_test", *vars_args(variables)]
    if tests:
        args += ["--select", " ".join(tests)]
    if exclude:
        args += ["--exclude", " ".join(exclude)]
    return args


def vars_args(variables: Mapping[str, str]) -> list[str]:
    """`--vars {...}` when there are vars, else nothing."""
    return ["--vars", json.dumps(dict(variables), sort_keys=True)] if variables else []


def reprocess_vars(reprocess_from: str | None, reprocess_to: str | None) -> dict[str, str]:
    """`reprocess_from`/`reprocess_to` for a run of chosen days (ISO dates, the end exclusive),
    or nothing for an incremental build; a half-given or backwards range is a clear error."""
    if reprocess_from is None and reprocess_to is None:
        return {}
    if reprocess_from is None or reprocess_to is None:
        raise ValueError("give both reprocess_from and reprocess_to (ISO dates), or neither")
    try:
        start, end = dt.date.fromisoformat(reprocess_from), dt.date.fromisoformat(reprocess_to)
    except ValueError:
        raise ValueError(
            f"reprocess_from and reprocess_to are ISO dates such as 2026-01-01; "
            f"got {reprocess_from!r} and {reprocess_to!r}"
        ) from None
    if start >= end:
        raise ValueError(
            f"reprocess_to ({end}) must be after reprocess_from ({start}); the end is exclusive"
        )
    return {"reprocess_from": start.isoformat(), "reprocess_to": end.isoformat()}


def fqn_selectors(
    keys: Collection[dg.AssetKey],
    manifest: Mapping[str, Any],
    translator: DagsterDbtTranslator,
) -> list[str]:
    """dbt selectors (`fqn:...`) of the models, seeds and snapshots behind these asset keys."""
    return sorted(
        "fqn:" + ".".join(node["fqn"])
        for node in manifest["nodes"].values()
        if node["resource_type"] in _REFABLE and translator.get_asset_key(node) in keys
    )


def test_selectors(manifest: Mapping[str, Any], tests: Collection[str]) -> list[str]:
    """dbt selectors (`fqn:...`) of these tests (unique_ids)."""
    return sorted("fqn:" + ".".join(manifest["nodes"][test]["fqn"]) for test in tests)


def planned_tests(
    context: dg.AssetExecutionContext, manifest: Mapping[str, Any], done: Collection[dg.AssetKey]
) -> list[str]:
    """dbt selectors of the tests Dagster planned in this step, for assets not done before,
    when the step builds part of the project (a full build picks every test by itself).

    Named explicitly: dbt picks a test by itself ("buildable") only when all its parents are
    selected or upstream of what is, and a test may also depend on a model left out of this
    step's selection (a relationships test, say).
    """
    every = set(context.assets_def.node_keys_by_output_name.values())
    if set(context.selected_asset_keys) == every and not done:
        return []
    here = set(context.selected_asset_check_keys)
    ids = {
        str(spec.metadata.get(UNIQUE_ID_KEY))
        for spec in context.assets_def.check_specs
        if spec.key in here and spec.key.asset_key not in done
    }
    return test_selectors(manifest, ids & set(manifest["nodes"]))


def step_args(
    context: dg.AssetExecutionContext,
    manifest: Mapping[str, Any],
    translator: DagsterDbtTranslator,
    variables: Mapping[str, str],
    days: Mapping[str, str],
    held_tests: Collection[str] = (),
) -> list[str] | None:
    """The step's `dbt build` command line, or None when earlier attempts built everything.

    A retry, or a re-execution from failure, leaves out what earlier attempts built
    (lib/dbt_attempts.py) and names the tests Dagster planned in this step; the tests in
    `held_tests` (unique_ids: the database holds their guarantee, lib/test_scope.py) are left
    out too.
    """
    if days:
        context.log.info(f"rebuilding days {days['reprocess_from']} to {days['reprocess_to']}")
    done = built_before(context)
    if done:
        names = ", ".join(sorted(key.to_user_string() for key in done))
        context.log.info(f"built in an earlier attempt, not built again: {names}")
        if done >= set(context.selected_asset_keys):
            return None
    return build_args(
        {**variables, **days},
        [*fqn_selectors(done, manifest, translator), *test_selectors(manifest, held_tests)],
        planned_tests(context, manifest, done),
    )


def invocation_target_path(target_path: Path, run_id: str, step: str, attempt: int) -> Path:
    """The target folder of one dbt invocation of a run (relative to the dbt project, like
    `target_path`): under the run's own folder, so the run's results are found by its id."""
    return run_artifacts_dir(target_path, run_id) / f"{step}-{attempt}"
