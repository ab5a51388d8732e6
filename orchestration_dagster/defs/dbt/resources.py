"""The dbt project, the dbt CLI resource that runs it, and how dbt gets its environment."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.dbt_project import using_dagster_dev
from pydantic import Field

from core.db import dbt_env
from core.settings import get_settings
from orchestration_dagster.defs.nightly import parse_time_of_day

# `dbt parse` renders the profile but never connects, so any connection values will do.
_PARSE_DSN = "postgresql://dbt@localhost:5432/parse"
_SOURCE_SUFFIXES = {".sql", ".yml", ".yaml", ".md", ".csv", ".py"}


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of the block, then restore them.

    DbtCliResource gives dbt a copy of os.environ and reads the profile in this process too,
    so the variables profiles.yml reads must be in os.environ while it starts dbt.
    """
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _dbt_executable() -> str:
    """The dbt installed beside this Python (the project's venv), else `dbt` on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


_project_dir = get_settings().dbt_project_dir
dbt_project = DbtProject(project_dir=_project_dir, profiles_dir=_project_dir)
dbt_resource = DbtCliResource(project_dir=dbt_project, dbt_executable=_dbt_executable())


class DbtVarsResource(dg.ConfigurableResource["DbtVarsResource"]):
    """dbt variables every dbt step of a run shares (run-level, so all steps agree)."""

    as_of: str | None = Field(
        default=None,
        description=(
            "Reference time of the marts' relative windows (ISO 8601); default: FORGE_AS_OF, "
            "else each build's start."
        ),
    )

    def resolved_as_of(self) -> str | None:
        configured = get_settings().as_of
        return self.as_of or (configured.isoformat() if configured else None)


class FreshnessResource(dg.ConfigurableResource["FreshnessResource"]):
    """By when the nightly refresh must have rebuilt the marts."""

    marts_deadline: str | None = Field(
        default=None,
        description=(
            "Time of day (HH:MM, in FORGE_SCHEDULE_TIMEZONE) by which the marts must have been "
            "rebuilt; default: FORGE_MARTS_DEADLINE, else 06:00."
        ),
    )
    timezone: str | None = Field(
        default=None, description="Time zone of the deadline; default: FORGE_SCHEDULE_TIMEZONE."
    )

    def deadline(self) -> dt.time:
        if self.marts_deadline:
            return parse_time_of_day(self.marts_deadline)
        return get_settings().marts_deadline

    def zone(self) -> str:
        return self.timezone or get_settings().schedule_timezone


def prepare_manifest() -> None:
    """Build target/manifest.json with `dbt parse`; it needs no database."""
    with environment(dbt_env(_PARSE_DSN)):
        dbt_resource.cli(["parse", "--quiet"], target_path=dbt_project.target_path).wait()


def manifest_is_current() -> bool:
    """True when target/manifest.json is newer than every source file of the dbt project."""
    if not dbt_project.manifest_path.exists():
        return False
    built = dbt_project.manifest_path.stat().st_mtime
    skipped = {dbt_project.target_path.parts[0], "logs", "dbt_packages"}
    sources = (
        path
        for path in dbt_project.project_dir.rglob("*")
        if path.suffix in _SOURCE_SUFFIXES
        and skipped.isdisjoint(path.relative_to(dbt_project.project_dir).parts)
    )
    return all(path.stat().st_mtime <= built for path in sources)


# Deployments parse at install time (the Makefile); `dagster dev` re-parses on a load that
# follows a change to the dbt project.
if using_dagster_dev() and not manifest_is_current():
    prepare_manifest()
