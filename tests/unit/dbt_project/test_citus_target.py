"""The `citus` target distributes the facts and makes reference tables of the dimensions.

No Citus server can be installed on these machines, so this checks what dbt would send one:
the distribution config in dbt's manifest (every fact keeps its column, and that column is in
its primary key and not null, as Citus requires), the post-hook on every mart and seed, and
the statements macros/citus/distribute.sql renders, through dbt's own Jinja environment and
relation class, from the manifest's nodes: on the `citus` target one guarded statement per
node, valid Postgres to sqlfluff's parser; on the default target nothing at all.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlfluff
from dbt.adapters.postgres.relation import PostgresRelation
from dbt.context.exceptions_jinja import wrapped_exports
from dbt_common.clients.jinja import get_environment
from dbt_common.exceptions import CompilationError

from tests.unit.dbt_project.conftest import DBT_DIR

MACROS = DBT_DIR / "macros" / "citus" / "distribute.sql"
HOOK = "{{ citus_distribute() }}"

# The plan in docs/scaling.md: what each table becomes on Citus.
DISTRIBUTED = {
    "fct_sessions": "session_id",
    "fct_phase_executions": "session_id",
    "fct_phase_execution_costs": "session_id",
    "fct_session_costs": "session_id",
    "fct_template_uses": "session_id",
    "fct_events": "event_id",
}
REFERENCE = {
    "dim_dates",
    "dim_developers",
    "dim_metrics",
    "dim_patterns",
    "dim_projects",
    "dim_templates",
    "llm_model_prices",
}


def _nodes(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The project's models and seeds by name."""
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] in {"model", "seed"} and node["package_name"] == "forge_warehouse"
    }


def _macros(context: dict[str, Any]) -> dict[str, Any]:
    """The file's macros as dbt calls them: by name, each able to call the others."""
    module = get_environment().from_string(MACROS.read_text(), globals=context).module
    prefix = "dbt_macro__"
    for name in dir(module):
        if name.startswith(prefix):
            context[name.removeprefix(prefix)] = getattr(module, name)
    return context


def _render_plan(manifest: dict[str, Any], target_name: str) -> dict[str, str]:
    """What `dbt run-operation citus_distribution_plan` prints on the target: node -> SQL."""
    printed: list[str] = []
    context: dict[str, Any] = {
        "target": {"name": target_name},
        "graph": {"nodes": manifest["nodes"]},
        "api": {"Relation": PostgresRelation},
        "exceptions": wrapped_exports(None),
        "print": printed.append,
    }
    _macros(context)["citus_distribution_plan"]()
    plan: dict[str, str] = {}
    for text in printed:
        header, _, statement = text.partition("\n")
        plan[header.removeprefix("-- ").rsplit(".", 1)[-1]] = statement
    return plan


def _render_sql(target_name: str, citus: dict[str, Any]) -> str:
    context: dict[str, Any] = {
        "target": {"name": target_name},
        "exceptions": wrapped_exports(None),
    }
    relation = PostgresRelation.create(database="forge", schema="marts", identifier="fct_x")
    return str(_macros(context)["citus_distribution_sql"](relation, citus)).strip()


def test_each_table_has_its_citus_config(manifest: dict[str, Any]) -> None:
    configured = {
        name: node["config"]["meta"]["citus"]
        for name, node in _nodes(manifest).items()
        if "citus" in node["config"]["meta"]
    }
    expected = {name: {"distribution_column": column} for name, column in DISTRIBUTED.items()}
    expected |= {name: {"reference": True} for name in REFERENCE}
    assert configured == expected


@pytest.mark.parametrize("name", sorted(DISTRIBUTED))
def test_distribution_column_is_in_the_primary_key_and_not_null(
    manifest: dict[str, Any], name: str
) -> None:
    """Citus rejects a unique key without the distribution column, and a null in it."""
    node = _nodes(manifest)[name]
    column = node["config"]["meta"]["citus"]["distribution_column"]
    primary_keys = [c["columns"] for c in node["constraints"] if c["type"] == "primary_key"]
    assert primary_keys and all(column in key for key in primary_keys), primary_keys
    column_constraints = {c["type"] for c in node["columns"][column]["constraints"]}
    assert "not_null" in column_constraints


def test_every_mart_and_seed_runs_the_hook(manifest: dict[str, Any]) -> None:
    for name, node in _nodes(manifest).items():
        if node["resource_type"] == "seed" or node["fqn"][1] == "marts":
            hooks = [hook["sql"] for hook in node["config"]["post-hook"]]
            assert HOOK in hooks, name


def test_citus_target_renders_one_guarded_statement_per_table(manifest: dict[str, Any]) -> None:
    plan = _render_plan(manifest, "citus")
    assert set(plan) == set(DISTRIBUTED) | REFERENCE
    nodes = _nodes(manifest)
    for name, statement in plan.items():
        table = f'"{nodes[name]["schema"]}"."{nodes[name]["alias"]}"'
        if name in DISTRIBUTED:
            call = (
                f"select create_distributed_table( '{table}', '{DISTRIBUTED[name]}',"
                " colocate_with => 'default' )"
            )
        else:
            call = f"select create_reference_table('{table}')"
        guard = (
            "where not exists ( select from pg_dist_partition"
            f" where logicalrelid = '{table}'::regclass )"
        )
        assert " ".join(statement.removesuffix(";").split()) == f"{call} {guard}"
        sqlfluff.parse(statement, dialect="postgres")


def test_other_targets_render_nothing(manifest: dict[str, Any]) -> None:
    assert _render_plan(manifest, "prod") == {}
    assert _render_sql("prod", {"distribution_column": "session_id"}) == ""


def test_citus_config_needs_a_column_or_reference_not_both() -> None:
    assert _render_sql("citus", {}) == ""
    for wrong in ({"reference": True, "distribution_column": "session_id"}, {"shards": 32}):
        with pytest.raises(CompilationError, match="either distribution_column or reference"):
            _render_sql("citus", wrong)


def test_colocate_with_names_another_table() -> None:
    sql = _render_sql("citus", {"distribution_column": "session_id", "colocate_with": "a.b"})
    assert "colocate_with => 'a.b'" in sql
