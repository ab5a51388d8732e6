"""The one way the tests run dbt: the installed `dbt` against a test database, in a target
folder of the test's own (dbt_project/target/ holds the installed manifest Dagster reads), with
the parse state kept per database and vars as the nightly keeps it (core/dbt_parse_state.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from core import dbt_parse_state
from core.db import dbt_env
from core.settings import PROJECT_DIR

DBT_DIR = PROJECT_DIR / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")


def run_dbt(
    args: Sequence[str],
    *,
    dsn: str,
    target: Path | None,
    variables: Mapping[str, Any] | None = None,
    project_dir: Path = DBT_DIR,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """`dbt ARGS` on `dsn`, with the project's own profiles.yml, writing to `target` (None: the
    project's target/, allowed only for a copy of the project); with `check`, a non-zero exit
    fails the test showing dbt's output."""
    if target is None and project_dir == DBT_DIR:
        raise ValueError("give the test its own target folder: dbt_project/target is shared")
    env = {**os.environ, **dbt_env(dsn)}
    env.pop("DBT_TARGET_PATH", None)
    env.pop("DBT_LOG_PATH", None)
    if target is not None:
        env |= {"DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(target / "logs")}
    command = [
        str(DBT),
        *args,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
    ]
    if variables is not None:
        command += ["--vars", json.dumps(dict(variables))]
    # the vars given here or in `args`: both are on the command line
    given = json.loads(command[command.index("--vars") + 1]) if "--vars" in command else {}
    kept = (
        nullcontext() if target is None else dbt_parse_state.kept(project_dir, target, dsn, given)
    )
    with kept:
        result = subprocess.run(
            command, cwd=project_dir, env=env, capture_output=True, text=True, check=False
        )
    if check:
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result
