"""`dbt source freshness` of the raw tables, as checks on the raw assets.

`raw_<table>_source_fresh`, for each dbt source that declares thresholds (warn_after /
error_after on `_loaded_at`): dbt's warn is a WARN check, its error an ERROR check. They run in
the nightly job, after the loads. (The marts' deadline is a freshness policy: lib/nightly.py.)
"""

import json
from collections.abc import Iterator

import dagster as dg
from dbt.cli.main import dbtRunner

from core import dbt_parse_state
from core.db import dbt_env, environment
from orchestration_dagster.defs.dbt.assets import manifest, translator
from orchestration_dagster.defs.dbt.resources import DbtVarsResource, dbt_project
from orchestration_dagster.defs.ingest.resources import WarehouseResource
from orchestration_dagster.lib.dbt_args import (
    invocation_target_path,
    vars_args,
)
from orchestration_dagster.lib.retries import TRANSIENT_RETRY_POLICY, is_transient_message
from orchestration_dagster.lib.source_freshness import (
    freshness_result,
    source_freshness_specs,
    source_selector,
)
from orchestration_dagster.lib.test_scope import scope_vars

_SOURCE_SPECS = source_freshness_specs(manifest, translator)


@dg.multi_asset_check(
    name="dbt_source_freshness_checks",
    specs=[spec for spec, _ in _SOURCE_SPECS.values()],
    can_subset=True,
    retry_policy=TRANSIENT_RETRY_POLICY,
    description="`dbt source freshness` of the raw tables.",
)
def source_freshness_checks(
    context: dg.AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    dbt_vars: DbtVarsResource,
) -> Iterator[dg.AssetCheckResult]:
    selected = sorted(context.selected_asset_check_keys, key=lambda k: k.to_user_string())
    dsn = warehouse.dsn_for("dbt source freshness")
    selectors = [_SOURCE_SPECS[key][1] for key in selected]
    target = invocation_target_path(
        dbt_project.target_path,
        context.run.run_id,
        "dbt_source_freshness_checks",
        context.op_execution_context.retry_number,
    )
    # the vars of a usual night's build, which runs next and finds the parse state kept here
    variables = scope_vars(every_row=False)
    target_dir = dbt_project.project_dir / target
    with (
        dbt_parse_state.kept(dbt_project.project_dir, target_dir, dsn, variables),
        environment({**dbt_env(dsn), **dbt_vars.environment()}),
    ):
        # custom: dbt's Python API in this process instead of dagster-dbt's dbt process, which
        # costs 3 s more to start (4.6 s against 1.4-2.5 s here) for 0.6 s of queries
        outcome = dbtRunner().invoke(
            [
                "source",
                "freshness",
                *vars_args(variables),
                "--select",
                " ".join(selectors),
                "--project-dir",
                str(dbt_project.project_dir),
                "--profiles-dir",
                str(dbt_project.profiles_dir),
                "--target-path",
                str(target_dir),
                "--log-path",
                str(target_dir),
                "--no-use-colors",
            ]
        )
    try:
        results = json.loads((target_dir / "sources.json").read_text(encoding="utf-8"))["results"]
    except (OSError, ValueError, KeyError):
        text = str(outcome.exception or "no sources.json was written")
        raise dg.Failure(
            description=f"dbt source freshness did not run: {text}", allow_retries=False
        ) from None
    transient = [str(r["error"]) for r in results if is_transient_message(str(r.get("error")))]
    if transient:
        raise dg.Failure(
            description=f"transient database error in dbt source freshness: {transient[0]}",
            allow_retries=True,
        )
    by_selector = {source_selector(r["unique_id"]): r for r in results if r.get("unique_id")}
    for key in selected:
        result = by_selector.get(_SOURCE_SPECS[key][1])
        yield freshness_result(key, result or {"status": "runtime error", "error": "no result"})
