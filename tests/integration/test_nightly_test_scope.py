"""The nightly's tests look at what the night changed, and a bad row among them still blocks.

The real dbt project on a real Postgres, run with the command line the nightly's dbt step
uses (orchestration_dagster/lib/dbt_args.build_args, with lib/test_scope.scope_vars):

1. A first build tests every row (test_scope: all).
2. Night 1: a delivery is loaded and the build tests the rows it changed: the generic tests
   of incremental models read through the scope recorded at the run's start, which is the
   oldest watermark the incremental models held before the build; every test passes. The
   delivery also moves a phase metric built the night before to another session: its row
   moves too (a scoped unique test would not see the old row left behind; the database's
   unique index on phase_metric_id would refuse it).
3. Night 2: one of tonight's phase metrics arrives with negative tokens. The error-level
   test on fct_phase_executions fails on that row alone; dbt skips what reads the fact, so
   fct_sessions keeps the previous night's rows, and the build exits non-zero.
4. The next night fails on the same row again, scoped or not: the models the failure kept
   from building still hold their old watermark, so the scope still reaches back to the bad
   row (and the Dagster step tests every row after a failed blocking check anyway).
5. Once the row is fixed, its test passes; the reconciliations, which read only what the
   night changed, still see a row of it broken: a session total of fct_sessions off by one,
   a staged session older than its newest version in raw.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from core.db import connect
from core.migrations import migrate
from core.settings import PROJECT_DIR
from ingest.contract.entities import ENTITIES
from ingest.sources.files.load import load_landing
from orchestration_dagster.defs.dbt.enforced import read_enforced
from orchestration_dagster.lib.dbt_args import build_args
from orchestration_dagster.lib.test_scope import held_by_database, scope_vars
from synthetic import generate
from tests import batch_holds, databases
from tests.dbt import DBT_DIR, run_dbt

pytestmark = pytest.mark.integration

AS_OF = "2025-12-13T00:00:00+00:00"
TOKENS_TEST = "accepted_range_fct_phase_executions_total_tokens__0"
RECONCILIATIONS = ("assert_activity_totals_reconcile", "assert_current_state_is_latest_version")


@dataclass
class Night:
    """One dbt build: its exit code, output and results by node name."""

    returncode: int
    stdout: str
    results: dict[str, dict[str, Any]]

    def status(self, name: str) -> str:
        return str(self.results[name]["status"])


@dataclass
class Nights:
    """What the nights left behind, for the tests to read."""

    dsn: str
    watermark_before_night_1: dt.datetime
    scope_of_night_1: dt.datetime | None
    night_1: Night
    moved_phase_metric: dict[str, Any]
    moved_phase_metric_rows: list[tuple[Any, ...]]
    night_2: Night
    sessions_before_night_2: list[tuple[Any, ...]]
    sessions_after_night_2: list[tuple[Any, ...]]
    scoped_after_night_2: Night
    every_row_after_night_2: Night
    fixed_with_two_rows_broken: Night


def _build(dsn: str, target: Path, *, every_row: bool, extra: tuple[str, ...] = ()) -> Night:
    """The nightly's dbt command line, scoped or testing every row."""
    variables = {"as_of": AS_OF, "incremental_lookback": "0 minutes"}
    args = [*build_args({**variables, **scope_vars(every_row=every_row)}), *extra]
    done = run_dbt(args, dsn=dsn, target=target, check=False)
    results = json.loads((target / "run_results.json").read_text())["results"]
    by_name = {str(result["unique_id"]).split(".")[-1]: result for result in results}
    # a generic test's unique_id ends in a hash: index it by its name as well
    for result in results:
        parts = str(result["unique_id"]).split(".")
        if parts[0] == "test" and len(parts) > 3:
            by_name[parts[2]] = result
    return Night(done.returncode, done.stdout, by_name)


def _deliver_and_load(dsn: str, source: Path, landing: Path, number: int) -> None:
    for entity in ENTITIES:
        (landing / entity).mkdir(parents=True, exist_ok=True)
        for path in sorted((source / entity).glob(f"{number:04d}-*")):
            shutil.copy(path, landing / entity / path.name)
    with connect(dsn) as conn:
        load_landing(conn, landing)


def _move_a_phase_metric(source: Path, landing: Path) -> dict[str, Any]:
    """A landing file holding a new version of the first phase metric of delivery 1, in the
    session of the last phase metric of that delivery (another session)."""
    [first_file] = (source / "orchestration_phase_metrics").glob("0001-*")
    records = [json.loads(line) for line in first_file.read_text().splitlines()]
    moved = {**records[0], "session_id": records[-1]["session_id"]}
    assert moved["session_id"] != records[0]["session_id"]
    path = landing / "orchestration_phase_metrics" / "0004-moved-phase-metric.jsonl"
    path.write_text(json.dumps(moved) + "\n")
    return moved


def _oldest_watermark(dsn: str) -> dt.datetime:
    """The oldest of the newest _loaded_at of the incremental models, read here from the
    catalog and the tables (not through the project's macros)."""
    manifest = json.loads((DBT_DIR / "target" / "manifest.json").read_text())
    relations = sorted(
        (node["schema"], node["alias"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"
    )
    assert len(relations) >= 8
    with psycopg.connect(dsn) as conn:
        newest = []
        for schema, table in relations:
            query = sql.SQL("select max(_loaded_at) from {}").format(sql.Identifier(schema, table))
            row = conn.execute(query).fetchone()
            assert row is not None and row[0] is not None, (schema, table)
            newest.append(row[0])
    return min(newest)


def _break_a_session_total_and_a_staged_session(dsn: str) -> None:
    """fct_sessions counts one event too many for a session whose phase execution the last
    night loaded; the staged copy of the session loaded last is a second older than in raw."""
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "update marts.fct_sessions set event_count = event_count + 1"
            " where session_id = (select session_id from marts.fct_phase_executions"
            "  order by _loaded_at desc, session_id limit 1)"
        )
        conn.execute(
            "update staging.stg_prompt_runner__orchestration_sessions"
            " set updated_at = updated_at - interval '1 second'"
            " where session_id = (select id from raw.orchestration_sessions"
            "  order by _loaded_at desc, _ingest_seq desc limit 1)"
        )


def _scope_literal(compiled: str) -> dt.datetime | None:
    """The moment a compiled test reads rows loaded from (changed_since()'s literal), if any."""
    found = re.search(r"_loaded_at >= '([^']+)'::timestamptz", compiled)
    return None if found is None else dt.datetime.fromisoformat(found.group(1))


def _rows(dsn: str, query: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query).fetchall()


@pytest.fixture(scope="module")
def nights(warehouse_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nights]:
    dsn = databases.create(warehouse_dsn, "forge_scope")
    try:
        migrate(dsn, PROJECT_DIR / "sql" / "warehouse")
        batch_holds.install(dsn, replace=True)
        scratch = tmp_path_factory.mktemp("scope")
        source, landing, target = scratch / "source", scratch / "landing", scratch / "target"
        generate(source, sessions=60, seed=12, dirty_rate=0.0)
        for number in (1, 2, 3):
            _deliver_and_load(dsn, source, landing, number)
        first = _build(dsn, target, every_row=True)
        assert first.returncode == 0, first.stdout[-3000:]

        moved = _move_a_phase_metric(source, landing)
        _deliver_and_load(dsn, source, landing, 4)
        watermark = _oldest_watermark(dsn)
        night_1 = _build(dsn, target, every_row=False)
        [(scope,)] = _rows(dsn, "select since from staging.dbt_test_scope")
        moved_rows = _rows(
            dsn,
            "select session_id, phase from marts.fct_phase_executions"
            f" where phase_metric_id = {int(moved['id'])}",
        )

        _deliver_and_load(dsn, source, landing, 5)
        # one of tonight's phase metrics reports negative tokens (the loader takes any integer)
        with psycopg.connect(dsn) as conn:
            conn.execute(
                "update raw.orchestration_phase_metrics set total_tokens = -5"
                " where (id, _ingest_seq) = (select id, _ingest_seq"
                "  from raw.orchestration_phase_metrics where phase is not null"
                "  order by _loaded_at desc, _ingest_seq desc limit 1)"
            )
        sessions_query = "select * from marts.fct_sessions order by session_id"
        before = _rows(dsn, sessions_query)
        night_2 = _build(dsn, target, every_row=False)
        after = _rows(dsn, sessions_query)

        # the following night, with nothing new: scoped, then every row (that test alone)
        only_tests = ("--select", "test_name:accepted_range,fct_phase_executions")
        scoped = _build(dsn, target, every_row=False, extra=only_tests)
        every_row = _build(dsn, target, every_row=True, extra=only_tests)

        # the bad row mended in the fact, two other rows of the night broken: that test and
        # the reconciliations, scoped
        with psycopg.connect(dsn) as conn:
            conn.execute(
                "update marts.fct_phase_executions set total_tokens = 5 where total_tokens = -5"
            )
        _break_a_session_total_and_a_staged_session(dsn)
        fixed = _build(
            dsn, target, every_row=False, extra=("--select", TOKENS_TEST, *RECONCILIATIONS)
        )
        yield Nights(
            dsn=dsn,
            watermark_before_night_1=watermark,
            scope_of_night_1=scope,
            night_1=night_1,
            moved_phase_metric=moved,
            moved_phase_metric_rows=moved_rows,
            night_2=night_2,
            sessions_before_night_2=before,
            sessions_after_night_2=after,
            scoped_after_night_2=scoped,
            every_row_after_night_2=every_row,
            fixed_with_two_rows_broken=fixed,
        )
    finally:
        databases.drop(warehouse_dsn, dsn)


def test_a_scoped_night_passes_and_its_tests_read_the_night_s_rows(nights: Nights) -> None:
    night = nights.night_1
    assert night.returncode == 0, night.stdout[-3000:]
    assert nights.scope_of_night_1 == nights.watermark_before_night_1
    compiled = night.results[TOKENS_TEST]["compiled_code"]
    # the scope's value as a literal (the lookback is 0 here), which the planner can weigh
    assert _scope_literal(compiled) == nights.scope_of_night_1, compiled
    # a test of a table rebuilt whole reads every row
    whole = night.results["not_null_phase_performance_phase"]["compiled_code"]
    assert "_loaded_at >=" not in whole, whole


def test_a_phase_metric_moved_to_another_session_leaves_no_row_behind(nights: Nights) -> None:
    assert nights.night_1.returncode == 0, nights.night_1.stdout[-3000:]
    moved = nights.moved_phase_metric
    # its new key held another phase metric already, or not: either way it is the newest
    assert nights.moved_phase_metric_rows == [(moved["session_id"], moved["phase"])]


def test_the_tests_its_tables_enforce_are_left_to_the_database(nights: Nights) -> None:
    manifest = json.loads((DBT_DIR / "target" / "manifest.json").read_text())
    held = held_by_database(manifest, read_enforced(nights.dsn, {"marts", "staging"}))
    names = {unique_id.split(".")[2]: reason for unique_id, reason in held.items()}
    # the fact's key and ids: NOT NULL columns and unique indexes (primary key, indexes config)
    assert names["not_null_fct_phase_executions_session_id"] == "the column session_id is NOT NULL"
    assert names["unique_fct_phase_executions_phase_metric_id"] == (
        "a unique index on phase_metric_id"
    )
    assert any(name.startswith("unique_combination_of_columns_fct_phase_exec") for name in names)
    # a range, or a view's column (a view enforces nothing): the database holds neither
    assert TOKENS_TEST in {unique_id.split(".")[2] for unique_id in manifest["nodes"]}
    assert TOKENS_TEST not in names
    assert "unique_stg_dataforge__user_feedback_feedback_id" not in names


def test_a_bad_row_of_the_night_fails_its_test_and_blocks_what_reads_the_fact(
    nights: Nights,
) -> None:
    night = nights.night_2
    assert night.returncode != 0
    assert night.status(TOKENS_TEST) == "fail"
    assert night.results[TOKENS_TEST]["failures"] == 1
    assert night.status("fct_sessions") == "skipped"
    assert night.status("phase_performance") == "skipped"
    assert nights.sessions_after_night_2 == nights.sessions_before_night_2


def test_the_next_night_fails_on_the_same_row_until_it_is_fixed(nights: Nights) -> None:
    for night in (nights.scoped_after_night_2, nights.every_row_after_night_2):
        assert night.returncode != 0
        assert night.status(TOKENS_TEST) == "fail"
        assert night.results[TOKENS_TEST]["failures"] == 1


def test_the_reconciliations_read_the_night_s_rows_and_see_one_of_them_broken(
    nights: Nights,
) -> None:
    night = nights.fixed_with_two_rows_broken
    assert night.status(TOKENS_TEST) == "pass", night.stdout[-3000:]
    for name in RECONCILIATIONS:
        assert night.status(name) == "fail", (name, night.stdout[-3000:])
        assert night.results[name]["failures"] == 1, name
        assert _scope_literal(night.results[name]["compiled_code"]) is not None, name
