"""The code location's fixtures: its dbt manifest, its definitions, an instance configured as in
dev. No database: definitions, schedule and sensor evaluation, the instance configuration."""

from __future__ import annotations

import json
from typing import Any

import dagster as dg
import pytest

from core.settings import PROJECT_DIR

DAGSTER_YAML = PROJECT_DIR / "orchestration_dagster" / "dagster.yaml"


@pytest.fixture(scope="session")
def manifest() -> dict[str, Any]:
    """The dbt manifest the definitions load (`make install` parses it)."""
    from orchestration_dagster.defs.dbt.resources import dbt_project

    parsed: dict[str, Any] = json.loads(dbt_project.manifest_path.read_text())
    return parsed


@pytest.fixture(scope="session")
def defs() -> dg.Definitions:
    from orchestration_dagster.definitions import defs

    return defs


@pytest.fixture(scope="session")
def instance(tmp_path_factory: pytest.TempPathFactory) -> dg.DagsterInstance:
    """A persistent instance (schedule and sensor contexts want one) configured as in dev."""
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text(DAGSTER_YAML.read_text())
    return dg.DagsterInstance.from_config(str(home))
