"""The dbt project's manifest for the tests of its structure, parsed again when a dbt file changed.

`make install` keeps dbt_project/target/manifest.json current; a test run after editing a
model without it re-parses here (`dbt parse` needs the profile's variables, not a database).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core.settings import PROJECT_DIR

DBT_DIR = PROJECT_DIR / "dbt_project"
MANIFEST = DBT_DIR / "target" / "manifest.json"
PARSE_ENV = {
    "FORGE_PG_HOST": "localhost",
    "FORGE_PG_USER": "parse",
    "FORGE_PG_DBNAME": "parse",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
}


def _dbt_files() -> list[Path]:
    """The files a parse reads (the Makefile's DBT_SOURCES): SQL, YAML and docs, not output.

    target/ and logs/ are never walked: a refresh on another test worker prunes run folders
    under target/runs/ while this looks.
    """
    tops = [path for path in DBT_DIR.iterdir() if path.name not in {"target", "logs"}]
    return [
        path
        for top in tops
        for path in ([top] if top.is_file() else top.rglob("*"))
        if path.suffix in {".sql", ".yml", ".md"}
    ]


def _is_current(manifest: Path) -> bool:
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    return all(path.stat().st_mtime <= built for path in _dbt_files())


@pytest.fixture(scope="session")
def manifest() -> dict[str, Any]:
    """dbt's manifest of the project as it is on disk."""
    if not _is_current(MANIFEST):
        dbt = Path(sys.executable).with_name("dbt")
        subprocess.run(
            [str(dbt), "parse", "--profiles-dir", ".", "--quiet"],
            cwd=DBT_DIR,
            env={**os.environ, **PARSE_ENV},
            check=True,
        )
    parsed: dict[str, Any] = json.loads(MANIFEST.read_text())
    return parsed
