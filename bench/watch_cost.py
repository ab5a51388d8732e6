"""Benchmark: what the watch area's bookkeeping (issue 14) adds to the nightly at 1M events.

Run on demand (not a test):

    .venv/bin/python -P bench/watch_cost.py [--events N] [--share S] [--base-sessions N]

-P keeps bench/ off sys.path (bench/ingest.py is not `ingest`); bench/dbt_incremental.py is
imported as `bench.dbt_incremental` through the repository root, which the editable install puts
on sys.path as it does for `core` and `ingest`: no sys.path tweak here.

In a fresh FORGE_HOME and DAGSTER_HOME (embedded Postgres):

1. History of about `--events` events (default 1M), made as bench/dbt_incremental.py makes it,
   with its functions: `--base-sessions` generated sessions loaded by the real loader, then
   multiplied in raw with SQL (`_loaded_at` the night after each version happened).
2. A first `forge-warehouse refresh --as-of <dbt_incremental's AS_OF>` (the nightly job, in
   process, through the CLI): every model is built on that history and watch has a run.
3. The night: `--share` of the events (default 1%) as landing files after the newest data, plus
   a few hundred late events (`write_night`), written into the landing directory the refresh
   reads; then `forge-warehouse refresh` again with the same as-of. This run is the one measured.
4. From that run's own records (watch.run_history): the Dagster run's seconds and those of its
   `watch` stage (published_metric_values and the metric checks). Timed again on the same
   database, because they live inside other steps or after the run: each raw table's
   within-history check (run in its load step), record_run (watch.runs, run_steps, dbt_nodes,
   artifact retention; run by the CLI after the job) and the report's watch queries (the CLI
   builds the report after the run). All are idempotent, so a second call does the work of the
   first. The nightly without the watch is the run's seconds less its watch stage and raw
   checks (steps run one after another: the in-process executor).

Both refreshes run in the same real night, so the raw checks measure the night's loads but have
no earlier nights of watch.daily_measures to judge them against (judging reads at most eight
weeks of a subject's daily measures; measuring reads the night's rows through the index on
_loaded_at). With as-of in 2031, as dbt_incremental uses, every metric period counts as closed,
so the night's changes to recent periods are recorded as restatements (more than a real night's).

It prints the date and machine load, the refresh's wall and the Dagster run's seconds per
stage, each piece of bookkeeping, the watch steps, and the ratio to the nightly without it
(target < 5%). A refresh that fails stops the bench in one sentence, after its output.
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

from analytics.report.watch import fetch_watch
from bench.dbt_incremental import AS_OF, build_history, count, write_night
from core import embedded
from core.settings import Settings, get_settings
from core.warehouse import prepare
from ingest.contract.entities import ENTITIES

BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the history")
    parser.add_argument(
        "--share", type=float, default=0.01, help="the night's new events, share of --events"
    )
    parser.add_argument("--base-sessions", type=int, default=3000, help="generated sessions")
    args = parser.parse_args()
    if args.events <= 0 or not 0 < args.share <= 1 or args.base_sessions <= 0:
        raise SystemExit("--events and --base-sessions must be positive, --share in (0, 1]")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="forge-watch-bench-") as tmp:
        home = Path(tmp)
        os.environ.update(FORGE_HOME=str(home), DAGSTER_HOME=str(home / "dagster"))
        for name in ("WAREHOUSE_DSN", "FORGE_WAREHOUSE_DSN", "FORGE_LANDING_DIR", "FORGE_AS_OF"):
            os.environ.pop(name, None)
        settings = get_settings()  # read once, now that FORGE_HOME is set
        try:
            dsn = prepare(settings)
            copies, offsets, _ = build_history(dsn, args.events, args.base_sessions)
            settings.landing.mkdir(parents=True)  # empty tonight: the refresh needs it there
            first = _refresh("the first refresh (every model built)")
            print(f"first refresh over the history: {first:.1f} s wall", flush=True)
            night_events = max(1, round(args.events * args.share))
            written = write_night(dsn, copies, offsets, night_events, settings.landing)
            print("night's files: " + ", ".join(f"{n:,} {name}" for name, n in written.items()))
            wall = _refresh("the night's refresh")
            _measure(dsn, settings, wall, load_before)
        finally:  # the embedded server must not outlive its data directory
            embedded.stop(home / "pgdata")


def _refresh(label: str) -> float:
    """Run `forge-warehouse refresh --as-of AS_OF`; its wall seconds. A failed run, or one the
    run history does not record as a success, stops the bench in one sentence."""
    clock = time.monotonic()
    completed = subprocess.run(
        [str(BIN / "forge-warehouse"), "refresh", "--as-of", AS_OF],
        check=False,
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - clock
    if completed.returncode != 0:
        print(completed.stdout[-4000:], completed.stderr[-4000:], sep="\n", file=sys.stderr)
        raise SystemExit(f"{label} failed (exit {completed.returncode}); its output is above")
    return wall


def _measure(
    dsn: str, settings: Settings, wall: float, load_before: tuple[float, float, float]
) -> None:
    # imported once FORGE_HOME is set: the Dagster definitions read the settings on import
    from orchestration_dagster.defs.watch.checks import raw_history_result
    from orchestration_dagster.defs.watch.history import record_run
    from orchestration_dagster.lib.names import raw_asset_key

    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "select run_id, status, duration_seconds, coalesce(ingest_seconds, 0),"
            " coalesce(dbt_seconds, 0), coalesce(checks_seconds, 0),"
            " coalesce(watch_seconds, 0), rows_loaded"
            " from watch.run_history order by started_at desc limit 1"
        ).fetchone()
        if row is None:
            raise SystemExit("the night's refresh recorded no run in watch.runs")
        run_id, status, run_seconds, ingest, dbt, checks, watch_seconds, loaded = row
        if status != "success":
            raise SystemExit(f"the night's run {run_id} is recorded as {status}, not a success")
        steps = conn.execute(
            "select step_key, extract(epoch from finished_at - started_at)::float"
            " from watch.run_steps where run_id = %s and stage_name = 'watch'"
            " order by started_at",
            (run_id,),
        ).fetchall()
        published = conn.execute("select count(*) from watch.published_metric_values").fetchone()
        restated = conn.execute(
            "select count(*) from watch.restatements where run_id = %s", (run_id,)
        ).fetchone()
    events = count(dsn, "select count(*) from raw.orchestration_events")
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
    with psycopg.connect(dsn) as conn:
        clock = time.monotonic()
        fetch_watch(conn)
        report = time.monotonic() - clock
    bookkeeping = watch_seconds + raw_checks + recording + report
    without = run_seconds - watch_seconds - raw_checks
    load_after = os.getloadavg()
    print(
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; machine load (1, 5 min) before "
        f"{load_before[0]:.2f} {load_before[1]:.2f}, after {load_after[0]:.2f} {load_after[1]:.2f}"
    )
    print(f"the night: run {run_id} {status}, {loaded:,} rows loaded; {events:,} events in raw")
    print(
        f"forge-warehouse refresh wall {wall:.1f} s; the Dagster run {run_seconds:.1f} s "
        f"(ingest {ingest:.1f}, dbt {dbt:.1f}, checks {checks:.1f}, watch {watch_seconds:.1f})"
    )
    print(
        f"bookkeeping: watch stage {watch_seconds:.1f} s, raw within-history checks "
        f"{raw_checks:.1f} s, record_run {recording:.1f} s, report's watch queries {report:.1f} s"
        f": {bookkeeping:.1f} s"
    )
    print(
        "  watch steps: "
        + ", ".join(f"{key} {seconds:.1f} s" for key, seconds in steps)
        + f"; {published[0] if published else 0:,} metric values published,"
        f" {restated[0] if restated else 0:,} restatements recorded"
    )
    print(
        f"nightly without it {without:.1f} s (the Dagster run less its watch stage and raw "
        f"checks); the bookkeeping adds {bookkeeping / without:.1%} (target < 5%); "
        f"{bookkeeping / (wall - bookkeeping):.1%} of the refresh's wall less it"
    )


if __name__ == "__main__":
    main()
