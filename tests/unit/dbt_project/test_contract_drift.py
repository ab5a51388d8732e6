"""dbt's view of each entity is checked against the contract in code, the one place it is written.

ingest/contract/entities.py declares every entity's fields. Here, without a database: the phase
list var equals the contract's, each entity is a dbt source of its system, every source column
the YAML lists exists in the contract with the contract's type, and every rename staging
declares (`meta.source_column`) names a field of the entity it reads. The raw and source
DDL are checked in tests/integration/test_contract_drift.py, staging's columns in
tests/integration/built/test_pipeline.py.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from core.settings import PROJECT_DIR
from ingest.contract.entities import ENTITIES, PHASES, Entity, Field, Kind

DBT_DIR = PROJECT_DIR / "dbt_project"
SYNONYMS = {
    "timestamptz": "timestamp with time zone",
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float8": "double precision",
    "bool": "boolean",
}
# what every raw table adds to its entity's fields, and what dbt reads of it
LOADER_COLUMNS = {"_load_id", "_loaded_at", "_line_number", "_record_hash", "_extra", "_ingest_seq"}


def contract_type(field: Field) -> str:
    """The field's Postgres type as dbt YAML spells it (`varchar(n)` for a bounded text)."""
    if field.kind is Kind.TEXT and field.max_length is not None:
        return f"varchar({field.max_length})"
    return field.kind.value


def normalized_type(data_type: str) -> str:
    """A type as Postgres names it, whichever of its spellings the YAML uses."""
    text = re.sub(r"\s+", " ", data_type.strip().lower())
    text = re.sub(r"\s*,\s*", ",", text)
    text = re.sub(r"^character varying", "varchar", text)
    return SYNONYMS.get(text, text)


def _raw_sources(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        source["name"]: source
        for source in manifest["sources"].values()
        if source["schema"] == "raw"
    }


def _entity_of(model: dict[str, Any], manifest: dict[str, Any]) -> Entity | None:
    """The entity a staging model is built from, following its parents back to a raw source."""
    for parent in model["depends_on"]["nodes"]:
        if parent in manifest["sources"]:
            source = manifest["sources"][parent]
            if source["schema"] == "raw":
                return ENTITIES[source["name"]]
        elif parent in manifest["nodes"] and manifest["nodes"][parent]["fqn"][1] == "staging":
            found = _entity_of(manifest["nodes"][parent], manifest)
            if found is not None:
                return found
    return None


def test_the_phase_list_var_is_the_contracts() -> None:
    project = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())
    assert project["vars"]["phases"] == list(PHASES)


def test_no_model_or_macro_writes_the_phase_list_itself() -> None:
    # two phase names quoted side by side: a copy of the list that the var would not change
    name = "['\"](?:" + "|".join(PHASES) + ")['\"]"
    pair = re.compile(name + r"\s*,\s*" + name)
    copies = [
        str(path.relative_to(DBT_DIR))
        for folder in ("models", "macros", "tests", "snapshots", "analyses")
        for path in sorted((DBT_DIR / folder).rglob("*.sql"))
        if pair.search(path.read_text())
    ]
    assert copies == [], f"use var('phases') instead of listing the phases in {copies}"


def test_every_entity_is_a_source_of_its_system(manifest: dict[str, Any]) -> None:
    sources = _raw_sources(manifest)
    assert set(sources) == set(ENTITIES)
    assert {name: source["source_name"] for name, source in sources.items()} == {
        name: entity.system for name, entity in ENTITIES.items()
    }


def test_listed_source_columns_have_the_contracts_name_and_type(
    manifest: dict[str, Any],
) -> None:
    listed = 0
    wrong = []
    for name, source in _raw_sources(manifest).items():
        fields = {field.name: field for field in ENTITIES[name].fields}
        for column in source["columns"].values():
            listed += 1
            if column["name"] in LOADER_COLUMNS:
                continue
            field = fields.get(column["name"])
            if field is None:
                wrong.append(f"{name}.{column['name']}: not a field of the contract")
            elif column["data_type"] is None:
                wrong.append(f"{name}.{column['name']}: no data_type")
            elif normalized_type(column["data_type"]) != contract_type(field):
                wrong.append(
                    f"{name}.{column['name']}: {column['data_type']}, the contract says "
                    f"{contract_type(field)}"
                )
    assert listed >= len(ENTITIES)
    assert wrong == []


def test_staging_renames_name_fields_of_the_entity_they_read(manifest: dict[str, Any]) -> None:
    renames, wrong = 0, []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["fqn"][1] != "staging":
            continue
        entity = _entity_of(node, manifest)
        for column in node["columns"].values():
            source_column = column["meta"].get("source_column")
            if source_column is None:
                continue
            renames += 1
            if entity is None or source_column not in entity.field_names:
                wrong.append(f"{node['name']}.{column['name']}: {source_column}")
    assert renames >= len(ENTITIES)
    assert wrong == []


def test_the_type_check_reads_yaml_spellings_as_postgres_does() -> None:
    assert normalized_type("timestamptz") == "timestamp with time zone"
    assert normalized_type("character varying(50)") == "varchar(50)"
    assert normalized_type("numeric(5, 2)") == contract_type(Field("x", Kind.NUMERIC_5_2))
    assert normalized_type("text") != contract_type(Field("x", Kind.TEXT, max_length=50))
