"""Benchmark: landing-file ingest against the limit, psql \\copy of the same rows.

Run on demand (not a test):

    .venv/bin/python bench/ingest.py                      # 1M events
    .venv/bin/python bench/ingest.py --rows 1000000 --rows 5000000

    .venv/bin/python bench/ingest.py --history 9000000    # and the 10th million after 9M

For each N it writes N orchestration_events as JSONL (and the same rows as CSV), then in one
run measures (a) `psql \\copy` of the CSV into a plain table with the raw table's column types
and no index, default or constraint, the hardest honest limit, and (b) `forge-warehouse ingest
files` end to end into raw.orchestration_events (validation, duplicate check, COPY with raw's
indexes, audit), and prints rows/s of both, the ratio b/a, the peak RSS of (b) and its CPU
seconds (the loader's process alone: when they come close to its wall time, the loader, not
the server, sets the pace). With `--history H`, (c) the same file is loaded again into a raw
table already holding H earlier events (made by the server, shaped like loaded rows, with raw's
indexes), and the rate of (c) against (b) is printed: how much a long history slows the loader.
Everything runs in a database of its own (embedded Postgres unless WAREHOUSE_DSN is set).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import embedded  # noqa: E402
from core.migrations import migrate  # noqa: E402
from core.settings import get_settings  # noqa: E402
from ingest.contract.entities import ENTITIES  # noqa: E402

COLUMNS = tuple(field.name for field in ENTITIES["orchestration_events"].fields)
EVENT_TYPES = ("command_executed", "user_action", "error_occurred", "phase_started")
PHASES = ("planning", "analysis", "implementation", "testing", "cleaning")


def write_events(directory: Path, rows: int, seed: int = 1, first_id: int = 1) -> tuple[Path, Path]:
    """N events (ids from `first_id`) as a landing file, and the same rows as CSV with the
    loader columns."""
    rng = random.Random(seed)
    landing = directory / "landing" / "orchestration_events"
    landing.mkdir(parents=True)
    jsonl_path = landing / "0001-events.jsonl"
    csv_path = directory / "events.csv"
    with jsonl_path.open("wb") as jsonl, csv_path.open("w", newline="") as plain:
        writer = csv.writer(plain)
        for event_id in range(first_id, first_id + rows):
            failed = rng.random() < 0.05
            record = {
                "id": event_id,
                "session_id": rng.randint(1, max(rows // 15, 1)),
                "event_type": "error_occurred" if failed else rng.choice(EVENT_TYPES),
                "event_category": "error" if failed else rng.choice(("cli", "user", "system")),
                "phase": rng.choice(PHASES),
                "command": f"forge run --step {rng.randint(1, 40)}",
                "parameters": {"verbose": rng.random() < 0.3, "retries": rng.randint(0, 3)},
                "result": "failure" if failed else "success",
                "timestamp": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
                f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z",
                "duration_ms": rng.randint(5, 60_000),
                "user_identifier": f"dev-{rng.randint(1, 200)}",
                "session_version": 1,
                "error_details": "exit code 1" if failed else None,
                "metadata": {"host": f"runner-{rng.randint(1, 9)}"},
            }
            line = orjson.dumps(record)
            jsonl.write(line + b"\n")
            writer.writerow(
                [
                    *(
                        orjson.dumps(record[name]).decode()
                        if isinstance(record[name], dict)
                        else ("" if record[name] is None else record[name])
                        for name in COLUMNS
                    ),
                    "bench",
                    event_id,
                    "\\x" + hashlib.md5(line).hexdigest(),
                ]
            )
    return jsonl_path.parent.parent, csv_path


def bench_database() -> tuple[str, str]:
    """A fresh, migrated database for the benchmark; returns (its DSN, an admin DSN)."""
    settings = get_settings()
    admin = (
        settings.warehouse_dsn.get_secret_value()
        if settings.warehouse_dsn
        else embedded.start(settings.pgdata, "postgres")
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("drop database if exists forge_bench with (force)")
        conn.execute("create database forge_bench")
    dsn = make_conninfo(admin, dbname="forge_bench")
    migrate(dsn, settings.migrations_dir)
    return dsn, admin


PLAIN = "public.plain_events"
LOADED = (*COLUMNS, "_load_id", "_line_number", "_record_hash")


def empty_tables(dsn: str) -> None:
    """Empty raw, the audit and the plain table (typed as raw's columns, with no index)."""
    columns = sql.SQL(", ").join(map(sql.Identifier, LOADED))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("truncate raw.orchestration_events, audit.loads, audit.rejects")
        conn.execute(sql.SQL("drop table if exists {}").format(sql.SQL(PLAIN)))
        conn.execute(
            sql.SQL(
                "create table {} as select {} from raw.orchestration_events with no data"
            ).format(sql.SQL(PLAIN), columns)
        )
        conn.execute("checkpoint")


def add_history(dsn: str, rows: int) -> None:
    """`rows` earlier events in raw (ids 1..rows, loaded a month ago), with raw's indexes: they
    are dropped for the insert and built again, as a restore would, then the table vacuumed."""
    table = "raw.orchestration_events"
    with psycopg.connect(dsn, autocommit=True) as conn:
        indexes = conn.execute(
            "select indexname, indexdef from pg_indexes"
            " where schemaname = 'raw' and tablename = 'orchestration_events'"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(sql.SQL("drop index raw.{}").format(sql.Identifier(name)))
        conn.execute(
            f"""
            insert into {table} (id, session_id, event_type, event_category, phase, command,
                parameters, result, "timestamp", duration_ms, user_identifier, session_version,
                metadata, _load_id, _loaded_at, _line_number, _record_hash)
            select i, 1 + i %% 66667, 'user_action', 'user', 'testing',
                'forge run --step ' || i %% 40, '{{"verbose": false, "retries": 1}}',
                'success', '2025-01-01'::timestamptz + i * interval '1 second', i %% 60000,
                'dev-' || i %% 200, 1, '{{"host": "runner-1"}}', 'history',
                now() - interval '30 days', i, decode(md5(i::text), 'hex')
            from generate_series(1, %s) as i
            """,
            (rows,),
        )
        for _, definition in indexes:
            conn.execute(definition)
        conn.execute(f"vacuum (analyze) {table}")
        conn.execute("checkpoint")


def copy_limit(dsn: str, csv_path: Path) -> float:
    """Seconds for psql \\copy of the CSV: the rate Postgres itself takes these rows at."""
    from pgserver._commands import POSTGRES_BIN_PATH  # the psql that ships with the server

    psql = POSTGRES_BIN_PATH / "psql"
    columns = ", ".join(LOADED)
    command = f"\\copy {PLAIN} ({columns}) from '{csv_path}' with (format csv)"
    started = time.perf_counter()
    subprocess.run([str(psql), dsn, "-q", "-c", command], check=True)
    return time.perf_counter() - started


def ingest_files(dsn: str, landing: Path) -> tuple[float, float, int]:
    """Seconds, CPU seconds (user and system) and peak RSS (KiB) of `forge-warehouse ingest
    files` end to end, the loader's process alone (the server's work is not in its CPU)."""
    env = {**os.environ, "WAREHOUSE_DSN": dsn}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "ingest", "files", str(landing)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"forge-warehouse ingest files failed (status {status})")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def loaded_rows(dsn: str, table: str = "raw.orchestration_events") -> int:
    with psycopg.connect(dsn) as conn:
        query = sql.SQL("select count(*) from {}").format(sql.SQL(table))
        row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="events per run (repeatable)")
    parser.add_argument(
        "--history", type=int, default=0, help="also load each file after H earlier events"
    )
    args = parser.parse_args()
    sizes = args.rows or [1_000_000]
    dsn, admin = bench_database()
    header = (
        f"{'rows':>10} {'copy rows/s':>12} {'ingest rows/s':>14} {'ratio':>6} {'peak RSS':>9}"
        f" {'loader CPU':>10}"
    )
    if args.history:
        header += f" {'after history rows/s':>21} {'of empty':>8}"
    print(header)
    try:
        for rows in sizes:
            with tempfile.TemporaryDirectory(dir=ROOT / ".warehouse") as scratch:
                landing, csv_path = write_events(Path(scratch), rows, first_id=args.history + 1)
                empty_tables(dsn)
                copy_seconds = copy_limit(dsn, csv_path)
                assert loaded_rows(dsn, PLAIN) == rows
                empty_tables(dsn)
                ingest_seconds, cpu_seconds, peak_kib = ingest_files(dsn, landing)
                assert loaded_rows(dsn) == rows
                line = (
                    f"{rows:>10} {rows / copy_seconds:>12,.0f} {rows / ingest_seconds:>14,.0f} "
                    f"{copy_seconds / ingest_seconds:>6.2f} {peak_kib / 1024:>7.0f}MB"
                    f" {cpu_seconds:>9.1f}s"
                )
                if args.history:
                    empty_tables(dsn)
                    add_history(dsn, args.history)
                    history_seconds, _, _ = ingest_files(dsn, landing)
                    assert loaded_rows(dsn) == args.history + rows
                    line += (
                        f" {rows / history_seconds:>21,.0f} "
                        f"{ingest_seconds / history_seconds:>8.2f}"
                    )
            print(line)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("drop database if exists forge_bench with (force)")


if __name__ == "__main__":
    main()
