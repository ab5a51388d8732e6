"""Every dbt model and snapshot as an asset, built by one `dbt build` (its tests are checks).

One definition over the whole project, so dbt orders every model and test itself in one
invocation (a view rebuilt drops the views on it, which the same invocation rebuilds). Not
partitioned: a nightly run builds incrementally whatever landed (the lookback window catches
late rows), tables and views are rebuilt whole, so per-day partitions would only show days as
missing. A run for chosen days sets `reprocess_from`/`reprocess_to` in the run's config (the
launchpad's `ops: forge_dbt_assets: config:`) and rebuilds exactly those days of the
incremental models, in that one run.

Gates: a dbt test of severity error is a blocking asset check; dbt skips what is downstream of
it, so a mart keeps its previous data, and the step fails naming the tests and those marts.
Retries: a build that met only transient database errors is retried with backoff; a retry, or
a re-execution from failure, builds only what earlier attempts did not (lib/dbt_attempts.py).
"""

import json
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
import psycopg
from dagster_dbt import DbtCliInvocation, DbtCliResource, DbtProject, dbt_assets
from pydantic import Field

from core import dbt_parse_state
from core.db import dbt_env, environment
from core.settings import get_settings
from orchestration_dagster.defs.dbt.enforced import read_enforced
from orchestration_dagster.defs.dbt.resources import DbtVarsResource, dbt_project
from orchestration_dagster.defs.ingest.resources import WarehouseResource
from orchestration_dagster.lib.dbt_args import (
    invocation_target_path,
    reprocess_vars,
    step_args,
)
from orchestration_dagster.lib.dbt_outcome import build_failure
from orchestration_dagster.lib.names import DBT_POOL
from orchestration_dagster.lib.nightly import marts_freshness_policy
from orchestration_dagster.lib.retries import TRANSIENT_RETRY_POLICY
from orchestration_dagster.lib.test_scope import (
    TEST_SCOPE,
    blocking_check_failed,
    held_by_database,
    held_check_results,
    scope_vars,
    tested_schemas,
)
from orchestration_dagster.lib.translator import ForgeDbtTranslator

translator = ForgeDbtTranslator(
    marts_freshness_policy(get_settings().marts_deadline, get_settings().schedule_timezone)
)
manifest: dict[str, Any] = json.loads(dbt_project.manifest_path.read_text())


class DbtBuildConfig(dg.Config):
    """Run configuration of the dbt build: the days to rebuild, or none for an incremental run."""

    reprocess_from: str | None = Field(
        default=None, description="First day to rebuild (ISO date); with reprocess_to."
    )
    reprocess_to: str | None = Field(
        default=None, description="Day after the last one to rebuild (ISO date, exclusive)."
    )
    full_data_tests: bool = Field(
        default=False,
        description=(
            "Test every row of every model (the weekly full-test run); by default a nightly "
            "build tests the rows it changed (lib/test_scope.py)."
        ),
    )


def build_dbt_assets(
    dbt_manifest: Mapping[str, Any],
    project: DbtProject = dbt_project,
    dbt_translator: ForgeDbtTranslator = translator,
) -> dg.AssetsDefinition:
    """The dbt assets of a project: one `dbt build` per step, streamed."""

    @dbt_assets(
        manifest=dbt_manifest,
        project=project,
        dagster_dbt_translator=dbt_translator,
        name="forge_dbt_assets",
        retry_policy=TRANSIENT_RETRY_POLICY,
        pool=DBT_POOL,
    )
    def forge_dbt_assets(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        warehouse: WarehouseResource,
        dbt_vars: DbtVarsResource,
        config: DbtBuildConfig,
    ) -> Iterator[Any]:
        try:
            days = reprocess_vars(config.reprocess_from, config.reprocess_to)
        except ValueError as error:
            raise dg.Failure(description=str(error), allow_retries=False) from None
        dsn = warehouse.dsn_for("dbt")
        scope = test_scope_vars(context, every_row=bool(days) or config.full_data_tests)
        held = {} if scope[TEST_SCOPE] == "all" else _held_tests(context, dsn, dbt_manifest)
        args = step_args(context, dbt_manifest, dbt_translator, scope, days, held)
        if args is None:
            return
        step = context.op_execution_context.op.name
        target = invocation_target_path(
            project.target_path, context.run.run_id, step, context.retry_number
        )
        with dbt_parse_state.kept(
            project.project_dir, project.project_dir / target, dsn, {**scope, **days}
        ):
            # dbt's default ("eager") also runs a test when one of its parents is selected: with
            # the project split over several steps, that would run it before its other parents
            with environment(
                {
                    **dbt_env(dsn),
                    **dbt_vars.environment(),
                    "DBT_INDIRECT_SELECTION": "buildable",
                }
            ):
                invocation = dbt.cli(
                    args, context=context, raise_on_error=False, target_path=target
                )
            yield from invocation.stream()
        if held:
            yield from held_check_results(
                context.assets_def.check_specs,
                context.selected_asset_check_keys,
                held,
                dbt_manifest,
                _statuses(invocation),
            )
        if not invocation.is_successful():
            failure = build_failure(context, invocation, dbt_manifest, dbt_translator, project)
            if failure is not None:
                raise failure

    return forge_dbt_assets


def _held_tests(
    context: dg.AssetExecutionContext, dsn: str, dbt_manifest: Mapping[str, Any]
) -> dict[str, str]:
    """The tests the database holds (lib/test_scope.py), or none when its catalog cannot be
    read: then every test runs, as on a first build."""
    try:
        return held_by_database(dbt_manifest, read_enforced(dsn, tested_schemas(dbt_manifest)))
    except psycopg.Error as error:
        context.log.warning(f"every test runs: the warehouse's catalog could not be read ({error})")
        return {}


def _statuses(invocation: DbtCliInvocation) -> dict[str, str]:
    """Each node's status in the invocation's run_results.json (none when it has none)."""
    try:
        results = invocation.get_artifact("run_results.json")["results"]
    except Exception:  # no results written: nothing is known to be built
        return {}
    return {str(result["unique_id"]): str(result["status"]) for result in results}


def test_scope_vars(context: dg.AssetExecutionContext, *, every_row: bool) -> dict[str, str]:
    """The var that scopes this build's tests to the rows it changes, or to every row."""
    if not every_row and blocking_check_failed(context.instance, context.assets_def.check_keys):
        context.log.info("a blocking test failed when it last ran: this build tests every row")
        every_row = True
    return scope_vars(every_row=every_row)


forge_dbt_assets = build_dbt_assets(manifest)
