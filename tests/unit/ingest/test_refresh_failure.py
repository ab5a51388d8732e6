"""What `forge-warehouse refresh` says when the nightly job fails, read from Dagster's log."""

from __future__ import annotations

from pathlib import Path

from ingest.transform import RefreshRun

RUN = "nightly_refresh_job - 4dbdbd1b-bc47-4a6a-932b-fed98bb14a45 - 14828"
# Dagster's lines, as `dagster job execute` writes them (shortened paths)
CHECK_FAILED = f"""\
2026-11-22 06:43:19 +0000 - dagster - INFO - {RUN} - raw__dataforge__user_feedback - f.jsonl: 15 lines read, 14 loaded, 1 rejected
2026-11-22 06:43:19 +0000 - dagster - DEBUG - {RUN} - raw__dataforge__user_feedback - ASSET_CHECK_EVALUATION - Asset check 'raw_user_feedback_reject_rate_below_threshold' on 'raw/dataforge/user_feedback' did not pass. Description: 'worst: f.jsonl (1 of 15 lines, 6.7%)'
2026-11-22 06:43:19 +0000 - dagster - ERROR - {RUN} - raw__dataforge__user_feedback - STEP_FAILURE - Execution of step "raw__dataforge__user_feedback" failed.

dagster._core.errors.DagsterAssetCheckFailedError: 1 blocking asset check failed with ERROR severity:
raw/dataforge/user_feedback: raw_user_feedback_reject_rate_below_threshold
"""  # noqa: E501
STEP_FAILED = f"""\
2026-11-22 06:43:19 +0000 - dagster - ERROR - {RUN} - forge_dbt_assets - STEP_FAILURE - Execution of step "forge_dbt_assets" failed.

dagster._core.definitions.events.Failure: dbt test not_null_fct_events_event_id failed on marts/fct_events (3 rows)

Stack Trace:
2026-11-22 06:43:20 +0000 - dagster - ERROR - {RUN} - forge_dbt_assets - STEP_FAILURE - Execution of step "forge_dbt_assets" failed.

dagster._core.definitions.events.Failure: dbt test not_null_fct_events_event_id failed on marts/fct_events (3 rows)
"""  # noqa: E501


def _run(tmp_path: Path, log: str, *, succeeded: bool = False) -> RefreshRun:
    path = tmp_path / "refresh.log"
    path.write_text(log)
    return RefreshRun(succeeded, path, None)


def test_a_failed_check_is_the_reason_not_the_step_that_it_failed(tmp_path: Path) -> None:
    assert _run(tmp_path, CHECK_FAILED).failure_reasons() == [
        "Asset check 'raw_user_feedback_reject_rate_below_threshold' on "
        "'raw/dataforge/user_feedback' did not pass. Description: 'worst: f.jsonl "
        "(1 of 15 lines, 6.7%)'"
    ]


def test_a_failed_step_gives_its_error_once_without_the_class_path(tmp_path: Path) -> None:
    assert _run(tmp_path, STEP_FAILED).failure_reasons() == [
        "dbt test not_null_fct_events_event_id failed on marts/fct_events (3 rows)"
    ]


def test_a_run_that_succeeded_has_no_reasons(tmp_path: Path) -> None:
    assert _run(tmp_path, STEP_FAILED, succeeded=True).failure_reasons() == []
