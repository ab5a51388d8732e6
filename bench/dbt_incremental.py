"""Benchmark: does the nightly cost what its new data costs? One night on 10M and on 1M events.

Run on demand (not a test):

    .venv/bin/python bench/dbt_incremental.py                        # 10M and 1M events
    .venv/bin/python bench/dbt_incremental.py --events 200000 --small-events 0   # quick

For each history size (`--events`, then `--small-events`), in a database of its own
(embedded Postgres unless WAREHOUSE_DSN is set):

1. History, made fast: the synthetic generator writes `--base-sessions` sessions over 90 days,
   which the real loader loads into raw; the bench then multiplies that base with SQL, in the
   raw tables: copy k gets integer ids shifted by k x 10^n, new uuids (md5 of the id and k),
   new record hashes, and every timestamp shifted back by k x (90 days, or fewer when the
   history would reach before 2000: a larger history is a denser one); `_loaded_at` is the
   night after each version happened, `_ingest_seq` follows that order.
2. Full rebuild: the nightly's dbt command line (orchestration_dagster/lib/dbt_args.py,
   build_args: `dbt build --exclude-resource-type unit_test`) with `--full-refresh`, every
   test over every row.
3. The night, as the nightly runs it: `--share` of the large history's events (the same
   number of rows on both sizes) as landing files (JSON lines: the sessions that follow the
   newest data with their versions, phases, events and code metrics; projects in the same
   share with their feedback; a few hundred late events of sessions already built, dated
   about 30 days back), loaded by the loader (`load_landing`, as the ingest steps call it),
   then the dbt step's command line with the test scope it computes
   (orchestration_dagster/lib/test_scope.py: tests of incremental models look at the rows
   loaded since the oldest watermark, minus the lookback; the not_null and unique tests a
   NOT NULL column or a unique index already holds are left out, as the step leaves them).

It prints each build's wall clock, dbt's start-up and parse, the summed node times (models and
snapshots, incremental models, tests), the night's slowest nodes, then the ratios: nightly
(load + build) / full rebuild at the large size (target <= 0.15), and nightly on the large
history / on the small one for the same night (target <= 1.3), with the machine's load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import embedded  # noqa: E402
from core.db import connect, dbt_env  # noqa: E402
from core.migrations import migrate  # noqa: E402
from core.settings import get_settings  # noqa: E402
from ingest.contract.entities import ENTITIES  # noqa: E402
from ingest.sources.files.load import load_landing  # noqa: E402
from orchestration_dagster.defs.dbt.enforced import read_enforced  # noqa: E402
from orchestration_dagster.lib.dbt_args import build_args, test_selectors, vars_args  # noqa: E402
from orchestration_dagster.lib.test_scope import (  # noqa: E402
    TEST_SCOPE,
    held_by_database,
    scope_vars,
    tested_schemas,
)
from synthetic import generate  # noqa: E402

DATABASE = "forge_bench_dbt"
AS_OF = "2031-01-01T00:00:00+00:00"
SPAN_DAYS = 90  # the synthetic generator's window
HISTORY_DAYS = 21 * SPAN_DAYS  # at most ~5 years of history: every timestamp after 2000
DBT_DIR = ROOT / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")
MODEL_KINDS = ("model", "snapshot")

# The column that says when a version of a record happened: the bench loads it the night after.
VERSION_TIME = {
    "orchestration_sessions": "base.updated_at",
    "orchestration_phase_metrics": "coalesce(base.completed_at, base.started_at)",
    "orchestration_events": 'base."timestamp"',
    "orchestration_code_metrics": "base.updated_at",
    "project_outcomes": "base.updated_at",
    "user_feedback": "base.submitted_at",
}
# Integer keys and the references to them, shifted together (the offset is per key).
INTEGER_KEYS = {
    "orchestration_sessions": {"id": "session"},
    "orchestration_phase_metrics": {"id": "phase_metric", "session_id": "session"},
    "orchestration_events": {"id": "event", "session_id": "session"},
    "orchestration_code_metrics": {"id": "code_metric", "session_id": "session"},
}
UUID_KEYS = {
    "project_outcomes": ("id",),
    "user_feedback": ("id", "project_outcome_id"),
}
OFFSET_SOURCES = {
    "session": ("orchestration_sessions", "id"),
    "phase_metric": ("orchestration_phase_metrics", "id"),
    "event": ("orchestration_events", "id"),
    "code_metric": ("orchestration_code_metrics", "id"),
}


@dataclass(frozen=True)
class Timing:
    """One dbt invocation: wall clock, the summed execution time of its models (and
    snapshots), of its incremental models alone and of its tests, its slowest nodes, and how
    long dbt took before its first node started (start-up and parse)."""

    wall_seconds: float
    model_seconds: float
    incremental_seconds: float
    test_seconds: float
    startup_seconds: float
    nodes: int
    slowest: tuple[tuple[str, float], ...] = ()


def admin_dsn() -> str:
    settings = get_settings()
    if settings.warehouse_dsn:
        return settings.warehouse_dsn.get_secret_value()
    return embedded.start(settings.pgdata, "postgres")


def recreate(admin: str, name: str, template: str | None = None) -> str:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )
        if template is None:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        else:
            conn.execute(
                sql.SQL("create database {} template {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
    return make_conninfo(admin, dbname=name)


def drop(admin: str, name: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )


def _columns(conn: psycopg.Connection, table: str) -> list[str]:
    rows = conn.execute(
        "select column_name from information_schema.columns "
        "where table_schema = 'raw' and table_name = %s and column_name <> '_ingest_seq' "
        "order by ordinal_position",
        (table,),
    ).fetchall()
    return [row[0] for row in rows]


def _timestamp_columns(conn: psycopg.Connection, table: str) -> set[str]:
    rows = conn.execute(
        "select column_name from information_schema.columns where table_schema = 'raw' "
        "and table_name = %s and data_type = 'timestamp with time zone'",
        (table,),
    ).fetchall()
    return {row[0] for row in rows}


def _copy_select(
    conn: psycopg.Connection,
    table: str,
    offsets: dict[str, int],
    *,
    loaded_at: str | None = None,
    fixed_keys: frozenset[str] = frozenset(),
) -> tuple[str, str]:
    """(insert column list, select list) copying `base.*` as copy `copies.k`.

    The select runs over `bench_base.<table> as base` joined to a row source `copies` with
    columns `k` (which id range the copy takes) and `shift` (an interval added to every
    timestamp). Keys named in `fixed_keys` (e.g. "session") keep their base value.
    """
    columns = _columns(conn, table)
    timestamps = _timestamp_columns(conn, table) - {"_loaded_at"}
    selected = []
    for name in columns:
        quoted = f'base."{name}"'
        key = INTEGER_KEYS.get(table, {}).get(name)
        if key is not None and key not in fixed_keys:
            expression = f"{quoted} + copies.k * {offsets[key]}"
        elif name in UUID_KEYS.get(table, ()):
            expression = (
                f"case when copies.k = 0 then {quoted} "
                f"else md5({quoted}::text || ':' || copies.k)::uuid end"
            )
        elif name in timestamps:
            expression = f"{quoted} + copies.shift"
        elif name == "_record_hash":
            expression = (
                f"case when copies.k = 0 then {quoted} "
                f"else decode(md5(encode({quoted}, 'hex') || ':' || copies.k), 'hex') end"
            )
        elif name == "_loaded_at":
            expression = loaded_at or (
                f"date_trunc('day', {VERSION_TIME[table]} + copies.shift)"
                " + interval '1 day 2 hours'"
            )
        else:
            expression = quoted
        selected.append(f'{expression} as "{name}"')
    return ", ".join(f'"{name}"' for name in columns), ",\n    ".join(selected)


def _insert_copies(
    conn: psycopg.Connection,
    table: str,
    offsets: dict[str, int],
    copies: str,
    *,
    into: str | None = None,
    where: str = "true",
    loaded_at: str | None = None,
    fixed_keys: frozenset[str] = frozenset(),
) -> int:
    """Insert shifted copies of bench_base.<table> into `into` (default raw.<table>), in load
    order; rows inserted."""
    columns, select = _copy_select(conn, table, offsets, loaded_at=loaded_at, fixed_keys=fixed_keys)
    cursor = conn.execute(
        f"insert into {into or f'raw.{table}'} ({columns})\n"
        f"select * from (\n"
        f"    select {select}\n"
        f"    from bench_base.{table} as base\n"
        f"    cross join ({copies}) as copies\n"
        f"    where {where}\n"
        f') as shifted order by "_loaded_at"'
    )
    return cursor.rowcount


def copy_step_days(copies: int) -> int:
    """Days between two copies of the base: a whole span (90 days) while the history fits in
    HISTORY_DAYS, else less, so every timestamp stays plausible (after 2000-01-01) and a
    larger history is a denser one, as a growing warehouse's is."""
    return max(1, min(SPAN_DAYS, HISTORY_DAYS // copies))


def multiply(dsn: str, copies: int) -> dict[str, int]:
    """Replace raw with `copies` shifted copies of what the loader loaded; return the offsets."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create schema if not exists bench_base")
        offsets = {}
        for key, (table, column) in OFFSET_SOURCES.items():
            row = conn.execute(f'select coalesce(max("{column}"), 0) from raw.{table}').fetchone()
            assert row is not None
            offsets[key] = 10 ** math.ceil(math.log10(int(row[0]) + copies + 4))
        series = (
            f"select k, -k * interval '{copy_step_days(copies)} days' as shift "
            f"from generate_series(0, {copies - 1}) as k"
        )
        for table in VERSION_TIME:
            conn.execute(f"drop table if exists bench_base.{table}")
            conn.execute(f"create table bench_base.{table} as select * from raw.{table}")
            conn.execute(f"truncate raw.{table}")
            _insert_copies(conn, table, offsets, series)
            conn.execute(f"vacuum analyze raw.{table}")
    return offsets


def write_night(
    dsn: str, copies: int, offsets: dict[str, int], events: int, landing: Path
) -> dict[str, int]:
    """Tonight's landing files: about `events` new events after the newest data (the sessions
    that follow it, with their versions, phases, events and code metrics; projects in the same
    share, with their feedback) and a few hundred late-arriving events of sessions already
    built, dated about 30 days back. Made with SQL, written as JSON lines the loader reads;
    rows per entity."""
    written: dict[str, int] = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("select count(*) from bench_base.orchestration_events").fetchone()
        base_events = int(row[0]) if row else 0
        share = events / max(1, base_events)
        projects = conn.execute("select count(distinct id) from bench_base.project_outcomes")
        base_projects = int((projects.fetchone() or (0,))[0])
        # The sessions that come first in the base, in order of creation, until their events
        # add up to `events`; likewise projects; shifted one span past the newest copy.
        conn.execute("drop table if exists bench_base.increment_sessions")
        conn.execute(
            "create table bench_base.increment_sessions as "
            "with events_per_session as ("
            "    select session_id as id, count(*) as events"
            "    from bench_base.orchestration_events group by 1"
            "), sessions as ("
            "    select id, min(created_at) as created_at"
            "    from bench_base.orchestration_sessions group by 1"
            "), running as ("
            "    select sessions.id, sum(coalesce(events_per_session.events, 0)) over ("
            "        order by sessions.created_at, sessions.id) as cumulative"
            "    from sessions left join events_per_session using (id)"
            f") select id from running where cumulative <= {events}"
        )
        conn.execute("drop table if exists bench_base.increment_projects")
        conn.execute(
            "create table bench_base.increment_projects as "
            "select id from bench_base.project_outcomes group by id "
            f"order by min(created_at), id limit {math.ceil(base_projects * min(1.0, share))}"
        )
        forward = f"select {copies} as k, interval '{SPAN_DAYS} days' as shift"
        late = f"select {copies + 1} as k, interval '0 days' as shift"
        newest_event = '(select max("timestamp") from bench_base.orchestration_events)'
        parts: list[tuple[str, str, str, str, frozenset[str]]] = [
            (
                table,
                forward,
                f"base.{key} in (select id from bench_base.increment_{kind})",
                "",
                frozenset(),
            )
            for table, key, kind in (
                ("orchestration_sessions", "id", "sessions"),
                ("orchestration_phase_metrics", "session_id", "sessions"),
                ("orchestration_events", "session_id", "sessions"),
                ("orchestration_code_metrics", "session_id", "sessions"),
                ("project_outcomes", "id", "projects"),
                ("user_feedback", "project_outcome_id", "projects"),
            )
        ]
        # late-arriving events: new ids, sessions already built, dated ~30 days back
        parts.append(
            (
                "orchestration_events",
                late,
                f"base.\"timestamp\" between {newest_event} - interval '31 days' "
                f"and {newest_event} - interval '30 days'",
                "-late",
                frozenset({"session"}),
            )
        )
        for table, copies_sql, where, suffix, fixed in parts:
            night = f"bench_base.night_{table}"
            conn.execute(f"drop table if exists {night}")
            conn.execute(f"create table {night} as select * from raw.{table} with no data")
            _insert_copies(
                conn, table, offsets, copies_sql, into=night, where=where, fixed_keys=fixed
            )
            fields = ", ".join(f'"{name}"' for name in ENTITIES[table].field_names)
            folder = landing / table
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"0001-night{suffix}.jsonl"
            rows = 0
            with path.open("wb") as out, conn.cursor() as cursor:
                query = (
                    f"copy (select row_to_json(night) from (select {fields} from {night}"
                    ' order by "_loaded_at") as night) to stdout'
                )
                with cursor.copy(query) as copy:
                    for chunk in copy:
                        out.write(chunk)
                        rows += bytes(chunk).count(b"\n")
            written[f"{table}{suffix}"] = rows
    return written


def load_night(dsn: str, landing: Path) -> tuple[float, int]:
    """The night's files through the loader, as the nightly's ingest steps load them; seconds
    and rows loaded."""
    started = time.perf_counter()
    with connect(dsn) as conn:
        outcomes = load_landing(conn, landing)
    seconds = time.perf_counter() - started
    rows = 0
    for outcome in outcomes:
        batch = outcome.batch
        if batch is None or batch.error is not None or batch.rows_rejected or batch.held:
            reason = "no batch" if batch is None else batch.error or batch.reject_reasons
            raise SystemExit(f"the night's file {outcome.file.name} did not load whole: {reason}")
        rows += batch.rows_loaded
    return seconds, rows


def load_base(dsn: str, sessions: int, seed: int) -> None:
    """The synthetic generator's landing files, loaded by the real loader."""
    with tempfile.TemporaryDirectory() as scratch:
        landing = Path(scratch) / "landing"
        generate(landing, sessions=sessions, seed=seed, dirty_rate=0.0)
        with connect(dsn) as conn:
            load_landing(conn, landing)


def build_history(dsn: str, events: int, base_sessions: int) -> tuple[int, dict[str, int], int]:
    """About `events` events in raw: the generator's base, loaded, then multiplied with SQL;
    prints what was made; returns the number of copies, their id offsets and the events."""
    clock = time.perf_counter()
    load_base(dsn, base_sessions, seed=42)
    base_events = count(dsn, "select count(*) from raw.orchestration_events")
    copies = max(1, round(events / base_events))
    offsets = multiply(dsn, copies)
    total = count(dsn, "select count(*) from raw.orchestration_events")
    sessions = count(dsn, "select count(distinct id) from raw.orchestration_sessions")
    print(
        f"\nhistory: {total:,} events, {sessions:,} sessions: {base_events:,} generated "
        f"events x {copies} SQL copies, {copy_step_days(copies)} days apart "
        f"({time.perf_counter() - clock:.0f} s to prepare)",
        flush=True,
    )
    return copies, offsets, total


def count(dsn: str, query: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return int(row[0])


def text_of(dsn: str, query: str) -> str:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(query).fetchone()
    return "" if row is None else str(row[0])


def dbt(dsn: str, args: Sequence[str], target: Path) -> Timing:
    """Run dbt in dbt_project/ with its own target and log paths; time it."""
    env = {
        **os.environ,
        **dbt_env(dsn),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target / "logs"),
    }
    started_at = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    completed = subprocess.run(
        [str(DBT), *args, "--profiles-dir", str(DBT_DIR)],
        cwd=DBT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        print(completed.stdout[-4000:], file=sys.stderr)
        raise SystemExit(f"dbt {' '.join(args)} failed (exit {completed.returncode})")
    if args[0] != "build":
        return Timing(wall, 0.0, 0.0, 0.0, 0.0, 0)
    results = json.loads((target / "run_results.json").read_text())["results"]
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    incremental = {
        unique_id
        for unique_id, node in nodes.items()
        if node.get("config", {}).get("materialized") == "incremental"
    }

    def kind(result: dict[str, Any]) -> str:
        return str(result["unique_id"]).split(".", 1)[0]

    starts = [
        dt.datetime.fromisoformat(timing["started_at"].replace("Z", "+00:00"))
        for result in results
        for timing in result["timing"]
        if timing.get("started_at")
    ]
    first = min(starts) if starts else started_at
    if first.tzinfo is None:
        first = first.replace(tzinfo=dt.UTC)
    slowest = sorted(
        ((str(result["unique_id"]), float(result["execution_time"])) for result in results),
        key=lambda item: -item[1],
    )
    return Timing(
        wall_seconds=wall,
        model_seconds=sum(r["execution_time"] for r in results if kind(r) in MODEL_KINDS),
        incremental_seconds=sum(
            r["execution_time"] for r in results if r["unique_id"] in incremental
        ),
        test_seconds=sum(r["execution_time"] for r in results if kind(r) == "test"),
        startup_seconds=(first - started_at).total_seconds(),
        nodes=len(results),
        slowest=tuple(slowest),
    )


def nightly_args(dsn: str, variables: dict[str, str], target: Path) -> list[str]:
    """The dbt command line of the nightly's dbt step (orchestration_dagster/lib/dbt_args.py):
    on a scoped night, without the tests the database holds (lib/test_scope.py), read from
    the catalog as the step reads it."""
    if variables.get(TEST_SCOPE) != "changed":
        return build_args(variables)
    manifest = json.loads((target / "manifest.json").read_text())
    held = held_by_database(manifest, read_enforced(dsn, tested_schemas(manifest)))
    return build_args(variables, exclude=test_selectors(manifest, held))


@dataclass(frozen=True)
class History:
    """What one history size measured: the full rebuild and the night on it."""

    events: int
    full: Timing
    load_seconds: float
    rows_loaded: int
    night: Timing

    @property
    def nightly_seconds(self) -> float:
        """The night as the nightly runs it: its files loaded, then the dbt build."""
        return self.load_seconds + self.night.wall_seconds


def describe(label: str, timing: Timing) -> str:
    return (
        f"{label}: {timing.wall_seconds:6.1f}s wall (dbt start-up and parse "
        f"{timing.startup_seconds:4.1f}s; summed over dbt's threads: models+snapshots "
        f"{timing.model_seconds:6.1f}s, of which incremental models "
        f"{timing.incremental_seconds:5.1f}s; tests {timing.test_seconds:6.1f}s; "
        f"{timing.nodes} nodes)"
    )


def measure(
    admin: str, events: int, night_events: int, base_sessions: int, top: int, keep: bool
) -> History:
    """Build a history of about `events` events, fully rebuild it, then run a night of
    `night_events` new events on it, as the nightly does."""
    name = f"{DATABASE}_{events}"
    dsn = recreate(admin, name)
    target = Path(tempfile.mkdtemp(prefix="forge-bench-dbt-"))
    try:
        migrate(dsn, get_settings().migrations_dir)
        copies, offsets, total = build_history(dsn, events, base_sessions)
        variables = {"as_of": AS_OF}
        dbt(dsn, ["parse", *vars_args(variables)], target)
        full = dbt(dsn, [*nightly_args(dsn, variables, target), "--full-refresh"], target)
        print(describe("full rebuild  dbt build --full-refresh", full), flush=True)
        with tempfile.TemporaryDirectory() as scratch:
            landing = Path(scratch) / "landing"
            written = write_night(dsn, copies, offsets, night_events, landing)
            print(
                "night's files: " + ", ".join(f"{rows:,} {name}" for name, rows in written.items())
            )
            load_seconds, rows_loaded = load_night(dsn, landing)
        # the nightly's vars are the same every night: dbt parsed them in an earlier night
        variables = {**variables, **scope_vars(every_row=False)}
        dbt(dsn, ["parse", *vars_args(variables)], target)
        night = dbt(dsn, nightly_args(dsn, variables, target), target)
        print(
            f"nightly       loader {load_seconds:5.1f}s ({rows_loaded:,} rows), then "
            + describe("dbt build", night)
        )
        since = text_of(dsn, "select since::text from staging.dbt_test_scope")
        print(f"              tests looked at rows loaded since {since} (minus the lookback)")
        print("              slowest nodes of the night (seconds): ")
        for unique_id, seconds in night.slowest[:top]:
            print(f"                {seconds:6.2f}  {unique_id}")
        off = count(
            dsn,
            "select (select count(*) from marts.fct_events)"
            " - (select count(distinct id) from raw.orchestration_events)",
        )
        if off:
            raise SystemExit(f"fct_events is off by {off} rows after the night")
        return History(total, full, load_seconds, rows_loaded, night)
    finally:
        if keep:
            print(f"kept: database {name}, dbt artifacts in {target}")
        else:
            shutil.rmtree(target, ignore_errors=True)
            drop(admin, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--events", type=int, default=10_000_000, help="events in the large history"
    )
    parser.add_argument(
        "--small-events",
        type=int,
        default=1_000_000,
        help="events in the small history the same night is compared on (0: none)",
    )
    parser.add_argument(
        "--share", type=float, default=0.01, help="the night's new events, share of --events"
    )
    parser.add_argument("--base-sessions", type=int, default=3000, help="generated sessions")
    parser.add_argument("--top", type=int, default=15, help="slowest nodes of the night shown")
    parser.add_argument(
        "--keep", action="store_true", help="keep the bench databases and dbt artifacts"
    )
    args = parser.parse_args()
    if args.events <= 0 or not 0 < args.share <= 1 or args.small_events < 0:
        raise SystemExit("--events must be positive, --share in (0, 1], --small-events >= 0")
    night_events = max(1, round(args.events * args.share))
    print(f"machine load (uptime): {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    admin = admin_dsn()
    sizes = [args.events] + ([args.small_events] if 0 < args.small_events < args.events else [])
    measured = [
        measure(admin, size, night_events, args.base_sessions, args.top, args.keep)
        for size in sizes
    ]
    large = measured[0]
    print(f"\nmachine load (uptime): {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    print(
        f"nightly / full rebuild at {large.events:,} events: {large.nightly_seconds:.1f}s / "
        f"{large.full.wall_seconds:.1f}s = "
        f"{large.nightly_seconds / large.full.wall_seconds:.3f} (target <= 0.15); "
        f"dbt build alone {large.night.wall_seconds / large.full.wall_seconds:.3f}"
    )
    if len(measured) > 1:
        small = measured[1]
        print(
            f"nightly at {large.events:,} / at {small.events:,} events, same night: "
            f"{large.nightly_seconds:.1f}s / {small.nightly_seconds:.1f}s = "
            f"{large.nightly_seconds / small.nightly_seconds:.3f} (target <= 1.3)"
        )


if __name__ == "__main__":
    main()
