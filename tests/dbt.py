"""The one way the tests run dbt: dbt's Python API in the test process (a dbt process cost
about 3.5 s more per call, measured on test_nightly_test_scope's six), against a test database,
in a target folder of the test's own (dbt_project/target/ holds the installed manifest Dagster
reads), with the parse state kept per database and vars as the nightly keeps it
(core/dbt_parse_state.py)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from dbt.cli.main import dbtRunner
from dbt_common.events.functions import capture_stdout_logs, stop_capture_stdout_logs

from core import dbt_parse_state
from core.db import dbt_env, environment
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
    project's target/, allowed only for a copy of the project); dbt's console lines are the
    result's stdout, its exit code (0 success, 1 a failed node, 2 dbt could not run) the
    returncode. With `check`, a non-zero exit fails the test showing dbt's output."""
    if target is None and project_dir == DBT_DIR:
        raise ValueError("give the test its own target folder: dbt_project/target is shared")
    command = [
        *args,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--no-use-colors",
    ]
    if target is not None:
        command += ["--target-path", str(target), "--log-path", str(target / "logs")]
    if variables is not None:
        command += ["--vars", json.dumps(dict(variables))]
    # the vars given here or in `args`: both are on the command line
    given = json.loads(command[command.index("--vars") + 1]) if "--vars" in command else {}
    kept = (
        nullcontext() if target is None else dbt_parse_state.kept(project_dir, target, dsn, given)
    )
    with kept, environment(dbt_env(dsn)), _without("DBT_TARGET_PATH", "DBT_LOG_PATH"):
        output = io.StringIO()
        capture_stdout_logs(output)
        try:
            outcome = dbtRunner().invoke(command)
        finally:
            stop_capture_stdout_logs()
    returncode = 0 if outcome.success else 2 if outcome.exception is not None else 1
    error = "" if outcome.exception is None else f"{outcome.exception!r}\n"
    result = subprocess.CompletedProcess(["dbt", *command], returncode, output.getvalue(), error)
    if check:
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result


@contextmanager
def _without(*names: str) -> Iterator[None]:
    """The environment without `names` for the block (a shell's `eval "$(forge-warehouse db
    env)"` may have set them; the flags given on the command line are what counts here)."""
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)
