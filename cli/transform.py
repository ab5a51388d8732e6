"""Run dbt and the nightly Dagster job as child processes, and read back what they did.

ingest/ never imports Dagster: the refresh runs `dagster job execute` in its own process, with
the warehouse DSN, the landing directory and DAGSTER_HOME in its environment.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from core.db import dbt_env
from core.dbt_results import DbtResults, latest_dbt_results
from core.exceptions import ForgeError
from core.settings import Settings
from orchestration_dagster.lib.partitions import nightly_day

# The instance configuration (telemetry off, run queue, pools) a new DAGSTER_HOME starts from.
DAGSTER_YAML = Path(__file__).resolve().parents[1] / "orchestration_dagster" / "dagster.yaml"


@dataclass(frozen=True)
class RefreshRun:
    """The nightly job's exit, its log file, and the dbt results it produced."""

    succeeded: bool
    log_path: Path
    dbt: DbtResults | None

    def failure_reasons(self, limit: int = 5) -> list[str]:
        """Why the run failed, from its log: failed checks' descriptions, then failed steps'
        errors (the line after each STEP_FAILURE), without repeats."""
        if self.succeeded:
            return []
        lines = self.log_path.read_text(errors="replace").splitlines()
        checks = [
            line.split(" - ASSET_CHECK_EVALUATION - ", 1)[1]
            for line in lines
            if " - ASSET_CHECK_EVALUATION - " in line and "did not pass" in line
        ]
        steps = [
            _error_after(lines, index)
            for index, line in enumerate(lines)
            if " - STEP_FAILURE - " in line
        ]
        # a step failed by its checks says only that they failed: the checks say why
        steps = [step for step in steps if "blocking asset check" not in step or not checks]
        reasons = list(dict.fromkeys(reason for reason in checks + steps if reason))
        return reasons[:limit]


def child_env(settings: Settings, dsn: str, as_of: dt.datetime | None = None) -> dict[str, str]:
    """What dbt and Dagster need: the warehouse, the landing directory, our venv's tools first."""
    env = dict(os.environ)
    if as_of is not None:
        env["FORGE_AS_OF"] = _iso(as_of)
    env.update(dbt_env(dsn))
    env["WAREHOUSE_DSN"] = dsn
    env["FORGE_LANDING_DIR"] = str(settings.landing)
    env["DAGSTER_HOME"] = str(prepare_dagster_home(settings.dagster_home))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def prepare_dagster_home(home: Path) -> Path:
    """A project-local Dagster instance; an existing dagster.yaml there is left as it is."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML.read_text())
    return home


def run_dbt_build(settings: Settings, dsn: str, *, as_of: dt.datetime | None) -> DbtResults:
    """`dbt build` over the whole project, as the nightly runs it: models, snapshots and data
    tests, not dbt's unit tests (they check the SQL on fixed rows and run in the test suite).
    Its output streams to the terminal."""
    command = [_tool("dbt"), "build", "--exclude-resource-type", "unit_test", *_dbt_dirs(settings)]
    as_of = as_of or settings.as_of
    if as_of is not None:
        command += ["--vars", json.dumps({"as_of": _iso(as_of)})]
    started = dt.datetime.now().timestamp()
    subprocess.run(command, env=child_env(settings, dsn), cwd=settings.dbt_project_dir, check=False)
    results = latest_dbt_results(settings.dbt_project_dir, since=started)
    if results is None:
        raise ForgeError("dbt build did not run (no run_results.json); see its output above")
    return results


def run_nightly_refresh(
    settings: Settings, dsn: str, *, as_of: dt.datetime | None = None
) -> RefreshRun:
    """Execute nightly_refresh_job in process of a child `dagster` CLI; output goes to a log.

    The run is for the day before `as_of` (else yesterday, UTC), as the schedule's runs are.
    """
    log_dir = settings.home / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"refresh-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}.log"
    command = [
        _tool("dagster"),
        "job",
        "execute",
        "-m",
        "orchestration_dagster.definitions",
        "-j",
        "nightly_refresh_job",
        "--tags",
        json.dumps({"dagster/partition": nightly_day(as_of or settings.as_of)}),
    ]
    started = dt.datetime.now().timestamp()
    with log_path.open("w") as log:
        completed = subprocess.run(
            command,
            env=child_env(settings, dsn, as_of),
            cwd=settings.project_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    dbt = latest_dbt_results(settings.dbt_project_dir, since=started)
    return RefreshRun(completed.returncode == 0, log_path, dbt)


def _error_after(lines: list[str], index: int) -> str:
    """The exception line that follows a STEP_FAILURE line, without its Python class path."""
    for line in lines[index + 1 : index + 4]:
        if line.strip():
            return line.split(": ", 1)[1] if ": " in line else line.strip()
    return ""


def _iso(moment: dt.datetime) -> str:
    """ISO 8601 with an offset; an offset-less time means UTC."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).isoformat()


def _dbt_dirs(settings: Settings) -> list[str]:
    directory = str(settings.dbt_project_dir)
    return ["--project-dir", directory, "--profiles-dir", directory]


def _tool(name: str) -> str:
    """A console script of our own virtual environment."""
    return str(Path(sys.executable).parent / name)
