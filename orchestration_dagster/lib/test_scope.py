"""Which rows a dbt build's tests look at: what the night changed, or every row.

A nightly build tests what it changed: with the dbt var `test_scope: changed`, the tests of
incremental models read the rows loaded since the incremental models' oldest watermark when
the build started (dbt_project/macros/tests/: an on-run-start hook records it, and the tests'
where-subquery reads it), while the database holds the whole-table guarantees on every write:
a not_null or unique test that a NOT NULL column or a unique index of its table already holds
(held_by_database(), from the catalog, not from the YAML) is left out of such a night, and its
check passes with the constraint named when its model was built.

Every row is tested, with every test (`test_scope: all`), for a backfill of days, for the
weekly full-test run, and after a night whose blocking test failed: dbt builds a model before
testing it, so that night's bad rows sit behind the next watermark, and only a test of every
row sees them again (the check then keeps failing until they are fixed; a pass clears it).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import dagster as dg

TEST_SCOPE = "test_scope"
# dagster-dbt's metadata key naming a check's dbt test.
UNIQUE_ID_KEY = "dagster_dbt/unique_id"


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


@dataclass(frozen=True)
class Enforced:
    """What the database enforces on one table on every write: its NOT NULL columns, and the
    column sets of its unique indexes (primary key included; no partial or expression index)."""

    not_null: frozenset[str]
    unique: tuple[frozenset[str], ...]


def tested_schemas(manifest: Mapping[str, Any]) -> set[str]:
    """The schemas of the models, snapshots and sources tests are on (whose catalog to read)."""
    return {
        table["schema"]
        for node in manifest["nodes"].values()
        if (table := _tested_table(manifest, node)) is not None
    }


def _tested_table(manifest: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The model, snapshot or source a generic test is on (its manifest entry), else None.
    A source's test has no attached node: the one source it depends on is its table."""
    if node["resource_type"] != "test" or not node.get("test_metadata"):
        return None
    attached = manifest["nodes"].get(node.get("attached_node") or "")
    if attached is not None:
        return {"schema": attached["schema"], "table": attached["alias"]}
    parents = (node.get("depends_on") or {}).get("nodes") or ()
    sources = [manifest.get("sources", {}).get(parent) for parent in parents]
    if len(sources) == 1 and sources[0] is not None:
        return {"schema": sources[0]["schema"], "table": sources[0]["identifier"]}
    return None


def held_by_database(
    manifest: Mapping[str, Any], enforced: Mapping[tuple[str, str], Enforced]
) -> dict[str, str]:
    """The generic tests whose whole guarantee the database holds on every write, by test
    unique_id, each with the constraint that holds it. `enforced` is keyed by (schema, table);
    a test of a source counts as one of a model (raw's ids are NOT NULL: a not_null test of
    one read all of raw every night, 5 s for phase metrics at 10M events).

    - not_null(c): c is NOT NULL.
    - unique(c): a unique index on exactly c (dbt's test ignores nulls, as the index does).
    - unique_combination_of_columns(cs): a unique index on some of cs, all of them NOT NULL
      (the test groups nulls together, a unique index does not).
    """
    held: dict[str, str] = {}
    for unique_id, node in manifest["nodes"].items():
        tested = _tested_table(manifest, node)
        table = None if tested is None else enforced.get((tested["schema"], tested["table"]))
        if table is None:
            continue
        test = node["test_metadata"]
        name, kwargs = test.get("name"), test.get("kwargs") or {}
        if name == "not_null" and node.get("column_name") in table.not_null:
            held[unique_id] = f"the column {node['column_name']} is NOT NULL"
        elif name == "unique" and frozenset([node.get("column_name")]) in table.unique:
            held[unique_id] = f"a unique index on {node['column_name']}"
        elif name == "unique_combination_of_columns":
            columns = frozenset(kwargs.get("combination_of_columns") or ())
            for index in table.unique:
                if index and index <= columns and index <= table.not_null:
                    held[unique_id] = f"a unique index on {', '.join(sorted(index))}, NOT NULL"
                    break
    return held


def held_check_results(
    specs: Iterable[dg.AssetCheckSpec],
    selected: Collection[dg.AssetCheckKey],
    held: Mapping[str, str],
    manifest: Mapping[str, Any],
    statuses: Mapping[str, str],
) -> list[dg.AssetCheckResult]:
    """Passing results for the selected checks whose dbt test was left out because the database
    holds it (`held`, by test unique_id), when their model was built in this invocation
    (`statuses`: run_results' status by unique_id): the write itself was the test. A source's
    table is written by the loader, never by dbt: its held checks pass whenever selected."""
    results = []
    for spec in specs:
        test = str(spec.metadata.get(UNIQUE_ID_KEY))
        model = (manifest["nodes"].get(test) or {}).get("attached_node")
        built = model is None or statuses.get(model) == "success"
        if spec.key in selected and test in held and built:
            results.append(
                dg.AssetCheckResult(
                    asset_key=spec.asset_key,
                    check_name=spec.name,
                    passed=True,
                    metadata={
                        "held_by": held[test],
                        "dbt_test": "left out of this nightly build: the database refused any "
                        "row that would fail it (every row is tested weekly and on backfills)",
                    },
                )
            )
    return results
