"""The dbt project, the dbt CLI resource that runs it, and the reference time a run shares."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject
from packaging import version
from pydantic import Field

from core.db import environment
from core.settings import get_settings
from orchestration_dagster.lib.environment import parse_environment


def _dbt_executable() -> str:
    """The dbt installed beside this Python (the project's venv), else `dbt` on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


class ForgeDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt CLI resource, without two costs it pays on every run (measured here)."""

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        # custom: the adapter only serves row counts and column metadata, which these assets
        # never fetch, and starting it parses every macro again in this process (3-8 s a call)
        return None

    @cached_property
    def _cli_version(self) -> version.Version:
        # custom: the dbt beside this Python is the dbt-core installed here; `dbt --version`
        # would start a process for the same answer (3-9 s on these machines)
        return version.parse(metadata.version("dbt-core"))


_project_dir = get_settings().dbt_project_dir
dbt_project = DbtProject(project_dir=_project_dir, profiles_dir=_project_dir)
# `dagster dev` re-parses the project on each load; deployments parse at install (the Makefile).
# The environment: profiles.yml reads its connection from variables `dbt parse` never uses.
with environment(parse_environment()):
    dbt_project.prepare_if_dev()
dbt_resource = ForgeDbtCliResource(
    project_dir=str(dbt_project.project_dir),
    profiles_dir=str(dbt_project.profiles_dir),
    dbt_executable=_dbt_executable(),
)


class DbtVarsResource(dg.ConfigurableResource["DbtVarsResource"]):
    """The marts' reference time every dbt step of a run shares (run-level, so all steps agree)."""

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

    def environment(self) -> dict[str, str]:
        """FORGE_AS_OF for dbt's as_of() (dbt_project/macros/dates/as_of.sql), when one is set.

        An environment variable rather than a dbt var: dbt parses the whole project again
        (about 15 s here) whenever a var differs from the last invocation's, but only the few
        models that read an environment variable when it changes, as the demo's as_of does
        from one run to the next.
        """
        as_of = self.resolved_as_of()
        return {"FORGE_AS_OF": as_of} if as_of else {}
