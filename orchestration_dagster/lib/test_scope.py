"""Which rows a dbt build's tests look at: what the night changed, or every row.

A nightly build tests what it changed: with the dbt var `test_scope: changed`, the tests of
incremental models read the rows loaded since the incremental models' oldest watermark when
the build started (dbt_project/macros/tests/: an on-run-start hook records it, and the tests'
where-subquery reads it), while primary keys and not-null constraints hold the whole-table
guarantees on every write. Every row is tested (`test_scope: all`) for a backfill of days, for
the weekly full-test run, and after a night whose blocking test failed: dbt builds a model
before testing it, so that night's bad rows sit behind the next watermark, and only a test of
every row sees them again (the check then keeps failing until they are fixed; a pass clears it).
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

TEST_SCOPE = "test_scope"


def scope_vars(*, every_row: bool) -> dict[str, str]:
    """The dbt vars of a build's test scope.

    The value is the same every night (the watermark is read in the database), so dbt keeps
    its partial parse: a var whose value changed would make dbt parse the whole project again.
    """
    return {TEST_SCOPE: "all" if every_row else "changed"}


def blocking_check_failed(instance: dg.DagsterInstance, keys: Iterable[dg.AssetCheckKey]) -> bool:
    """Whether the last completed evaluation of any of these checks was a blocking failure."""
    summaries = instance.event_log_storage.get_asset_check_summary_records(list(keys))
    for summary in summaries.values():
        record = summary.last_completed_check_execution_record
        evaluation = record.evaluation if record is not None else None
        if (
            evaluation is not None
            and not evaluation.passed
            and evaluation.severity == dg.AssetCheckSeverity.ERROR
        ):
            return True
    return False
