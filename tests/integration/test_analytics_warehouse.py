"""Analyst and BI group roles over a real dbt build, and what the test_analytics_* modules share.

One dirty synthetic source is loaded and built once per test database (`built_warehouse`, cached
at module level: the other test_analytics_* modules import it, and a fixture imported into two
modules would otherwise run twice). Logins are cluster-wide, so every test login gets a unique
name and is dropped at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import typer
from psycopg import sql
from typer.testing import CliRunner, Result

from cli.analytics import bi_login_app, report, serve
from core.db import connect, dbt_env
from core.settings import PROJECT_DIR, get_settings
from ingest.sources.files.load import load_landing
from synthetic import Manifest, generate

pytestmark = pytest.mark.integration

SCHEMAS = ("raw", "staging", "intermediate", "marts", "snapshots", "audit")


@dataclass(frozen=True)
class Built:
    """A test database with raw, audit and the marts built from one synthetic source."""

    dsn: str
    manifest: Manifest
    landing: Path


_BUILT: dict[str, Built] = {}


def built_warehouse(dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Load and build once per database; again only if another module replaced the data."""
    cached = _BUILT.get(dsn)
    if cached is not None and _still_built(cached):
        return cached
    landing = tmp_path_factory.mktemp("analytics") / "landing"
    manifest = generate(landing, sessions=120, seed=7, dirty_rate=0.05)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "truncate raw.orchestration_sessions, raw.orchestration_phase_metrics, "
            "raw.orchestration_events, raw.orchestration_code_metrics, raw.project_outcomes, "
            "raw.user_feedback, audit.loads, audit.rejects"
        )
    with connect(dsn) as conn:
        load_landing(conn, landing)
    result = subprocess.run(
        [sys.executable, "-m", "cli", "build", "--as-of", manifest.now.isoformat()],
        capture_output=True,
        text=True,
        env={**os.environ, "WAREHOUSE_DSN": dsn},
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    built = Built(dsn, manifest, landing)
    _BUILT[dsn] = built
    return built


def _still_built(built: Built) -> bool:
    with psycopg.connect(built.dsn) as conn:
        foreign = conn.execute(
            "select count(*) from audit.loads where source_name not like %s",
            (f"{built.landing}%",),
        ).fetchone()
        as_of = conn.execute(
            "select max(as_of) from marts.pattern_analytics"
            if _exists(conn, "marts", "pattern_analytics")
            else "select null"
        ).fetchone()
    return bool(foreign and foreign[0] == 0 and as_of and as_of[0] == built.manifest.now)


def _exists(conn: psycopg.Connection, schema: str, name: str) -> bool:
    row = conn.execute("select to_regclass(%s) is not null", (f"{schema}.{name}",)).fetchone()
    return bool(row and row[0])


def relations(dsn: str, schema: str) -> list[str]:
    """Tables, views and materialized views of a schema."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "select relname from pg_class where relnamespace = %s::regnamespace "
            "and relkind in ('r', 'v', 'm', 'p') order by 1",
            (schema,),
        ).fetchall()
    return [row[0] for row in rows]


def cli() -> typer.Typer:
    """The analytics commands as cli/app.py registers them."""
    app = typer.Typer()
    app.add_typer(bi_login_app, name="bi-login")
    app.command("serve")(serve)
    app.command("report")(report)
    return app


def run_cli(args: Sequence[str], env: dict[str, str] | None = None) -> Result:
    """A command in this process, with settings read afresh from the environment."""
    get_settings.cache_clear()
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli(), list(args), env=env)
    finally:
        get_settings.cache_clear()
        get_settings.cache_clear()


def unique_name(prefix: str = "test_bi") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def created_dsn(result: Result) -> str:
    """The connection string `bi-login create` printed (its second line)."""
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout.splitlines()[1].strip()


def drop_login(admin_dsn: str, name: str) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where usename = %s", (name,)
        )
        conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(name)))


@contextmanager
def login(admin_dsn: str, *options: str, prefix: str = "test_bi") -> Iterator[tuple[str, str]]:
    """A login made by `bi-login create` (name, connection string), dropped afterwards."""
    name = unique_name(prefix)
    try:
        result = run_cli(["bi-login", "create", name, *options])
        yield name, created_dsn(result)
    finally:
        drop_login(admin_dsn, name)


@pytest.fixture(scope="module")
def built(warehouse_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Built:
    return built_warehouse(warehouse_dsn, tmp_path_factory)


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


def test_group_roles_keep_their_grants_on_every_relation_after_a_rebuild(built: Built) -> None:
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
    # dbt replaces each table and view on a run: the grants must come back with it
    dbt = Path(sys.executable).parent / "dbt"
    project = str(PROJECT_DIR / "dbt_project")
    result = subprocess.run(
        [
            str(dbt),
            "run",
            "--project-dir",
            project,
            "--profiles-dir",
            project,
            "--select",
            "path:models/marts",
            "--vars",
            f'{{"as_of": "{built.manifest.now.isoformat()}"}}',
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **dbt_env(built.dsn)},
        cwd=project,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
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
