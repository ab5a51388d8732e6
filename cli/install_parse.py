"""At install (`make install`): the dbt parse state the nightly's dbt steps will ask for on the
warehouse they will use, so that the first refresh does not parse the whole project.

dbt parses everything again (about 10 s here) when the database, the user or the vars differ
from those of the state it is offered (core/dbt_parse_state.py); the state `make install`
leaves beside the manifest is made with a placeholder profile. `dbt parse` never connects, so
the embedded warehouse need not exist yet. A state kept already is left as it is: dbt re-parses
only the files changed since. Run as `python -m cli.install_parse`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from core import dbt_parse_state
from core.db import dbt_env
from core.exceptions import ForgeError
from core.settings import get_settings
from core.warehouse import expected_dsn
from orchestration_dagster.lib.dbt_args import vars_args
from orchestration_dagster.lib.test_scope import scope_vars


def main() -> int:
    try:
        settings = get_settings()
        dsn = expected_dsn(settings)
        env = {**os.environ, **dbt_env(dsn)}
    except ForgeError as error:  # the install goes on; the first command says it again
        sys.stderr.write(f"dbt parse state for the first refresh not prepared: {error}\n")
        return 0
    project = settings.dbt_project_dir
    variables = scope_vars(every_row=False)  # the vars of a usual night's two dbt steps
    state = dbt_parse_state.state_file(project / "target", dsn, variables)
    if state.exists():  # dbt re-parses only the files changed since, as from any other night
        return 0
    target = project / "target" / "install-parse"
    shutil.rmtree(target, ignore_errors=True)
    command = [
        str(Path(sys.executable).with_name("dbt")),
        "parse",
        "--quiet",
        "--profiles-dir",
        str(project),
        "--target-path",
        str(target),
        *vars_args(variables),
    ]
    with dbt_parse_state.kept(project, target, dsn, variables):
        parsed = subprocess.run(command, cwd=project, env=env, check=False)  # dbt says why if not
    shutil.rmtree(target, ignore_errors=True)
    return parsed.returncode


if __name__ == "__main__":
    sys.exit(main())
