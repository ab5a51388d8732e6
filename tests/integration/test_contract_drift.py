"""The DDL holds each entity exactly as the contract in code declares it, checked on real tables.

ingest/contract/entities.py is the one place an entity's fields are written. The warehouse's
raw tables (sql/warehouse, every migration applied) and the source system's tables
(sql/source, applied to a fresh database) are read back from information_schema and compared
with it field by field: name, type, length and, for raw, NOT NULL. dbt's side is checked in
tests/unit/dbt_project/test_contract_drift.py and, for staging, in test_pipeline.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from ingest.contract.entities import ENTITIES, Field, Kind
from synthetic.source_db import apply_source_schema
from tests import databases

pytestmark = pytest.mark.integration

# the loader's columns on every raw table that dbt reads (ingest may add more, all with a `_`)
LOADER_COLUMNS_READ = {"_load_id", "_loaded_at", "_ingest_seq"}


def postgres_type(field: Field, *, source_system: bool = False) -> set[str]:
    """The information_schema spellings (data_type, length or udt) the field's kind allows.

    A source system may hold a value in a type the contract's type holds without loss: the
    contract widens the seed's SERIAL event id to bigint (docs/contract.md section 1) and keeps
    as jsonb what the seed stores as json.
    """
    match field.kind:
        case Kind.TEXT if field.max_length is not None:
            return {f"character varying({field.max_length})"}
        case Kind.TEXT_ARRAY:
            return {"ARRAY(_text)"}
        case Kind.NUMERIC_5_2:
            return {"numeric(5,2)"}
        case Kind.JSON_OBJECT if source_system:
            return {"jsonb", "json"}
        case Kind.BIGINT if source_system:
            return {"bigint", "integer"}
        case _:
            return {field.kind.value}


def _columns(dsn: str, schema: str) -> dict[str, dict[str, dict[str, Any]]]:
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        rows = conn.execute(
            "select table_name, column_name, is_nullable = 'NO' as not_null,"
            " case"
            "  when data_type = 'ARRAY' then 'ARRAY(' || udt_name || ')'"
            "  when data_type = 'character varying'"
            "   then 'character varying(' || character_maximum_length || ')'"
            "  when data_type = 'numeric'"
            "   then 'numeric(' || numeric_precision || ',' || numeric_scale || ')'"
            "  else data_type"
            " end as column_type"
            " from information_schema.columns where table_schema = %s",
            (schema,),
        ).fetchall()
    tables: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        tables.setdefault(row["table_name"], {})[row["column_name"]] = row
    return tables


def _differences(tables: dict[str, dict[str, dict[str, Any]]], *, source_system: bool) -> list[str]:
    found = []
    for name, entity in ENTITIES.items():
        columns = tables.get(name)
        if columns is None:
            found.append(f"{name}: no such table")
            continue
        record_columns = {column for column in columns if not column.startswith("_")}
        for missing in sorted(set(entity.field_names) - record_columns):
            found.append(f"{name}.{missing}: in the contract, not in the table")
        for extra in sorted(record_columns - set(entity.field_names)):
            found.append(f"{name}.{extra}: in the table, not in the contract")
        for field in entity.fields:
            column = columns.get(field.name)
            if column is None:
                continue
            allowed = postgres_type(field, source_system=source_system)
            if column["column_type"] not in allowed:
                found.append(f"{name}.{field.name}: {column['column_type']}, contract {allowed}")
            if not source_system and column["not_null"] != field.required:
                found.append(
                    f"{name}.{field.name}: not null {column['not_null']}, required {field.required}"
                )
        if not source_system:
            for missing in sorted(LOADER_COLUMNS_READ - set(columns)):
                found.append(f"{name}.{missing}: loader column missing")
    return found


@pytest.fixture
def source_system_dsn(warehouse_dsn: str) -> Iterator[str]:
    """A fresh database holding sql/source, the source systems' tables."""
    dsn = databases.create(warehouse_dsn, "forge_drift")
    try:
        with psycopg.connect(dsn) as conn:
            apply_source_schema(conn)
        yield dsn
    finally:
        databases.drop(warehouse_dsn, dsn)


def test_raw_tables_hold_the_contracts_fields_with_their_types(warehouse_dsn: str) -> None:
    assert _differences(_columns(warehouse_dsn, "raw"), source_system=False) == []


def test_source_system_tables_hold_the_contracts_fields(source_system_dsn: str) -> None:
    assert _differences(_columns(source_system_dsn, "public"), source_system=True) == []


def test_the_drift_check_sees_a_column_the_contract_does_not_know(warehouse_dsn: str) -> None:
    tables = _columns(warehouse_dsn, "raw")
    tables["user_feedback"]["browser"] = {"column_type": "text", "not_null": False}
    del tables["orchestration_events"]["phase"]
    tables["project_outcomes"]["pattern_id"] = {"column_type": "text", "not_null": True}
    assert _differences(tables, source_system=False) == [
        "orchestration_events.phase: in the contract, not in the table",
        "project_outcomes.pattern_id: text, contract {'character varying(50)'}",
        "user_feedback.browser: in the table, not in the contract",
    ]


def _unique_indexes(dsn: str) -> dict[str, list[tuple[str, ...]]]:
    """Each raw table's unique indexes, as the column names they are built on, in order."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "select index.indrelid::regclass::text, array_agg(attribute.attname order by key.n)"
            " from pg_index as index"
            " cross join unnest(index.indkey) with ordinality as key (attnum, n)"
            " join pg_attribute as attribute"
            "  on attribute.attrelid = index.indrelid and attribute.attnum = key.attnum"
            " where index.indisunique and index.indrelid::regclass::text like 'raw.%%'"
            " group by index.indexrelid, index.indrelid"
        ).fetchall()
    found: dict[str, list[tuple[str, ...]]] = {}
    for table, columns in rows:
        found.setdefault(table.removeprefix("raw."), []).append(tuple(columns))
    return found


def test_raw_refuses_duplicates_by_the_contracts_arrival_field_then_the_hash(
    warehouse_dsn: str,
) -> None:
    """sql/warehouse/0011 names each entity's arrival field again; the two must agree, and the
    field must be one raw holds as not null (a null would let a duplicate through)."""
    expected = {name: [(entity.arrival_field, "_record_hash")] for name, entity in ENTITIES.items()}
    assert _unique_indexes(warehouse_dsn) == expected
    for entity in ENTITIES.values():
        field = next(field for field in entity.fields if field.name == entity.arrival_field)
        assert field.required, f"{entity.name}.{field.name} leads a unique index but may be null"
