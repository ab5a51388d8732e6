"""`forge-warehouse refresh`: the day its run is for, and what it says when the run fails."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cli.transform import RefreshRun
from orchestration_dagster.lib.partitions import FIRST_EVENT_DAY, nightly_day

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


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("as_of", "day"),
    [
        ("2025-12-13T00:00:00", "2025-12-12"),
        ("2025-12-13T23:59:00", "2025-12-12"),
        # days Dagster does not know: the label is kept within its partitions
        ("2024-06-01T00:00:00", FIRST_EVENT_DAY.isoformat()),
    ],
)
def test_the_run_is_for_the_utc_day_before_as_of(as_of: str, day: str) -> None:
    assert nightly_day(_utc(as_of)) == day


def test_a_day_in_another_zone_counts_in_utc() -> None:
    tokyo = dt.timezone(dt.timedelta(hours=9))
    assert nightly_day(dt.datetime(2025, 12, 13, 3, 0, tzinfo=tokyo)) == "2025-12-11"


def test_without_as_of_the_run_is_for_yesterday_and_never_for_a_day_after_today() -> None:
    today = dt.datetime.now(dt.UTC).date()
    assert nightly_day(None) == (today - dt.timedelta(days=1)).isoformat()
    assert nightly_day(_utc("2099-01-01T00:00:00")) == today.isoformat()
