"""Which tests a nightly leaves to the database: those a NOT NULL column or a unique index of
their table holds on every write, and their checks pass only when their model was built."""

from __future__ import annotations

from typing import Any

import dagster as dg

from orchestration_dagster.lib.test_scope import (
    UNIQUE_ID_KEY,
    Enforced,
    held_by_database,
    held_check_results,
    scope_vars,
)
from orchestration_dagster.lib.test_scope import tested_schemas as schemas_to_read


def _test(name: str, model: str | None, column: str | None = None, **kwargs: Any) -> dict[str, Any]:
    return {
        "resource_type": "test",
        "attached_node": model,
        "column_name": column,
        "test_metadata": {"name": name, "kwargs": kwargs},
    }


MANIFEST: dict[str, Any] = {
    "nodes": {
        "model.p.fct": {"resource_type": "model", "schema": "marts", "alias": "fct"},
        "model.p.stg": {"resource_type": "model", "schema": "staging", "alias": "stg"},
        "test.p.not_null_fct_id": _test("not_null", "model.p.fct", "id"),
        "test.p.not_null_fct_note": _test("not_null", "model.p.fct", "note"),
        "test.p.unique_fct_id": _test("unique", "model.p.fct", "id"),
        "test.p.unique_fct_day": _test("unique", "model.p.fct", "day"),
        "test.p.combo_fct": _test(
            "unique_combination_of_columns",
            "model.p.fct",
            combination_of_columns=["id", "day"],
        ),
        "test.p.combo_fct_nullable": _test(
            "unique_combination_of_columns",
            "model.p.fct",
            combination_of_columns=["note", "day"],
        ),
        "test.p.range_fct_id": _test("accepted_range", "model.p.fct", "id", min_value=0),
        "test.p.not_null_stg_id": _test("not_null", "model.p.stg", "id"),
        "test.p.singular": {"resource_type": "test", "attached_node": None},
        "test.p.source_not_null_raw_events_id": {
            **_test("not_null", None, "id"),
            "depends_on": {"nodes": ["source.p.raw.events"]},
        },
        "test.p.source_not_null_raw_events_note": {
            **_test("not_null", None, "note"),
            "depends_on": {"nodes": ["source.p.raw.events"]},
        },
    },
    "sources": {
        "source.p.raw.events": {"schema": "raw", "name": "events", "identifier": "events"},
    },
}
# fct: id NOT NULL and unique; (day, note) unique but note nullable; stg is a view (absent);
# the source raw.events: id NOT NULL, note nullable
CATALOG = {
    ("marts", "fct"): Enforced(
        not_null=frozenset({"id", "day"}),
        unique=(frozenset({"id"}), frozenset({"day", "note"})),
    ),
    ("raw", "events"): Enforced(not_null=frozenset({"id"}), unique=()),
}


def test_the_database_holds_not_null_and_unique_tests_it_enforces() -> None:
    held = held_by_database(MANIFEST, CATALOG)
    assert set(held) == {
        "test.p.not_null_fct_id",
        "test.p.unique_fct_id",
        "test.p.combo_fct",
        "test.p.source_not_null_raw_events_id",
    }
    assert held["test.p.not_null_fct_id"] == "the column id is NOT NULL"
    assert held["test.p.combo_fct"] == "a unique index on id, NOT NULL"


def test_nothing_is_held_on_a_table_the_catalog_does_not_have() -> None:
    assert held_by_database(MANIFEST, {}) == {}


def test_a_unique_index_on_more_columns_does_not_hold_a_single_column_unique_test() -> None:
    catalog = {("marts", "fct"): Enforced(frozenset({"id"}), (frozenset({"id", "day"}),))}
    assert "test.p.unique_fct_id" not in held_by_database(MANIFEST, catalog)
    assert "test.p.unique_fct_day" not in held_by_database(MANIFEST, catalog)


def test_the_catalog_read_covers_the_schemas_of_tested_models_and_sources() -> None:
    assert schemas_to_read(MANIFEST) == {"marts", "staging", "raw"}


def _spec(test: str, name: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(name, asset="fct", metadata={UNIQUE_ID_KEY: test})


def test_a_held_check_passes_only_when_selected_and_its_model_was_built() -> None:
    held = held_by_database(MANIFEST, CATALOG)
    specs = [
        _spec("test.p.not_null_fct_id", "not_null_fct_id"),
        _spec("test.p.unique_fct_id", "unique_fct_id"),
        _spec("test.p.range_fct_id", "range_fct_id"),
    ]
    selected = [spec.key for spec in specs[1:]]
    results = held_check_results(specs, selected, held, MANIFEST, {"model.p.fct": "success"})
    assert [(r.check_name, r.passed) for r in results] == [("unique_fct_id", True)]
    assert results[0].metadata["held_by"] == dg.TextMetadataValue("a unique index on id")
    every = [spec.key for spec in specs]
    for status in ({"model.p.fct": "error"}, {"model.p.fct": "skipped"}, {}):
        assert held_check_results(specs, every, held, MANIFEST, status) == []


def test_a_held_check_of_a_source_passes_whenever_selected() -> None:
    held = held_by_database(MANIFEST, CATALOG)
    spec = dg.AssetCheckSpec(
        "source_not_null_raw_events_id",
        asset="events",
        metadata={UNIQUE_ID_KEY: "test.p.source_not_null_raw_events_id"},
    )
    results = held_check_results([spec], [spec.key], held, MANIFEST, {})
    assert [(r.check_name, r.passed) for r in results] == [("source_not_null_raw_events_id", True)]
    assert results[0].metadata["held_by"] == dg.TextMetadataValue("the column id is NOT NULL")
    assert held_check_results([spec], [], held, MANIFEST, {}) == []


def test_the_scope_var_says_changed_rows_or_every_row() -> None:
    assert scope_vars(every_row=False) == {"test_scope": "changed"}
    assert scope_vars(every_row=True) == {"test_scope": "all"}
