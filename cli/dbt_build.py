"""`dbt build` as the nightly runs it, in a child process whose output streams to the terminal.

Its artifacts go to a folder of its own (target/cli-build/), emptied of old results first, so
the results read back are this build's.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from core.db import dbt_env
from core.dbt_results import RUN_RESULTS, DbtResults, read_run_results
from core.exceptions import ForgeError
from core.settings import Settings

TARGET = Path("target") / "cli-build"


def run_dbt_build(settings: Settings, dsn: str, *, as_of: dt.datetime | None) -> DbtResults:
    """`dbt build` over the whole project: models, snapshots and data tests, not dbt's unit tests
    (they check the SQL on fixed rows and run in the test suite)."""
    project = settings.dbt_project_dir
    results = project / TARGET / RUN_RESULTS
    results.unlink(missing_ok=True)
    command = [
        str(Path(sys.executable).with_name("dbt")),
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(TARGET),
    ]
    as_of = as_of or settings.as_of
    if as_of is not None:
        moment = as_of if as_of.tzinfo else as_of.replace(tzinfo=dt.UTC)
        command += ["--vars", json.dumps({"as_of": moment.isoformat()})]
    env = {**os.environ, **dbt_env(dsn)}
    subprocess.run(command, env=env, cwd=project, check=False)
    if not results.exists():
        raise ForgeError("dbt build did not run (no run_results.json); see its output above")
    return read_run_results(results)
