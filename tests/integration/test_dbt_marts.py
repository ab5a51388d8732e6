"""The dbt project against a real Postgres, over a life of several nightly loads.

One synthetic source is loaded delivery by delivery (its six landing files per entity are six
delivery windows, later files carrying newer versions). The first load is built from nothing,
each later one incrementally (a lookback of 0, so only what is new is read, and both
incremental strategies), the last one with every dbt test. Along the way one batch is held by
the reject-rate gate and released two builds later, another stays held to the end, and rows
with absurd times (year 1, year 10000) sit in raw. Then a full refresh, with a reader polling
every mart meanwhile, must give back byte-identical marts. On that warehouse the tests check
the BI interface (grants, comments, indexes, keys), metrics_daily against formulas computed
here, the reprocess vars, held and released batches, implausible times, and the snapshots'
history and deletes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

from core.db import connect
from core.migrations import migrate
from core.settings import PROJECT_DIR
from ingest.contract.entities import ENTITIES
from ingest.sources.files.load import load_landing
from synthetic import generate
from tests import batch_holds, databases
from tests.dbt import run_dbt

pytestmark = pytest.mark.integration

SEED = 12  # the generator's `now` is then 2025-12-13
AS_OF = "2025-12-13T00:00:00+00:00"
AS_OF_DATE = dt.date(2025, 12, 13)
DELIVERIES = 6
NO_TESTS = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
# Tables dbt keeps incrementally outside marts: they must match a full refresh too.
INCREMENTAL_OUTSIDE_MARTS = (
    "staging.stg_prompt_runner__orchestration_sessions",
    "staging.stg_dataforge__project_outcomes",
    "staging.stg_prompt_runner__orchestration_code_metrics",
    "intermediate.int_session_templates_unpivoted",
)
STRATEGIES = ("delete+insert", "merge")
# lookback 0: an incremental run reads only rows loaded since its last build
BASE_VARS = {"as_of": AS_OF, "incremental_lookback": "0 minutes"}
# the vars of the lifecycle's last builds, which the tests' own dbt runs keep when the vars do
# not matter to them: dbt parses the whole project again for other vars
LAST_VARS = BASE_VARS | {"incremental_strategy": STRATEGIES[1]}
IMPLAUSIBLE_TIMES = PROJECT_DIR / "tests" / "fixtures" / "raw" / "implausible_times.sql"
PLAUSIBLE_FROM = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass
class Warehouse:
    """What the lifecycle left behind, for the tests to read."""

    dsn: str
    target: Path
    incremental_build: subprocess.CompletedProcess[str]
    incremental_fingerprints: dict[str, str]
    refreshed_fingerprints: dict[str, str]
    counts_before: dict[str, int]
    counts_after: dict[str, int]
    reads_during_incremental: Reads
    reads_during_refresh: Reads
    soft_deleted_project: str
    soft_deleted_at: dt.datetime
    released_batch: str
    events_built_while_held: int
    held_batch: str
    template_dropped_session: int
    template_uses_after_drop: list[str]


def _dbt(
    dsn: str, target: Path, args: list[str], variables: dict[str, Any]
) -> subprocess.CompletedProcess[str]:
    return run_dbt(args, dsn=dsn, target=target, variables=variables, check=False)


def _dbt_ok(dsn: str, target: Path, args: list[str], variables: dict[str, Any]) -> None:
    run_dbt(args, dsn=dsn, target=target, variables=variables)


def _rows(
    dsn: str, query: str, params: tuple[Any, ...] | dict[str, Any] = ()
) -> list[dict[str, Any]]:
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        return conn.execute(query, params).fetchall()


def _tables(dsn: str, schema: str) -> list[str]:
    rows = _rows(
        dsn,
        "select table_name from information_schema.tables "
        "where table_schema = %s and table_type = 'BASE TABLE' order by 1",
        (schema,),
    )
    return [row["table_name"] for row in rows]


def _fingerprints(dsn: str) -> dict[str, str]:
    """md5 of each mart's (and incremental table's) rows in text form, in a fixed order."""
    names = [f"marts.{name}" for name in _tables(dsn, "marts")] + list(INCREMENTAL_OUTSIDE_MARTS)
    with psycopg.connect(dsn) as conn:
        digests = {}
        for name in names:
            schema, table = name.split(".")
            query = sql.SQL(
                "select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from {} as t"
            ).format(sql.Identifier(schema, table))
            row = conn.execute(query).fetchone()
            assert row is not None
            digests[name] = row[0]
    return digests


def _deliver(source: Path, landing: Path, number: int) -> None:
    """Copy delivery `number` (files NNNN-*) of every entity into the landing directory."""
    for entity in ENTITIES:
        (landing / entity).mkdir(parents=True, exist_ok=True)
        for path in sorted((source / entity).glob(f"{number:04d}-*")):
            shutil.copy(path, landing / entity / path.name)


def _load(dsn: str, landing: Path) -> None:
    with connect(dsn) as conn:
        load_landing(conn, landing)


def _soft_delete_a_project(dsn: str, landing: Path) -> tuple[str, dt.datetime]:
    """A new version of one project with status 'deleted' (DataForge's DELETE), as a file."""
    [row] = _rows(
        dsn,
        "select record, updated_at from ("
        " select distinct on (id) to_jsonb(outcome) - '_load_id' - '_loaded_at'"
        " - '_line_number' - '_record_hash' - '_extra' - '_ingest_seq' as record,"
        " status, updated_at, id"
        " from raw.project_outcomes as outcome order by id, updated_at desc, _ingest_seq desc"
        ") as latest where status = 'active' order by id limit 1",
    )
    deleted_at = row["updated_at"] + dt.timedelta(hours=1)
    record = row["record"] | {"status": "deleted", "updated_at": deleted_at.isoformat()}
    path = landing / "project_outcomes" / "0007-soft-delete.jsonl"
    path.write_bytes(orjson.dumps(record) + b"\n")
    return record["id"], deleted_at


def _drop_a_template(dsn: str, landing: Path) -> int:
    """A new version, as a file, of a session already built with a planning template, that
    names none: its planning use must go from fct_template_uses, as in a full refresh."""
    [row] = _rows(
        dsn,
        "select record from ("
        " select distinct on (id) to_jsonb(session) - '_load_id' - '_loaded_at'"
        " - '_line_number' - '_record_hash' - '_extra' - '_ingest_seq' as record, id"
        " from raw.orchestration_sessions as session"
        " where id in (select session_id from marts.fct_template_uses"
        "  where template_type = 'planning')"
        " order by id, updated_at desc, _ingest_seq desc"
        ") as latest order by id limit 1",
    )
    record = row["record"]
    updated_at = dt.datetime.fromisoformat(record["updated_at"]) + dt.timedelta(hours=1)
    record |= {"planning_template": None, "updated_at": updated_at.isoformat()}
    path = landing / "orchestration_sessions" / "0007-template-dropped.jsonl"
    path.write_bytes(orjson.dumps(record) + b"\n")
    return int(record["id"])


def _batch_of(dsn: str, entity: str, delivery: int) -> str:
    """The first batch that loaded a file of delivery `delivery` of `entity`."""
    [row] = _rows(
        dsn,
        "select batch_id from audit.loads where entity = %s and source_name like %s"
        " order by batch_id limit 1",
        (entity, f"%/{delivery:04d}-%"),
    )
    return str(row["batch_id"])


def _exclusive_events_built(dsn: str, batch: str) -> dict[str, int]:
    """Events only `batch` delivered: how many, how many fct_events holds, at which load time."""
    [row] = _rows(
        dsn,
        "with exclusive as ("
        " select id from raw.orchestration_events group by id"
        " having bool_and(_load_id = %(batch)s))"
        " select count(*) as ids, count(events.event_id) as built,"
        " count(*) filter (where events._loaded_at = holds.released_at) as loaded_at_release"
        " from exclusive"
        " left join marts.fct_events as events on exclusive.id = events.event_id"
        " left join audit.test_batch_holds as holds on holds.batch_id = %(batch)s",
        {"batch": batch},
    )
    return row


def _counts(dsn: str, tables: list[str]) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        counts = {}
        for table in tables:
            query = sql.SQL("select count(*) from {}").format(sql.Identifier("marts", table))
            row = conn.execute(query).fetchone()
            assert row is not None
            counts[table] = int(row[0])
    return counts


@dataclass
class Reads:
    """What a BI reader polling every mart saw while dbt ran: row counts, and errors."""

    counts: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    errors: list[str] = field(default_factory=list)


@contextmanager
def _polling(dsn: str, tables: list[str]) -> Iterator[Reads]:
    """Count every mart over and over, in another thread, for the duration of the block."""
    reads, stop = Reads(), threading.Event()

    def poll() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            while not stop.is_set():
                for table in tables:
                    query = sql.SQL("select count(*) from {}").format(
                        sql.Identifier("marts", table)
                    )
                    try:
                        row = conn.execute(query).fetchone()
                    except psycopg.Error as error:
                        reads.errors.append(f"{table}: {error}")
                        continue
                    assert row is not None
                    reads.counts[table].add(int(row[0]))
                stop.wait(0.05)  # a reader, not a load generator: leave dbt the CPU

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        yield reads
    finally:
        stop.set()
        reader.join()


@pytest.fixture(scope="module")
def warehouse(warehouse_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """A database of its own, loaded and built over six deliveries, then fully refreshed."""
    dsn = databases.create(warehouse_dsn, "forge_dbt")
    try:
        migrate(dsn, PROJECT_DIR / "sql" / "warehouse")
        batch_holds.install(dsn, replace=True)
        scratch = tmp_path_factory.mktemp("dbt")
        source, landing, target = scratch / "source", scratch / "landing", scratch / "target"
        generate(source, sessions=120, seed=SEED, dirty_rate=0.02)
        base = BASE_VARS

        for number in (1, 2, 3):
            _deliver(source, landing, number)
        _load(dsn, landing)
        _dbt_ok(dsn, target, ["build", *NO_TESTS], base)  # from nothing

        _deliver(source, landing, 4)
        _load(dsn, landing)
        released_batch = _batch_of(dsn, "orchestration_events", 4)
        batch_holds.hold(dsn, released_batch, "orchestration_events")
        with psycopg.connect(dsn) as conn:
            conn.execute(IMPLAUSIBLE_TIMES.read_text())
        _dbt_ok(dsn, target, ["build", *NO_TESTS], base)  # incremental, delete+insert

        other = LAST_VARS
        _deliver(source, landing, 5)
        _load(dsn, landing)
        held_batch = _batch_of(dsn, "user_feedback", 5)
        batch_holds.hold(dsn, held_batch, "user_feedback")
        _dbt_ok(dsn, target, ["build", *NO_TESTS], other)  # incremental, merge
        built_while_held = _exclusive_events_built(dsn, released_batch)["built"]

        _deliver(source, landing, 6)
        _load(dsn, landing)
        project, deleted_at = _soft_delete_a_project(dsn, landing)
        template_dropped = _drop_a_template(dsn, landing)
        _load(dsn, landing)
        batch_holds.release(dsn, released_batch)
        marts = _tables(dsn, "marts")
        before = _counts(dsn, marts)
        with _polling(dsn, marts) as incremental_reads:
            incremental_build = _dbt(dsn, target, ["build"], other)  # incremental, all tests

        incremental = _fingerprints(dsn)
        uses_after_drop = _rows(
            dsn,
            "select template_type from marts.fct_template_uses where session_id = %s",
            (template_dropped,),
        )
        after = _counts(dsn, marts)
        with _polling(dsn, marts) as refresh_reads:
            _dbt_ok(dsn, target, ["build", "--full-refresh", *NO_TESTS], other)
        yield Warehouse(
            dsn=dsn,
            target=target,
            incremental_build=incremental_build,
            incremental_fingerprints=incremental,
            refreshed_fingerprints=_fingerprints(dsn),
            counts_before=before,
            counts_after=after,
            reads_during_incremental=incremental_reads,
            reads_during_refresh=refresh_reads,
            soft_deleted_project=project,
            soft_deleted_at=deleted_at,
            released_batch=released_batch,
            events_built_while_held=built_while_held,
            held_batch=held_batch,
            template_dropped_session=template_dropped,
            template_uses_after_drop=sorted(row["template_type"] for row in uses_after_drop),
        )
    finally:
        databases.drop(warehouse_dsn, dsn)


# --------------------------------------------------------------------------- incremental


def test_dbt_build_with_every_test_passes_on_incrementally_built_marts(
    warehouse: Warehouse,
) -> None:
    result = warehouse.incremental_build
    assert result.returncode == 0, result.stdout[-4000:]
    assert " ERROR=0 " in result.stdout, result.stdout[-2000:]


def test_incremental_builds_equal_a_full_refresh_byte_for_byte(warehouse: Warehouse) -> None:
    assert len(warehouse.incremental_fingerprints) >= 15
    differing = [
        name
        for name, digest in warehouse.incremental_fingerprints.items()
        if warehouse.refreshed_fingerprints.get(name) != digest
    ]
    assert differing == []


def test_a_template_a_sessions_new_version_drops_leaves_no_use_behind(
    warehouse: Warehouse,
) -> None:
    """fct_template_uses is incremental with several rows per session: the incremental build
    deleted the planning use that the session's new version no longer names."""
    assert "planning" not in warehouse.template_uses_after_drop
    [row] = _rows(
        warehouse.dsn,
        "select count(*) as uses from marts.fct_template_uses where session_id = %s",
        (warehouse.template_dropped_session,),
    )
    assert row["uses"] == len(warehouse.template_uses_after_drop)


def test_marts_were_never_missing_or_partial_for_a_reader_during_the_full_refresh(
    warehouse: Warehouse,
) -> None:
    reads = warehouse.reads_during_refresh
    assert reads.errors == []
    assert set(reads.counts) == set(warehouse.counts_after)
    for table, counts in reads.counts.items():
        # same data before and after: any other count would be a missing or half-built table
        assert counts == {warehouse.counts_after[table]}, table


def test_marts_showed_the_old_or_the_new_rows_during_an_incremental_build(
    warehouse: Warehouse,
) -> None:
    reads = warehouse.reads_during_incremental
    assert reads.errors == []
    assert set(reads.counts) == set(warehouse.counts_before)
    for table, counts in reads.counts.items():
        # a delete without its insert (or half a merge) would show a third count
        assert counts <= {warehouse.counts_before[table], warehouse.counts_after[table]}, table


def test_no_view_depends_on_a_table_that_dbt_replaces(warehouse: Warehouse) -> None:
    # dbt replaces a table with `drop ... cascade`, which would take such a view with it
    rows = _rows(
        warehouse.dsn,
        "select distinct view_ns.nspname || '.' || view_class.relname as view_name,"
        " table_ns.nspname || '.' || table_class.relname as table_name"
        " from pg_depend as dependency"
        " join pg_rewrite as rewrite on dependency.objid = rewrite.oid"
        " join pg_class as view_class on rewrite.ev_class = view_class.oid"
        " join pg_namespace as view_ns on view_class.relnamespace = view_ns.oid"
        " join pg_class as table_class on dependency.refobjid = table_class.oid"
        " join pg_namespace as table_ns on table_class.relnamespace = table_ns.oid"
        " where table_class.relkind = 'r' and view_class.oid <> table_class.oid"
        " and table_ns.nspname in ('staging', 'intermediate', 'marts', 'snapshots')",
    )
    assert rows == []


def test_reprocess_vars_rebuild_exactly_the_rows_dated_in_the_range(
    warehouse: Warehouse,
) -> None:
    dsn = warehouse.dsn
    # a day with events and phases followed by another such day
    [day] = _rows(
        dsn,
        "with days as (select event_date from marts.fct_events where event_date is not null"
        " intersect select phase_date from marts.fct_phase_executions)"
        " select event_date from days where event_date + 1 in (select event_date from days)"
        " order by 1 limit 1",
    )
    inside, outside = day["event_date"], day["event_date"] + dt.timedelta(days=1)
    facts = {
        "fct_events": "event_date",
        "fct_phase_executions": "phase_date",
        "fct_events_daily": "event_date",
    }
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table, date_column in facts.items():  # kept aside, to put the outside day back
            conn.execute(
                sql.SQL("create table {} as select * from {} where {} = %s").format(
                    sql.Identifier("public", f"saved_{table}"),
                    sql.Identifier("marts", table),
                    sql.Identifier(date_column),
                ),
                (outside,),
            )
        conn.execute(
            "update marts.fct_events set event_type = 'corrupted' where event_date in (%s, %s)",
            (inside, outside),
        )
        conn.execute(
            "update marts.fct_phase_executions set total_tokens = -1 where phase_date in (%s, %s)",
            (inside, outside),
        )
        conn.execute(
            "update marts.fct_events_daily set event_count = 0 where event_date in (%s, %s)",
            (inside, outside),
        )
    variables = {
        "as_of": AS_OF,
        "reprocess_from": inside.isoformat(),
        "reprocess_to": outside.isoformat(),
    }
    models = ["fct_events", "fct_phase_executions", "fct_events_daily"]
    _dbt_ok(dsn, warehouse.target, ["run", "--select", *models], variables)

    def corrupted(date: dt.date) -> dict[str, int]:
        [row] = _rows(
            dsn,
            "select"
            " (select count(*) from marts.fct_events"
            "  where event_date = %(d)s and event_type = 'corrupted') as events,"
            " (select count(*) from marts.fct_phase_executions"
            "  where phase_date = %(d)s and total_tokens = -1) as phases,"
            " (select count(*) from marts.fct_events_daily"
            "  where event_date = %(d)s and event_count = 0) as daily,"
            " (select count(*) from marts.fct_events where event_date = %(d)s) as all_events",
            {"d": date},
        )
        return row

    restored, untouched = corrupted(inside), corrupted(outside)
    assert (restored["events"], restored["phases"], restored["daily"]) == (0, 0, 0)
    assert restored["all_events"] > 0
    assert untouched["events"] == untouched["all_events"] > 0
    assert untouched["daily"] > 0
    # put the outside day back as it was, then the facts are the full refresh's again: the
    # reprocessed day came back exactly as built
    with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
        for table, date_column in facts.items():
            saved = sql.Identifier("public", f"saved_{table}")
            built = sql.Identifier("marts", table)
            conn.execute(
                sql.SQL("delete from {} where {} = %s").format(built, sql.Identifier(date_column)),
                (outside,),
            )
            conn.execute(sql.SQL("insert into {} select * from {}").format(built, saved))
            conn.execute(sql.SQL("drop table {}").format(saved))
    fingerprints = _fingerprints(dsn)
    for table in facts:
        assert fingerprints[f"marts.{table}"] == warehouse.refreshed_fingerprints[f"marts.{table}"]


# --------------------------------------------------------------------------- gate and times


def test_a_held_batch_stays_out_until_released_then_builds_incrementally(
    warehouse: Warehouse,
) -> None:
    assert warehouse.events_built_while_held == 0
    built = _exclusive_events_built(warehouse.dsn, warehouse.released_batch)
    assert built["ids"] > 0
    # built by the incremental run after the release, at the release as their load time
    assert built["built"] == built["loaded_at_release"] == built["ids"]


def test_a_batch_still_held_is_in_no_model(warehouse: Warehouse) -> None:
    [row] = _rows(
        warehouse.dsn,
        "with exclusive as ("
        " select id from raw.user_feedback group by id having bool_and(_load_id = %s))"
        " select count(*) as ids, count(staged.feedback_id) as staged,"
        " count(feedback.feedback_id) as built"
        " from exclusive"
        " left join staging.stg_dataforge__user_feedback as staged"
        "  on exclusive.id = staged.feedback_id"
        " left join marts.fct_feedback as feedback on exclusive.id = feedback.feedback_id",
        (warehouse.held_batch,),
    )
    assert row["ids"] > 0
    assert (row["staged"], row["built"]) == (0, 0)


def test_implausible_times_keep_their_rows_but_have_no_day(warehouse: Warehouse) -> None:
    utc = "'YYYY-MM-DD HH24:MI:SS'"
    events = _rows(
        warehouse.dsn,
        f"select to_char(occurred_at at time zone 'utc', {utc}) as occurred, event_date,"
        " is_occurred_at_plausible from marts.fct_events where event_id > 900000000"
        " order by event_id",
    )
    assert [tuple(row.values()) for row in events] == [
        ("0001-01-01 00:00:00", None, False),
        ("10000-01-01 11:59:59", None, False),
    ]
    [row] = _rows(
        warehouse.dsn,
        "select sessions.created_date, sessions.is_created_at_plausible,"
        " phases.phase_date, phases.is_started_at_plausible,"
        " feedback.submitted_date, feedback.is_submitted_at_plausible"
        " from marts.fct_sessions as sessions"
        " inner join marts.fct_phase_executions as phases"
        "  on sessions.session_id = phases.session_id"
        " cross join marts.fct_feedback as feedback"
        " where sessions.session_id = 900001"
        " and feedback.feedback_id = 'a0000000-0000-0000-0000-000000000001'",
    )
    assert tuple(row.values()) == (None, False, None, False, None, False)


def test_implausible_times_never_stretch_or_skew_metrics_daily(warehouse: Warehouse) -> None:
    rows = _rows(
        warehouse.dsn,
        "select metric, min(metric_date) as first_day, count(*) as days"
        " from marts.metrics_daily group by 1",
    )
    [first] = {row["first_day"] for row in rows}
    assert first >= PLAUSIBLE_FROM.date()
    assert all(row["days"] == (AS_OF_DATE - first).days + 1 < 1000 for row in rows)
    [tokens] = _rows(
        warehouse.dsn,
        "select (select sum(numerator) from marts.metrics_daily where metric = 'tokens')"
        " as counted,"
        " (select sum(total_tokens) from marts.fct_phase_executions where phase_date <= %s)"
        " as dated,"
        " (select total_tokens from marts.fct_phase_executions where session_id = 900001)"
        " as implausible",
        (AS_OF_DATE,),
    )
    # the phase from year 10000 keeps its row and its tokens, but no day counts them
    assert tokens["implausible"] == 1_000_000
    assert tokens["counted"] == tokens["dated"]


# --------------------------------------------------------------------------- snapshots


@pytest.mark.parametrize(
    ("snapshot", "key"),
    [
        ("project_outcomes_snapshot", "project_outcome_id"),
        ("orchestration_sessions_snapshot", "session_id"),
    ],
)
def test_snapshots_hold_history_and_one_current_row_per_key(
    warehouse: Warehouse, snapshot: str, key: str
) -> None:
    [row] = _rows(
        warehouse.dsn,
        f"select count(distinct {key}) as keys,"
        f" count(*) filter (where dbt_valid_to is null) as current_rows,"
        f" count(*) as all_rows from snapshots.{snapshot}",
    )
    assert row["keys"] == row["current_rows"] > 0
    assert row["all_rows"] > row["keys"], "later deliveries changed some records"


def test_a_soft_deleted_project_is_a_new_current_version(warehouse: Warehouse) -> None:
    rows = _rows(
        warehouse.dsn,
        "select status, dbt_valid_from, dbt_valid_to, dbt_is_deleted"
        " from snapshots.project_outcomes_snapshot where project_outcome_id = %s"
        " order by dbt_valid_from",
        (warehouse.soft_deleted_project,),
    )
    *history, current = rows
    assert current["status"] == "deleted"
    assert current["dbt_valid_from"] == warehouse.soft_deleted_at
    assert current["dbt_valid_to"] is None and current["dbt_is_deleted"] == "False"
    assert history and history[-1]["dbt_valid_to"] == warehouse.soft_deleted_at
    [project] = _rows(
        warehouse.dsn,
        "select is_deleted from marts.dim_projects where project_outcome_id = %s",
        (warehouse.soft_deleted_project,),
    )
    assert project["is_deleted"] is True


def test_a_project_gone_from_the_source_gets_a_deletion_row(warehouse: Warehouse) -> None:
    dsn = warehouse.dsn
    [gone] = _rows(
        dsn,
        "select project_outcome_id from snapshots.project_outcomes_snapshot"
        " where dbt_valid_to is null and project_outcome_id <> %s"
        " order by project_outcome_id limit 1",
        (warehouse.soft_deleted_project,),
    )
    with psycopg.connect(dsn, autocommit=True) as conn:  # a purge of raw, for the test
        conn.execute(
            "delete from raw.project_outcomes where id = %s", (gone["project_outcome_id"],)
        )
    models = [
        "stg_dataforge__project_outcomes",
        "int_project_outcomes_selected_for_history",
        "project_outcomes_snapshot",
    ]
    _dbt_ok(
        dsn,
        warehouse.target,
        ["build", "--full-refresh", "--select", *models, *NO_TESTS],
        LAST_VARS,
    )
    rows = _rows(
        dsn,
        "select dbt_valid_to, dbt_is_deleted from snapshots.project_outcomes_snapshot"
        " where project_outcome_id = %s order by dbt_valid_from",
        (gone["project_outcome_id"],),
    )
    *history, deletion = rows
    assert deletion["dbt_is_deleted"] == "True" and deletion["dbt_valid_to"] is None
    assert all(row["dbt_valid_to"] is not None for row in history)
    [check] = _rows(
        dsn,
        "select count(*) as keys_without_one_current_row from ("
        " select project_outcome_id from snapshots.project_outcomes_snapshot group by 1"
        " having count(*) filter (where dbt_valid_to is null) <> 1) as keys",
    )
    assert check["keys_without_one_current_row"] == 0


# --------------------------------------------------------------------------- BI interface


def test_every_mart_and_every_mart_column_has_a_comment(warehouse: Warehouse) -> None:
    missing = _rows(
        warehouse.dsn,
        "select cls.relname, att.attname"
        " from pg_class as cls"
        " join pg_namespace as ns on cls.relnamespace = ns.oid"
        " left join pg_attribute as att"
        "  on att.attrelid = cls.oid and att.attnum > 0 and not att.attisdropped"
        " where ns.nspname = 'marts' and cls.relkind = 'r'"
        " and (coalesce(obj_description(cls.oid, 'pg_class'), '') = ''"
        "  or coalesce(col_description(cls.oid, att.attnum), '') = '')",
    )
    assert missing == []


def test_the_docs_site_is_one_offline_file_with_every_mart_and_exposure(
    warehouse: Warehouse,
) -> None:
    """`dbt docs generate --static`, as the dbt README says: one file that loads nothing."""
    _dbt_ok(warehouse.dsn, warehouse.target, ["docs", "generate", "--static"], LAST_VARS)
    page = (warehouse.target / "static_index.html").read_text()
    loads = re.findall(r"<(?:script|link|img)\b[^>]*(?:src|href)=[\"']?(?:https?:)?//", page)
    assert loads == [], "the page loads something from the network"
    catalog = json.loads((warehouse.target / "catalog.json").read_text())
    documented = {
        node["metadata"]["name"]
        for node in catalog["nodes"].values()
        if node["metadata"]["schema"] == "marts"
    }
    relations = _rows(
        warehouse.dsn,
        "select table_name from information_schema.tables where table_schema = 'marts'",
    )
    assert documented == {row["table_name"] for row in relations}
    manifest = json.loads((warehouse.target / "manifest.json").read_text())
    exposures = {exposure["name"] for exposure in manifest["exposures"].values()}
    assert any("trends" in name for name in exposures), exposures


def test_the_bi_role_reads_marts_and_nothing_else(warehouse: Warehouse) -> None:
    rows = _rows(
        warehouse.dsn,
        "select table_schema, table_name,"
        " has_table_privilege('forge_bi', format('%%I.%%I', table_schema, table_name), 'select')"
        "  as bi_reads,"
        " has_table_privilege('forge_analyst',"
        "  format('%%I.%%I', table_schema, table_name), 'select') as analyst_reads"
        " from information_schema.tables"
        " where table_schema in ('staging', 'intermediate', 'marts', 'snapshots')",
    )
    marts = [row for row in rows if row["table_schema"] == "marts"]
    others = [row for row in rows if row["table_schema"] != "marts"]
    assert len(marts) >= 18
    assert all(row["bi_reads"] and row["analyst_reads"] for row in marts)
    assert not any(row["bi_reads"] for row in others)


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        ("metrics_daily", "metric, metric_date"),
        ("fct_events", "session_id"),
        ("fct_events", "event_date"),
        ("fct_events_daily", "event_date"),
        ("fct_phase_executions", "phase, phase_date"),
        ("fct_sessions", "user_identifier"),
        ("fct_sessions", "created_date"),
        ("fct_feedback", "pattern_id, submitted_at"),
    ],
)
def test_marts_are_indexed_on_the_columns_bi_filters_on(
    warehouse: Warehouse, table: str, columns: str
) -> None:
    definitions = _rows(
        warehouse.dsn,
        "select indexdef from pg_indexes where schemaname = 'marts' and tablename = %s",
        (table,),
    )
    assert any(f"({columns})" in row["indexdef"] for row in definitions), definitions


def test_phase_performances_percentile_lookups_read_no_heap_right_after_a_build(
    warehouse: Warehouse,
) -> None:
    """fct_phase_executions is vacuumed by its build (a post-hook), so the offset lookups along
    (phase, duration_seconds) are index-only at once, not only after autovacuum came."""
    with psycopg.connect(warehouse.dsn) as conn:
        vacuumed = conn.execute(
            "select last_vacuum from pg_stat_user_tables"
            " where schemaname = 'marts' and relname = 'fct_phase_executions'"
        ).fetchone()
        assert vacuumed is not None and vacuumed[0] is not None
        conn.execute("set enable_seqscan = off")  # a table this small would be read whole
        conn.execute("set enable_bitmapscan = off")
        row = conn.execute(
            "explain (analyze, format json) select duration_seconds"
            " from marts.fct_phase_executions where phase = 'planning'"
            " and duration_seconds is not null order by duration_seconds limit 1 offset 10"
        ).fetchone()
    assert row is not None
    plan = json.dumps(row[0])
    assert '"Node Type": "Index Only Scan"' in plan, plan
    assert '"Heap Fetches": 0' in plan, plan


def test_every_mart_has_a_primary_key(warehouse: Warehouse) -> None:
    without = _rows(
        warehouse.dsn,
        "select cls.relname from pg_class as cls"
        " join pg_namespace as ns on cls.relnamespace = ns.oid"
        " where ns.nspname = 'marts' and cls.relkind = 'r'"
        " and not exists (select 1 from pg_constraint as con"
        "  where con.conrelid = cls.oid and con.contype = 'p')",
    )
    # fct_events_daily's grain has nullable parts (phase, result), fct_template_uses_daily's
    # too (template_hash, null for a session's phase without a template): a unique test
    # covers each
    assert sorted(row["relname"] for row in without) == [
        "fct_events_daily",
        "fct_template_uses_daily",
    ]


# --------------------------------------------------------------------------- metrics_daily


def test_metrics_daily_has_every_day_for_every_metric_up_to_as_of(warehouse: Warehouse) -> None:
    rows = _rows(
        warehouse.dsn,
        "select metric, min(metric_date) as first_day, max(metric_date) as last_day,"
        " count(*) as days, count(distinct metric_date) as distinct_days"
        " from marts.metrics_daily group by 1",
    )
    assert {row["metric"] for row in rows} == {
        "satisfaction",
        "nps",
        "build_success_rate",
        "sessions",
        "session_success_rate",
        "tokens",
        "event_error_rate",
    }
    first_days = {row["first_day"] for row in rows}
    assert len(first_days) == 1
    for row in rows:
        assert row["last_day"] == AS_OF_DATE
        assert row["days"] == row["distinct_days"] == (AS_OF_DATE - row["first_day"]).days + 1
    [empty] = _rows(
        warehouse.dsn,
        "select count(*) as n from marts.metrics_daily"
        " where metric = 'sessions' and numerator = 0 and denominator = 1 and value = 0",
    )
    assert empty["n"] > 0, "days without a session are present, with zeros"


def _plausible(moment: dt.datetime | None, loaded_at: dt.datetime) -> bool:
    """The documented window: from 2000-01-01 UTC to one day after the row was loaded."""
    return moment is not None and PLAUSIBLE_FROM <= moment <= loaded_at + dt.timedelta(days=1)


def _python_daily(dsn: str) -> dict[tuple[str, dt.date], tuple[float, float]]:
    """satisfaction, nps and sessions per day, computed here from the facts' raw values."""
    daily: dict[tuple[str, dt.date], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row in _rows(
        dsn,
        "select submitted_at, overall_satisfaction, likelihood_to_reuse, _loaded_at"
        " from staging.stg_dataforge__user_feedback",
    ):
        if not _plausible(row["submitted_at"], row["_loaded_at"]):
            continue
        day = row["submitted_at"].astimezone(dt.UTC).date()
        daily[("satisfaction", day)][0] += row["overall_satisfaction"]
        daily[("satisfaction", day)][1] += 1
        score = row["likelihood_to_reuse"]
        if score is not None:
            daily[("nps", day)][0] += 100 if score >= 9 else (-100 if score <= 6 else 0)
            daily[("nps", day)][1] += 1
    for row in _rows(
        dsn, "select created_at, _loaded_at from staging.stg_prompt_runner__orchestration_sessions"
    ):
        if not _plausible(row["created_at"], row["_loaded_at"]):
            continue
        day = row["created_at"].astimezone(dt.UTC).date()
        daily[("sessions", day)][0] += 1
        daily[("sessions", day)][1] = 1
    return {key: (values[0], values[1]) for key, values in daily.items() if key[1] <= AS_OF_DATE}


def test_metrics_daily_numerators_and_denominators_match_the_formulas(
    warehouse: Warehouse,
) -> None:
    expected = _python_daily(warehouse.dsn)
    rows = _rows(
        warehouse.dsn,
        "select metric, metric_date, numerator, denominator, value, sample_size"
        " from marts.metrics_daily where metric in ('satisfaction', 'nps', 'sessions')",
    )
    for row in rows:
        numerator, denominator = expected.get(
            (row["metric"], row["metric_date"]), (0.0, 1.0 if row["metric"] == "sessions" else 0.0)
        )
        assert (row["numerator"], row["denominator"]) == pytest.approx((numerator, denominator)), (
            row
        )
        if row["metric"] == "sessions":
            assert row["value"] == numerator
        elif denominator == 0:
            assert row["value"] is None
        else:
            assert row["value"] == pytest.approx(numerator / denominator)


def test_a_trend_period_is_the_ratio_of_summed_numerators_and_denominators(
    warehouse: Warehouse,
) -> None:
    # what GET /api/analytics/trends?metric=satisfaction&period=30d answers
    [row] = _rows(
        warehouse.dsn,
        "select sum(numerator) / nullif(sum(denominator), 0) as value, sum(sample_size) as n"
        " from marts.metrics_daily where metric = 'satisfaction'"
        " and metric_date > %s::date - 30",
        (AS_OF_DATE,),
    )
    ratings = [
        value
        for (metric, day), (value, _) in _python_daily(warehouse.dsn).items()
        if metric == "satisfaction" and day > AS_OF_DATE - dt.timedelta(days=30)
    ]
    counts = [
        count
        for (metric, day), (_, count) in _python_daily(warehouse.dsn).items()
        if metric == "satisfaction" and day > AS_OF_DATE - dt.timedelta(days=30)
    ]
    assert row["n"] == sum(counts) > 0
    assert row["value"] == pytest.approx(sum(ratings) / sum(counts))
    assert isinstance(row["value"], float | Decimal)
