"""Benchmark: what the watch area's bookkeeping (issue 14) adds to one nightly refresh.

Run on demand (not a test):

    .venv/bin/python -P bench/watch_cost.py [--sessions N]   # -P: bench/ingest.py is not `ingest`

It generates `--sessions` sessions of synthetic data (`forge-warehouse generate`) into a fresh
FORGE_HOME and DAGSTER_HOME, runs one `forge-warehouse refresh` (the nightly job, in process),
then reads, from that run's own records, the Dagster run's seconds and those of its `watch`
stage (published_metric_values and the metric checks), and times again, on the same database,
the two pieces of bookkeeping that live inside other steps: each raw table's within-history
check (run in its load step) and record_run (watch.runs, run_steps, dbt_nodes, artifact
retention; run by the CLI after the job). Both are idempotent upserts, so the second call does
the work of the first. The nightly without the watch is the run's seconds less these.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg
import psycopg

AS_OF = "2025-04-01T00:00:00+00:00"
BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="forge-watch-bench-") as tmp:
        home = Path(tmp)
        os.environ.update(FORGE_HOME=str(home), DAGSTER_HOME=str(home / "dagster"))
        os.environ.pop("WAREHOUSE_DSN", None)
        cli = str(BIN / "forge-warehouse")
        landing = str(home / "landing")
        subprocess.run(
            [cli, "generate", "--out", landing, "--sessions", str(args.sessions), "--now", AS_OF],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        clock = time.monotonic()
        subprocess.run([cli, "refresh", "--as-of", AS_OF], check=False, stdout=subprocess.DEVNULL)
        wall = time.monotonic() - clock
        try:
            _measure(home, args.sessions, wall)
        finally:  # the embedded server must not outlive its data directory
            from core import embedded

            embedded.stop(home / "pgdata")


def _measure(home: Path, sessions: int, wall: float) -> None:
    # imported after FORGE_HOME is set: the settings are read once
    from core.settings import get_settings
    from core.warehouse import warehouse_dsn
    from ingest.contract.entities import ENTITIES
    from orchestration_dagster.defs.watch.checks import raw_history_result
    from orchestration_dagster.defs.watch.history import record_run
    from orchestration_dagster.lib.names import raw_asset_key

    settings = get_settings()
    dsn = warehouse_dsn(settings)
    with psycopg.connect(dsn) as conn:
        run_id, run_seconds, watch_seconds, status = conn.execute(
            "select run_id, duration_seconds, coalesce(watch_seconds, 0), status"
            " from watch.run_history order by started_at desc limit 1"
        ).fetchone() or (None, 0.0, 0.0, None)
        events = conn.execute("select count(*) from raw.orchestration_events").fetchone()
    if run_id is None:
        raise SystemExit("the refresh recorded no run in watch.runs")
    clock = time.monotonic()
    for entity in ENTITIES.values():
        key = raw_asset_key(entity.system, entity.name)
        raw_history_result(entity, key, dsn, run_id, {})
    raw_checks = time.monotonic() - clock
    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        clock = time.monotonic()
        record_run(
            instance, run_id, dsn, settings.dbt_project_dir / "target", settings.dbt_artifact_runs
        )
        recording = time.monotonic() - clock
    bookkeeping = watch_seconds + raw_checks + recording
    without = run_seconds - watch_seconds - raw_checks
    print(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load {os.getloadavg()[0]:.2f}")
    print(f"{sessions} sessions, {events[0] if events else 0} events; run {run_id} {status}")
    print(f"forge-warehouse refresh wall {wall:.1f} s; the Dagster run {run_seconds:.1f} s")
    print(
        f"watch stage {watch_seconds:.1f} s, raw within-history checks {raw_checks:.1f} s, "
        f"record_run {recording:.1f} s: bookkeeping {bookkeeping:.1f} s"
    )
    print(f"nightly without it {without:.1f} s; the bookkeeping adds {bookkeeping / without:.1%}")


if __name__ == "__main__":
    main()
