"""Run the nightly refresh job in this process, against the project's Dagster instance.

`dg.execute_job` on the code location's own job (reconstructable, so the run is the one the
schedule starts, with its tags, executor and resources), recorded in the instance in
DAGSTER_HOME like every other run; what happened is read back from the run's events and from
the dbt results the run wrote under target/runs/<run id>/.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from core.dbt_results import DbtResults, dbt_results_of_run
from core.exceptions import ForgeError
from core.settings import Settings
from core.warehouse import warehouse_dsn
from orchestration_dagster.definitions import nightly_refresh
from orchestration_dagster.defs.watch.history import record_run
from orchestration_dagster.lib.run_history import TRIGGER_TAG
from orchestration_dagster.lib.run_report import RunReport, read_run

# The instance configuration (telemetry off, run queue, pools) a new DAGSTER_HOME starts from.
DAGSTER_YAML = Path(__file__).resolve().parents[1] / "orchestration_dagster" / "dagster.yaml"


@dataclass(frozen=True)
class RefreshRun:
    """The nightly job's run: what its events say, its log, and the dbt results it produced."""

    report: RunReport
    log_path: Path
    dbt: DbtResults | None

    @property
    def run_id(self) -> str:
        return self.report.run_id

    @property
    def succeeded(self) -> bool:
        return self.report.succeeded

    def failure_reasons(self, limit: int = 5) -> list[str]:
        """Why the run failed: its failed checks, then its failed steps, each once."""
        return [] if self.succeeded else self.report.reasons[:limit]


def prepare_dagster_home(home: Path) -> Path:
    """A project-local Dagster instance; an existing dagster.yaml there is left as it is."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML.read_text())
    return home


def run_config(
    as_of: dt.datetime | None, reject_rate_threshold: float | None = None
) -> dict[str, Any]:
    """The run's configuration: the marts' reference time and the reject-rate gate, when given."""
    resources: dict[str, Any] = {}
    if as_of is not None:
        moment = as_of if as_of.tzinfo else as_of.replace(tzinfo=dt.UTC)
        resources["dbt_vars"] = {"config": {"as_of": moment.isoformat()}}
    if reject_rate_threshold is not None:
        resources["warehouse"] = {"config": {"reject_rate_threshold": reject_rate_threshold}}
    return {"resources": resources} if resources else {}


def new_log_path(settings: Settings) -> Path:
    """Where a refresh's output goes: .warehouse/logs/refresh-<UTC time>.log."""
    return settings.home / "logs" / f"refresh-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}.log"


@contextmanager
def output_to(path: Path) -> Iterator[None]:
    """Everything printed or logged in the block (Dagster's event lines, dbt's output, our
    loggers) goes to `path`, for people to read; nothing is read back from it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    saved = root.handlers[:]
    with path.open("w", encoding="utf-8") as log, redirect_stdout(log), redirect_stderr(log):
        handler = logging.StreamHandler(log)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.handlers = [handler]
        try:
            yield
        finally:
            root.handlers = saved


def run_nightly_refresh(
    settings: Settings,
    log_path: Path,
    *,
    as_of: dt.datetime | None = None,
    reject_rate_threshold: float | None = None,
    trigger: str = "forge-warehouse refresh",
) -> RefreshRun:
    """Execute nightly_refresh_job in this process, as the schedule would start it (its output
    to `log_path`), read back what it did from the run's events and dbt results, and record it
    in the warehouse's run history (no daemon runs the run-history sensors here)."""
    home = prepare_dagster_home(settings.dagster_home)
    try:
        with output_to(log_path), dg.DagsterInstance.from_config(str(home)) as instance:
            result = dg.execute_job(
                dg.reconstructable(nightly_refresh),
                instance=instance,
                run_config=run_config(as_of or settings.as_of, reject_rate_threshold),
                tags={TRIGGER_TAG: trigger},
            )
            report = read_run(instance, result.run_id)
            record_run(
                instance,
                result.run_id,
                warehouse_dsn(settings),
                settings.dbt_project_dir / "target",
                settings.dbt_artifact_runs,
            )
    except dg.DagsterError as error:  # the run could not start: the instance, its config
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        why = " ".join(lines[:2]) or type(error).__name__
        raise ForgeError(f"the nightly refresh did not start ({home}): {why}") from None
    dbt = dbt_results_of_run(settings.dbt_project_dir, result.run_id)
    return RefreshRun(report, log_path, dbt)
