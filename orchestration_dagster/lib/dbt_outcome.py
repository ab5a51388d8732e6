"""What a failed dbt build step says: what failed, what was left as it was, and whether to retry.

Custom: dagster-dbt raises a generic error for a failed build; the nightly's alerts and retries
need the failed nodes, the models kept as they were and whether every error was transient.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliInvocation, DbtProject
from dagster_dbt.asset_utils import (
    get_asset_check_key_for_test,
    get_checks_on_sources_upstream_of_selected_assets,
)

from orchestration_dagster.lib.names import CAUSE_BLOCKING_CHECKS, CAUSE_KEY
from orchestration_dagster.lib.retries import is_transient_message
from orchestration_dagster.lib.test_scope import UNIQUE_ID_KEY

_REFABLE = ("model", "seed", "snapshot")


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

    @property
    def failed(self) -> bool:
        return bool(self.errors or self.failed_tests or self.not_rebuilt)

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


def _asset_name(
    unique_id: str, manifest: Mapping[str, Any], translator: DagsterDbtTranslator
) -> str:
    node = manifest["nodes"].get(unique_id) or manifest["sources"].get(unique_id)
    if node is None:
        return unique_id
    return translator.get_asset_key(node).to_user_string()


def first_line(message: str | None) -> str:
    """The reason in a dbt message, without the line that only names the node."""
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    # dbt's first line names the node ("Database Error in model x (path)"); the reason follows
    return lines[1] if len(lines) > 1 and " in " in lines[0] else (lines[0] if lines else "")


def read_outcome(
    run_results: Mapping[str, Any],
    manifest: Mapping[str, Any],
    translator: DagsterDbtTranslator,
    elsewhere: Callable[[str], bool] = lambda unique_id: False,
) -> DbtBuildOutcome:
    """What failed, from dbt's run_results.json; tests `elsewhere` says another step runs are
    left out (dbt's eager selection may run them here too, before all their parents are built:
    their verdict is the one of the step Dagster planned them in)."""
    outcome = DbtBuildOutcome()
    for result in run_results.get("results", []):
        unique_id: str = result["unique_id"]
        status = result["status"]
        node = manifest["nodes"].get(unique_id, {})
        if node.get("resource_type") == "test" and elsewhere(unique_id):
            continue
        if status in ("error", "runtime error"):
            outcome.errors.append(
                (_asset_name(unique_id, manifest, translator), first_line(result.get("message")))
            )
        elif status == "fail":
            attached = node.get("attached_node")
            on = [attached] if attached else node.get("depends_on", {}).get("nodes", [])
            outcome.failed_tests.append(
                (
                    node.get("name", unique_id),
                    ", ".join(_asset_name(parent, manifest, translator) for parent in on) or "?",
                    int(result.get("failures") or 0),
                )
            )
            outcome.failed_test_ids.append(unique_id)
        elif status == "skipped" and node.get("resource_type") in _REFABLE:
            outcome.not_rebuilt.append(_asset_name(unique_id, manifest, translator))
    return outcome


def build_failure(
    context: dg.AssetExecutionContext,
    invocation: DbtCliInvocation,
    manifest: Mapping[str, Any],
    translator: DagsterDbtTranslator,
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
        key = get_asset_check_key_for_test(manifest, translator, unique_id, project)
        if key is not None and key not in here:
            context.log.warning(f"{unique_id} ran here through dbt's selection; ignored")
            return True
        return False

    outcome = read_outcome(run_results, manifest, translator, elsewhere)
    if not outcome.failed:
        return None
    check_test_ids = {
        str(spec.metadata.get(UNIQUE_ID_KEY)) for spec in context.assets_def.check_specs
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
