"""Every dbt model, seed and snapshot as an asset, built by `dbt build` (tests are checks).

One definition over the whole project, so one `dbt build` per step and dbt orders every model
and test itself. When the project has incremental models (issue 4's event and phase facts,
which read the dbt vars `reprocess_from`/`reprocess_to`), the definition is partitioned by UTC
day: the nightly run (for the day that ended) and the landing sensor's runs build incrementally,
their lookback window catching late records; a run of chosen days, or a backfill of a date
range, which is one run for the whole range, rebuilds exactly those days of the incremental
models (ISO dates, the end exclusive); tables and views are rebuilt as in any build.

Gates: a dbt test of severity error is a blocking asset check. dbt build skips what is
downstream of a failed test, so a mart is never rebuilt on top of it and keeps its previous
data; the step then fails, naming the tests and the assets left as they were. Warn-level
tests are non-blocking checks that show as warnings.

Retries: a build that met only transient database errors fails with retries allowed (the
step's RetryPolicy, with backoff); any other failure is final. A retry, and a re-execution
from failure, excludes the models already built (and not blocked by a failed test) in the
earlier attempts, so only what failed and what is downstream of it is built again.
"""

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliInvocation, DbtCliResource, DbtProject, dbt_assets
from dagster_dbt.asset_utils import (
    get_asset_check_key_for_test,
    get_checks_on_sources_upstream_of_selected_assets,
)

from core.db import dbt_env
from orchestration_dagster.defs.dbt.resources import DbtVarsResource, dbt_project, environment
from orchestration_dagster.defs.dbt.translator import ForgeDbtTranslator
from orchestration_dagster.defs.ingest.resources import WarehouseResource
from orchestration_dagster.defs.nightly import REFRESH_TAG
from orchestration_dagster.defs.retries import (
    TRANSIENT_RETRY_POLICY,
    is_transient_message,
)
from orchestration_dagster.lib.partitions import FIRST_EVENT_DAY

# Event days are UTC days, from the first one Dagster offers for backfills to today (the
# landing sensor's runs are for the day their files arrived).
EVENTS_START_DATE = FIRST_EVENT_DAY.isoformat()
EVENT_DAYS = dg.DailyPartitionsDefinition(
    start_date=EVENTS_START_DATE, timezone="UTC", end_offset=1
)
# One dbt build at a time across all runs: two builds would drop each other's relations.
DBT_POOL = "forge_dbt"
# What a failed step says it failed of, for the alerts (defs/alerts) to read.
CAUSE_KEY = "forge/cause"
CAUSE_BLOCKING_CHECKS = "blocking_checks"

_RESUME_RETRY_TAG = "dagster/is_resume_retry"
_PARENT_RUN_TAG = "dagster/parent_run_id"
_BACKFILL_TAG = "dagster/backfill"
_UNIQUE_ID_KEY = "dagster_dbt/unique_id"
_REFABLE = ("model", "seed", "snapshot")

translator = ForgeDbtTranslator()
manifest: dict[str, Any] = json.loads(dbt_project.manifest_path.read_text())


def event_model_ids(dbt_manifest: Mapping[str, Any]) -> list[str]:
    """The incremental models: those that can rebuild chosen days (`reprocess_from`/`_to`)."""
    return sorted(
        unique_id
        for unique_id, node in dbt_manifest["nodes"].items()
        if node["resource_type"] == "model" and node["config"].get("materialized") == "incremental"
    )


def build_args(
    variables: Mapping[str, str], exclude: Sequence[str] = (), tests: Sequence[str] = ()
) -> list[str]:
    """The dbt command line: `build` without dbt's unit tests (they test the SQL, not the data,
    and run in CI), the vars when there are any, the exclusions, and the tests to run besides
    those dbt picks itself (a second --select adds to the selection)."""
    args = ["build", "--exclude-resource-type", "unit_test"]
    if variables:
        args += ["--vars", json.dumps(dict(variables), sort_keys=True)]
    if tests:
        args += ["--select", " ".join(tests)]
    if exclude:
        args += ["--exclude", " ".join(exclude)]
    return args


def base_vars(dbt_vars: DbtVarsResource) -> dict[str, str]:
    as_of = dbt_vars.resolved_as_of()
    return {"as_of": as_of} if as_of else {}


def has_days(context: dg.AssetExecutionContext) -> bool:
    """Whether the run is for a day, or a range of days (a single-run backfill)."""
    return bool(context.has_partition_key or context.has_partition_key_range)


def reprocess_vars(context: dg.AssetExecutionContext) -> dict[str, str]:
    """`reprocess_from`/`reprocess_to` for the run's days, or nothing for an incremental build.

    Incremental: the runs of the nightly job (schedule, `forge-warehouse refresh`) and of the
    landing sensor (tagged, not part of a backfill), whose day says what they were for.
    Reprocess: a backfill, or days chosen by hand.
    """
    if not has_days(context):
        return {}
    tags = context.run.tags
    if tags.get(REFRESH_TAG) and _BACKFILL_TAG not in tags:
        return {}
    window = context.partition_time_window
    return {
        "reprocess_from": window.start.date().isoformat(),
        "reprocess_to": window.end.date().isoformat(),
    }


def _earlier_runs(context: dg.AssetExecutionContext) -> list[str]:
    """Runs whose work this step continues, oldest first: the runs a re-execution from failure
    descends from, and this run itself when this is a retry of the step."""
    chain: list[str] = []
    run = context.run
    while run.tags.get(_RESUME_RETRY_TAG) == "true":
        parent_id = run.parent_run_id or run.tags.get(_PARENT_RUN_TAG)
        parent = context.instance.get_run_by_id(parent_id) if parent_id else None
        if parent is None:
            break
        chain.append(parent.run_id)
        run = parent
    chain.reverse()
    if context.retry_number > 0:
        chain.append(context.run.run_id)
    return chain


def built_before(context: dg.AssetExecutionContext) -> set[dg.AssetKey]:
    """Selected assets an earlier attempt materialized and no blocking check failed on since."""
    done: set[dg.AssetKey] = set()
    kinds = {dg.DagsterEventType.ASSET_MATERIALIZATION, dg.DagsterEventType.ASSET_CHECK_EVALUATION}
    for run_id in _earlier_runs(context):
        for entry in context.instance.all_logs(run_id, of_type=kinds):
            event = entry.dagster_event
            if event is None:
                continue
            data = event.event_specific_data
            if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
                if event.asset_key is not None:
                    done.add(event.asset_key)
            elif isinstance(data, dg.AssetCheckEvaluation) and data.blocking and not data.passed:
                done.discard(data.asset_key)
    return done & set(context.selected_asset_keys)


def planned_tests(
    context: dg.AssetExecutionContext, dbt_manifest: Mapping[str, Any], done: set[dg.AssetKey]
) -> list[str]:
    """dbt selectors of the tests Dagster planned in this step, for assets not done before,
    when the step builds part of the project (a full build picks every test by itself).

    Named explicitly: dbt picks a test by itself ("buildable") only when all its parents are
    selected or upstream of what is, and a test may also depend on a model left out of this
    step's selection (a relationships test, say).
    """
    every = set(context.assets_def.node_keys_by_output_name.values())
    whole = set(context.selected_asset_keys) == every and not done
    if whole:
        return []
    here = set(context.selected_asset_check_keys)
    ids = {
        str(spec.metadata.get(_UNIQUE_ID_KEY))
        for spec in context.assets_def.check_specs
        if spec.key in here and spec.key.asset_key not in done
    }
    return sorted(
        "fqn:" + ".".join(dbt_manifest["nodes"][unique_id]["fqn"])
        for unique_id in ids
        if unique_id in dbt_manifest["nodes"]
    )


def fqn_selectors(keys: set[dg.AssetKey], dbt_manifest: Mapping[str, Any]) -> list[str]:
    """dbt selectors (`fqn:...`) of the models, seeds and snapshots behind these asset keys."""
    selectors = []
    for node in dbt_manifest["nodes"].values():
        if node["resource_type"] in _REFABLE and translator.get_asset_key(node) in keys:
            selectors.append("fqn:" + ".".join(node["fqn"]))
    return sorted(selectors)


@dataclass
class DbtBuildOutcome:
    """What went wrong in a dbt build, by node, read from its run_results.json."""

    errors: list[tuple[str, str]] = field(default_factory=list)  # (node, message)
    failed_tests: list[tuple[str, str, int]] = field(default_factory=list)  # (test, on, rows)
    failed_test_ids: list[str] = field(default_factory=list)
    not_rebuilt: list[str] = field(default_factory=list)

    @property
    def transient(self) -> bool:
        return (
            bool(self.errors)
            and not self.failed_tests
            and all(is_transient_message(message) for _, message in self.errors)
        )

    def description(self) -> str:
        parts = []
        if self.errors:
            kind = "transient database error" if self.transient else "error"
            parts += [f"dbt {kind} in {node}: {message}" for node, message in self.errors]
        parts += [
            f"dbt test {test} failed on {on}" + (f" ({rows} rows)" if rows else "")
            for test, on, rows in self.failed_tests
        ]
        if self.not_rebuilt:
            parts.append("not rebuilt, keeping their previous data: " + ", ".join(self.not_rebuilt))
        return "; ".join(parts) or "dbt build failed"


def _asset_name(unique_id: str, dbt_manifest: Mapping[str, Any]) -> str:
    node = dbt_manifest["nodes"].get(unique_id) or dbt_manifest["sources"].get(unique_id)
    if node is None:
        return unique_id
    return translator.get_asset_key(node).to_user_string()


def _first_line(message: str | None) -> str:
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    # dbt's first line names the node ("Database Error in model x (path)"); the reason follows
    return lines[1] if len(lines) > 1 and " in " in lines[0] else (lines[0] if lines else "")


def read_outcome(
    run_results: Mapping[str, Any],
    dbt_manifest: Mapping[str, Any],
    elsewhere: Callable[[str], bool] = lambda unique_id: False,
) -> DbtBuildOutcome:
    """What failed, from dbt's run_results.json; tests `elsewhere` says another step runs are
    left out (dbt's eager selection may run them here too, before all their parents are built:
    their verdict is the one of the step Dagster planned them in)."""
    outcome = DbtBuildOutcome()
    for result in run_results.get("results", []):
        unique_id: str = result["unique_id"]
        status = result["status"]
        node = dbt_manifest["nodes"].get(unique_id, {})
        if node.get("resource_type") == "test" and elsewhere(unique_id):
            continue
        if status in ("error", "runtime error"):
            outcome.errors.append(
                (_asset_name(unique_id, dbt_manifest), _first_line(result.get("message")))
            )
        elif status == "fail":
            parents = node.get("depends_on", {}).get("nodes", [])
            attached = node.get("attached_node")
            on = [attached] if attached else parents
            outcome.failed_tests.append(
                (
                    node.get("name", unique_id),
                    ", ".join(_asset_name(parent, dbt_manifest) for parent in on) or "?",
                    int(result.get("failures") or 0),
                )
            )
            outcome.failed_test_ids.append(unique_id)
        elif status == "skipped" and node.get("resource_type") in _REFABLE:
            outcome.not_rebuilt.append(_asset_name(unique_id, dbt_manifest))
    return outcome


def build_failure(
    context: dg.AssetExecutionContext,
    invocation: DbtCliInvocation,
    dbt_manifest: Mapping[str, Any],
    project: DbtProject,
) -> dg.Failure | None:
    """The step's failure: what failed, what was left as it was, and whether to retry; None when
    all that failed were tests another step is planned to run."""
    try:
        run_results = invocation.get_artifact("run_results.json")
    except Exception:  # dbt stopped before it ran anything (it writes no run_results.json)
        error = invocation.get_error()
        text = str(getattr(error, "description", None) or error or "dbt build failed")
        return dg.Failure(
            description=f"dbt build failed before building anything: {text}",
            allow_retries=is_transient_message(text),
        )
    here = set(context.selected_asset_check_keys) | set(
        get_checks_on_sources_upstream_of_selected_assets(
            context.assets_def, context.selected_asset_keys
        )
    )

    def elsewhere(unique_id: str) -> bool:
        key = get_asset_check_key_for_test(dbt_manifest, translator, unique_id, project)
        if key is not None and key not in here:
            context.log.warning(f"{unique_id} ran here through dbt's selection; ignored")
            return True
        return False

    outcome = read_outcome(run_results, dbt_manifest, elsewhere)
    if not (outcome.errors or outcome.failed_tests or outcome.not_rebuilt):
        return None
    check_test_ids = {
        str(spec.metadata.get(_UNIQUE_ID_KEY)) for spec in context.assets_def.check_specs
    }
    only_checks = not outcome.errors and set(outcome.failed_test_ids) <= check_test_ids
    return dg.Failure(
        description=outcome.description(),
        metadata={
            CAUSE_KEY: CAUSE_BLOCKING_CHECKS if only_checks else "dbt",
            "errors": dg.MetadataValue.json([list(error) for error in outcome.errors]),
            "failed_tests": dg.MetadataValue.json([list(test) for test in outcome.failed_tests]),
            "not_rebuilt": dg.MetadataValue.json(outcome.not_rebuilt),
        },
        allow_retries=outcome.transient,
    )


def dbt_build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    variables: Mapping[str, str],
    dbt_manifest: Mapping[str, Any],
    project: DbtProject,
) -> Iterator[Any]:
    """`dbt build` of the step's selection against the warehouse the raw assets loaded."""
    if context.assets_def.partitions_def is not None and not has_days(context):
        # Dagster cannot record daily assets in a run without a day (it fails deep inside)
        yesterday = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date().isoformat()
        raise dg.Failure(
            description=(
                "dbt's assets are partitioned by day and this run has no day; give it one, as "
                "the schedule does: dagster job execute -m orchestration_dagster.definitions "
                f"""-j nightly_refresh_job --tags '{{"dagster/partition": "{yesterday}"}}'"""
            ),
            allow_retries=False,
        )
    dsn = warehouse.dsn_for("dbt")
    done = built_before(context)
    if done:
        context.log.info(
            "built in an earlier attempt, not built again: "
            + ", ".join(sorted(key.to_user_string() for key in done))
        )
        if done >= set(context.selected_asset_keys):
            return
    args = build_args(
        variables, fqn_selectors(done, dbt_manifest), planned_tests(context, dbt_manifest, done)
    )
    # dbt's default ("eager") also runs a test when one of its parents is selected: with the
    # project split over several steps, that would run it before its other parents are built
    with environment({**dbt_env(dsn), "DBT_INDIRECT_SELECTION": "buildable"}):
        invocation = dbt.cli(args, context=context, raise_on_error=False)
    yield from invocation.stream()
    if not invocation.is_successful():
        failure = build_failure(context, invocation, dbt_manifest, project)
        if failure is not None:
            raise failure


def build_dbt_assets(
    dbt_manifest: Mapping[str, Any], project: DbtProject = dbt_project
) -> list[dg.AssetsDefinition]:
    """One definition over the whole project, partitioned by day when some models can rebuild
    chosen days (the incremental ones); one `dbt build` per step, so dbt orders every model
    and test itself."""
    partitioned = bool(event_model_ids(dbt_manifest))

    @dbt_assets(
        manifest=dbt_manifest,
        project=project,
        dagster_dbt_translator=translator,
        name="forge_dbt_assets",
        partitions_def=EVENT_DAYS if partitioned else None,
        backfill_policy=dg.BackfillPolicy.single_run() if partitioned else None,
        retry_policy=TRANSIENT_RETRY_POLICY,
        pool=DBT_POOL,
    )
    def forge_dbt_assets(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        warehouse: WarehouseResource,
        dbt_vars: DbtVarsResource,
    ) -> Iterator[Any]:
        """`dbt build` of the selected models with their tests: incremental, or the run's
        days rebuilt (a backfill, or days chosen by hand)."""
        variables = {**base_vars(dbt_vars), **reprocess_vars(context)}
        if "reprocess_from" in variables:
            context.log.info(
                f"rebuilding days {variables['reprocess_from']} to {variables['reprocess_to']} "
                "(end exclusive) of the incremental models"
            )
        yield from dbt_build(context, dbt, warehouse, variables, dbt_manifest, project)

    return [forge_dbt_assets]


dbt_assets_defs = build_dbt_assets(manifest)
