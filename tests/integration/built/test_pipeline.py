"""Generated source → landing-file ingest → dbt build, checked against independent oracles.

The loader's counts are compared with what the generator says it injected (its manifest), and
the marts with the contract's formulas computed in Python from raw (tests/oracle.py). Staging
is checked against the contract in code: every field of an entity is a column of its staging
model, under the name staging declares. That a rebuild with the same data and as_of gives
byte-identical marts is in test_dbt_marts.py.
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from psycopg.rows import dict_row

from core.settings import PROJECT_DIR
from ingest.contract.entities import ENTITIES
from synthetic import Manifest
from tests import oracle
from tests.built import Built

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def source(built: Built) -> Manifest:
    """What the generator says it wrote into the shared warehouse (tests/built.py)."""
    return built.manifest


def _rows(dsn: str, query: str) -> list[dict[str, Any]]:
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        return conn.execute(query).fetchall()


def test_loader_counts_match_the_generators_manifest(source: Manifest, warehouse_dsn: str) -> None:
    loads = {
        Path(row["source_name"]).name: row
        for row in _rows(warehouse_dsn, "select * from audit.loads")
    }
    rejects: dict[str, set[int]] = {}
    for row in _rows(warehouse_dsn, "select source_name, line_number from audit.rejects"):
        rejects.setdefault(Path(row["source_name"]).name, set()).add(row["line_number"])
    for counts in source.entities.values():
        for file in counts.files:
            load = loads[file.name]
            assert load["status"] == "succeeded"
            assert load["lines_read"] == file.records, file.name
            assert load["rows_loaded"] == file.loaded, file.name
            assert load["rows_rejected"] == file.bad, file.name
            assert load["duplicates_skipped"] == file.duplicates, file.name
            bad_lines = {line for lines in file.bad_lines.values() for line in lines}
            assert rejects.get(file.name, set()) == bad_lines, file.name
            if file.extra_field_lines:
                assert load["new_fields"], file.name


def test_every_reject_kind_was_exercised(source: Manifest) -> None:
    assert all(count > 0 for count in source.bad_by_kind().values()), source.bad_by_kind()


STAGING = [(name, f"stg_{entity.system}__{name}") for name, entity in ENTITIES.items()]
STAGING_DIR = PROJECT_DIR / "dbt_project" / "models" / "staging"


@pytest.mark.parametrize(("entity", "model"), STAGING)
def test_staging_holds_one_current_row_per_key(
    source: Manifest, warehouse_dsn: str, entity: str, model: str
) -> None:
    [row] = _rows(warehouse_dsn, f"select count(*) as n from staging.{model}")
    assert row["n"] == source.entities[entity].current_keys


def _staging_declarations(entity: str) -> tuple[dict[str, str], set[str]]:
    """Renames (source field -> staged column) and deliberate drops, from staging's YAML."""
    renames: dict[str, str] = {}
    dropped: set[str] = set()
    system = ENTITIES[entity].system
    for path in (STAGING_DIR / system).rglob(f"*_{system}__{entity}.yml"):
        for model in yaml.safe_load(path.read_text())["models"]:
            meta = model.get("config", {}).get("meta", {})
            dropped |= set(meta.get("dropped_source_columns", []))
            for column in model.get("columns", []):
                source = column.get("config", {}).get("meta", {}).get("source_column")
                if source is not None:
                    renames[source] = column["name"]
    return renames, dropped


@pytest.mark.parametrize(("entity", "model"), STAGING)
def test_staging_names_every_contract_field(
    source: Manifest, warehouse_dsn: str, entity: str, model: str
) -> None:
    """Each field is a column, as itself or under its declared name, unless dropped on purpose."""
    renames, dropped = _staging_declarations(entity)
    columns = {
        row["column_name"]
        for row in _rows(
            warehouse_dsn,
            "select column_name from information_schema.columns"
            f" where table_schema = 'staging' and table_name = '{model}'",
        )
    }
    expected = {
        renames.get(field, field) for field in ENTITIES[entity].field_names if field not in dropped
    }
    assert expected - columns == set()
    assert {"_load_id", "_loaded_at"} <= columns


def _assert_same(expected: dict[Any, dict[str, Any]], actual: dict[Any, dict[str, Any]]) -> None:
    assert set(actual) == set(expected)
    for key, row in expected.items():
        for column, value in row.items():
            got = actual[key][column]
            if isinstance(value, float) or isinstance(got, float):
                assert got is not None and value is not None, (key, column, got, value)
                assert math.isclose(float(got), float(value), rel_tol=1e-9, abs_tol=1e-9), (
                    key,
                    column,
                    got,
                    value,
                )
            elif isinstance(value, Decimal) or isinstance(got, Decimal):
                assert got is not None and value is not None, (key, column, got, value)
                assert Decimal(got) == Decimal(value), (key, column, got, value)
            else:
                assert got == value, (key, column, got, value)


def test_marts_match_the_contract_formulas(source: Manifest, warehouse_dsn: str) -> None:
    state = oracle.current_state(warehouse_dsn)
    marts = {
        name: _rows(warehouse_dsn, f"select * from marts.{name}")
        for name in (
            "pattern_analytics",
            "developer_productivity",
            "phase_performance",
            "feature_complexity_analysis",
            "template_metrics",
        )
    }
    _assert_same(
        oracle.pattern_analytics(state, source.now),
        {row["pattern_id"]: row for row in marts["pattern_analytics"]},
    )
    _assert_same(
        oracle.developer_productivity(state),
        {row["user_identifier"]: row for row in marts["developer_productivity"]},
    )
    _assert_same(
        oracle.phase_performance(state), {row["phase"]: row for row in marts["phase_performance"]}
    )
    _assert_same(
        oracle.feature_complexity_analysis(state),
        {row["complexity_category"]: row for row in marts["feature_complexity_analysis"]},
    )
    _assert_same(
        oracle.template_metrics(state),
        {(row["template_type"], row["template_hash"]): row for row in marts["template_metrics"]},
    )
    assert all(row["as_of"] == source.now for row in marts["pattern_analytics"])
