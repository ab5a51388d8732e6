"""`forge-warehouse refresh` without a database: the run's configuration, where its output goes,
what it says when the run fails, and dbt's results counted for what they are."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest

from cli.nightly import RefreshRun, output_to, prepare_dagster_home, run_config
from core.dbt_results import dbt_results_of_run, latest_dbt_results, read_run_results
from core.settings import PROJECT_DIR
from orchestration_dagster.lib.run_report import RunReport

DAGSTER_YAML = PROJECT_DIR / "orchestration_dagster" / "dagster.yaml"


def test_the_run_gets_as_of_and_the_reject_gate_only_when_given() -> None:
    assert run_config(None) == {}
    naive = dt.datetime(2025, 4, 1)  # an offset-less time means UTC
    assert run_config(naive, 0.1) == {
        "resources": {
            "dbt_vars": {"config": {"as_of": "2025-04-01T00:00:00+00:00"}},
            "warehouse": {"config": {"reject_rate_threshold": 0.1}},
        }
    }


def test_a_new_dagster_home_starts_from_the_projects_instance_and_a_kept_one_is_kept(
    tmp_path: Path,
) -> None:
    home = prepare_dagster_home(tmp_path / "dagster")
    assert (home / "dagster.yaml").read_text() == DAGSTER_YAML.read_text()

    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    prepare_dagster_home(home)
    assert (home / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"


def test_what_the_run_prints_or_logs_goes_to_its_log_not_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "logs" / "refresh.log"
    handlers = logging.getLogger().handlers[:]

    with output_to(log):
        print("dbt says hello")
        logging.getLogger("ingest.batch").warning("a file holds duplicates")

    assert capsys.readouterr().out == ""
    text = log.read_text()
    assert "dbt says hello" in text and "a file holds duplicates" in text
    assert logging.getLogger().handlers == handlers, "logging is as it was after the run"


def _run(succeeded: bool, reasons: list[str]) -> RefreshRun:
    report = RunReport("r1", succeeded, [], {}, reasons)
    return RefreshRun(report, Path("refresh.log"), None)


def test_a_failed_run_gives_its_reasons_and_a_run_that_succeeded_none() -> None:
    reasons = [
        "raw/dataforge/user_feedback: 1 batch(es) of user_feedback rejected more than 5.0%",
        "staging/stg_x: dbt test not_null_x failed on staging/stg_x (3 rows)",
    ]

    assert _run(False, reasons).failure_reasons() == reasons
    assert _run(False, reasons).failure_reasons(limit=1) == reasons[:1]
    assert _run(True, reasons).failure_reasons() == []


def _write_results(path: Path, generated_at: str, *results: tuple[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "metadata": {"generated_at": generated_at},
        "elapsed_time": 1.5,
        "results": [{"unique_id": uid, "status": status} for uid, status in results],
    }
    path.write_text(json.dumps(document))


def test_models_snapshots_tests_and_exposures_are_each_counted_for_what_they_are(
    tmp_path: Path,
) -> None:
    path = tmp_path / "run_results.json"
    _write_results(
        path,
        "2026-03-02T02:10:00Z",
        ("model.p.a", "success"),
        ("model.p.b", "skipped"),
        ("snapshot.p.s", "success"),
        ("test.p.t1", "pass"),
        ("test.p.t2", "warn"),
        ("exposure.p.dashboard", "no-op"),
        ("exposure.p.report", "no-op"),
    )

    results = read_run_results(path)

    assert results.summary_line() == (
        "dbt: 2 models (1 skipped, 1 success); 1 snapshots (1 success); "
        "2 tests (1 pass, 1 warn); 2 exposures"
    )
    assert results.succeeded
    assert sum(results.models.values()) == 2, "exposures are not models"


def test_a_runs_results_merge_its_attempts_in_order_and_the_latest_is_the_newest_generated(
    tmp_path: Path,
) -> None:
    runs = tmp_path / "target" / "runs"
    # attempt 0 failed on a deadlock in b; attempt 1 (the retry) built only b
    _write_results(
        runs / "r1" / "forge_dbt_assets-0" / "run_results.json",
        "2026-03-02T02:10:00Z",
        ("model.p.a", "success"),
        ("model.p.b", "error"),
    )
    _write_results(
        runs / "r1" / "forge_dbt_assets-1" / "run_results.json",
        "2026-03-02T02:11:00Z",
        ("model.p.b", "success"),
    )
    _write_results(
        runs / "r0" / "forge_dbt_assets-0" / "run_results.json",
        "2026-03-01T02:10:00Z",
        ("model.p.a", "error"),
    )

    merged = dbt_results_of_run(tmp_path, "r1")
    latest = latest_dbt_results(tmp_path)

    assert merged is not None and merged.succeeded
    assert merged.models == {"success": 2}
    assert dbt_results_of_run(tmp_path, "no-such-run") is None
    assert latest is not None and latest.generated_at == "2026-03-02T02:11:00Z"


def test_the_cli_starts_without_importing_dagster() -> None:
    """Every command but refresh and demo starts in a second, not in the ten Dagster takes."""
    import subprocess
    import sys

    completed = subprocess.run(
        [sys.executable, "-c", "import sys, cli.app; print('dagster' in sys.modules)"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    assert completed.stdout.strip() == "False"


def test_a_dagster_home_dagster_cannot_read_is_one_sentence_naming_it(tmp_path: Path) -> None:
    from cli.nightly import run_nightly_refresh
    from core.exceptions import ForgeError
    from core.settings import get_settings

    (tmp_path / "dagster.yaml").write_text("run_queue:\n  bogus: 1\n")
    settings = get_settings().model_copy(update={"dagster_home": tmp_path, "home": tmp_path})

    with pytest.raises(ForgeError, match="did not start") as raised:
        run_nightly_refresh(settings, tmp_path / "refresh.log")

    assert str(tmp_path) in str(raised.value) and "bogus" in str(raised.value)


def test_a_later_demo_reuses_the_end_of_the_demo_data_already_in_the_landing_directory(
    tmp_path: Path,
) -> None:
    from cli.refresh import demo_end
    from synthetic import generate

    landing = tmp_path / "landing"
    assert demo_end(landing) is None, "no earlier demo: the data ends now"

    end = dt.datetime(2026, 3, 1, 5, tzinfo=dt.UTC)
    generate(landing, sessions=3, seed=1, now=end)
    assert demo_end(landing) == end

    (landing / "_manifest.json").write_text("{not json", encoding="utf-8")
    assert demo_end(landing) is None, "an unreadable manifest is no earlier demo"
