"""Analyst and BI group roles over the shared built warehouse (tests/built.py). Logins are
cluster-wide, so every test login gets a unique name and is dropped at the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.built import Built, relations
from tests.dbt import run_dbt
from tests.logins import login

pytestmark = pytest.mark.integration

SCHEMAS = ("raw", "staging", "intermediate", "marts", "snapshots", "audit")


@pytest.fixture(scope="module")
def analyst(built: Built) -> Iterator[tuple[str, str]]:
    with login(built.dsn, "--role", "analyst", prefix="test_analyst") as made:
        yield made


def test_the_analyst_role_reads_staging_intermediate_and_marts(
    built: Built, analyst: tuple[str, str]
) -> None:
    readable = [
        (schema, name)
        for schema in ("staging", "intermediate", "marts")
        for name in relations(built.dsn, schema)
    ]
    assert {schema for schema, _ in readable} == {"staging", "intermediate", "marts"}
    with psycopg.connect(analyst[1]) as conn:
        for schema, name in readable:
            query = sql.SQL("select count(*) from {}").format(sql.Identifier(schema, name))
            assert conn.execute(query).fetchone() is not None, (schema, name)


@pytest.mark.parametrize("table", ["raw.user_feedback", "audit.loads", "audit.rejects"])
def test_the_analyst_role_cannot_read_raw_or_audit(analyst: tuple[str, str], table: str) -> None:
    with psycopg.connect(analyst[1]) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(f"select * from {table} limit 1")


def test_the_analyst_role_cannot_write_anywhere(analyst: tuple[str, str]) -> None:
    for statement in ("create table marts.scratch (x int)", "create temp table scratch (x int)"):
        with psycopg.connect(analyst[1], autocommit=True) as conn:
            # past the read-only default a login may lift, the privileges still refuse
            conn.execute("set default_transaction_read_only = off")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


def test_group_roles_keep_their_grants_on_every_relation_after_a_rebuild(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing() -> list[tuple[str, str, str]]:
        gaps = []
        with psycopg.connect(built.dsn) as conn:
            for role, schemas in (
                ("forge_bi", ("marts",)),
                ("forge_analyst", ("staging", "intermediate", "marts")),
            ):
                for schema in schemas:
                    for name in relations(built.dsn, schema):
                        row = conn.execute(
                            "select has_table_privilege(%s, %s, 'select')",
                            (role, f"{schema}.{name}"),
                        ).fetchone()
                        if not (row and row[0]):
                            gaps.append((role, schema, name))
        return gaps

    assert missing() == []
    # dbt replaces each table and view on a run: the grants must come back with it. The build's
    # as_of, as `forge-warehouse build` gives it (the marts stay as the other readers expect)
    monkeypatch.setenv("FORGE_AS_OF", built.manifest.now.isoformat())
    run_dbt(["run", "--select", "path:models/marts"], dsn=built.dsn, target=tmp_path / "target")
    assert missing() == []


@pytest.mark.parametrize(
    ("role", "schema", "reaches"),
    [
        ("forge_bi", "marts", True),
        *[("forge_bi", schema, False) for schema in SCHEMAS if schema != "marts"],
        *[("forge_analyst", schema, True) for schema in ("staging", "intermediate", "marts")],
        *[("forge_analyst", schema, False) for schema in ("raw", "snapshots", "audit")],
    ],
)
def test_group_roles_reach_their_schemas_only(
    warehouse_dsn: str, role: str, schema: str, reaches: bool
) -> None:
    with psycopg.connect(warehouse_dsn) as conn:
        row = conn.execute("select has_schema_privilege(%s, %s, 'usage')", (role, schema))
        assert row.fetchone() == (reaches,)


def test_only_the_loader_and_dbt_may_create_temporary_tables(warehouse_dsn: str) -> None:
    with psycopg.connect(warehouse_dsn) as conn:
        for role, allowed in (
            ("forge_loader", True),
            ("forge_transformer", True),
            ("forge_analyst", False),
            ("forge_bi", False),
            ("public", False),
        ):
            row = conn.execute(
                "select has_database_privilege(%s, current_database(), 'temporary')", (role,)
            ).fetchone()
            assert row == (allowed,), role
        public_create = conn.execute("select has_schema_privilege('public', 'public', 'create')")
        assert public_create.fetchone() == (False,)
