"""`dbt build` as the nightly runs it, in a child process whose full output goes to a log file.

Its artifacts go to a folder of the warehouse's own (target/cli-build/<database>-<hash>/),
emptied of old results first, so the results read back are this build's (two warehouses built
from one checkout at once never read each other's); the terminal gets a summary of them.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core import dbt_parse_state
from core.db import dbt_env, warehouse_key
from core.dbt_results import RUN_RESULTS, DbtResults, read_run_results
from core.exceptions import ForgeError
from core.settings import Settings

TARGET = Path("target") / "cli-build"
_FAILED = ("error", "fail", "runtime error")
_SHOWN_FAILURES = 10


@dataclass(frozen=True)
class BuildRequest:
    """What to build: dbt selectors, and whether incremental models start again from nothing."""

    select: Sequence[str] = ()
    exclude: Sequence[str] = ()
    full_refresh: bool = False
    as_of: dt.datetime | None = None


def new_build_log(settings: Settings) -> Path:
    """Where a build's output goes: .warehouse/logs/build-<UTC time>.log."""
    return settings.home / "logs" / f"build-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}.log"


def target_path(dsn: str) -> Path:
    """The build's target folder, relative to the dbt project: the warehouse's own."""
    return TARGET / warehouse_key(dsn)


def build_command(settings: Settings, dsn: str, request: BuildRequest) -> list[str]:
    """The dbt command line: models, snapshots and data tests, not dbt's unit tests (they check
    the SQL on fixed rows and run in the test suite); plain text, no colour codes."""
    project = settings.dbt_project_dir
    command = [
        str(Path(sys.executable).with_name("dbt")),
        "--no-use-colors",
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(target_path(dsn)),
    ]
    if request.select:
        command += ["--select", *request.select]
    if request.exclude:
        command += ["--exclude", *request.exclude]
    if request.full_refresh:
        command.append("--full-refresh")
    return command


def build_environment(settings: Settings, dsn: str, request: BuildRequest) -> dict[str, str]:
    """What dbt reads from its environment: the warehouse (profiles.yml), and the as_of given
    as FORGE_AS_OF, not as a var: a var that changed from the last build would make dbt parse
    the whole project again (about 15 s), FORGE_AS_OF only the models that read it."""
    env = {**os.environ, **dbt_env(dsn)}
    as_of = request.as_of or settings.as_of
    if as_of is not None:
        moment = as_of if as_of.tzinfo else as_of.replace(tzinfo=dt.UTC)
        env["FORGE_AS_OF"] = moment.isoformat()
    return env


def run_dbt_build(
    settings: Settings, dsn: str, request: BuildRequest, log_path: Path
) -> DbtResults:
    """Run the build with its output in `log_path`; its results, or one sentence why none."""
    project = settings.dbt_project_dir
    results = project / target_path(dsn) / RUN_RESULTS
    results.unlink(missing_ok=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        dbt_parse_state.kept(project, project / target_path(dsn), dsn, {}),
        log_path.open("w", encoding="utf-8") as log,
    ):
        subprocess.run(
            build_command(settings, dsn, request),
            env=build_environment(settings, dsn, request),
            cwd=project,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if not results.exists():
        raise ForgeError(f"dbt build did not run: {_reason(log_path)}; full log: {log_path}")
    return read_run_results(results)


def failure_lines(results: DbtResults) -> list[str]:
    """One line per node that errored or failed: its name and the first line of dbt's message."""
    lines = []
    for result in results.results:
        if result.get("status") not in _FAILED:
            continue
        name = str(result.get("unique_id", "?")).split(".", 2)[-1]
        message = [line.strip() for line in str(result.get("message") or "").splitlines()]
        reason = next((line for line in message if line), str(result.get("status")))
        failures = result.get("failures")
        counted = f" ({failures} rows)" if failures else ""
        lines.append(f"{result.get('status')}: {name}{counted}: {reason[:300]}")
    if len(lines) > _SHOWN_FAILURES:
        lines = [*lines[:_SHOWN_FAILURES], f"... and {len(lines) - _SHOWN_FAILURES} more"]
    return lines


def _reason(log_path: Path) -> str:
    """The line of dbt's output that says why it stopped before running anything."""
    try:
        lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "it wrote no output"
    stripped = [line.strip() for line in lines if line.strip()]
    errors = [line for line in stripped if "error" in line.lower()]
    return (errors or stripped or ["it wrote no output"])[-1][:300]
