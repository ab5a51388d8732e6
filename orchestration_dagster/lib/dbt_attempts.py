"""What earlier attempts of a dbt step already built, so a retry builds only the rest.

Custom: Dagster re-executes a failed step (a retry, or a re-execution from failure) with its
whole selection, and dbt would rebuild all of it; `dbt retry` would not rebuild a model whose
blocking test failed. The earlier attempts' events say what is done.
"""

from __future__ import annotations

import dagster as dg

_RESUME_RETRY_TAG = "dagster/is_resume_retry"
_PARENT_RUN_TAG = "dagster/parent_run_id"


def earlier_runs(context: dg.AssetExecutionContext) -> list[str]:
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
    for run_id in earlier_runs(context):
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
