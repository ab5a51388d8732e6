"""`forge-warehouse build`'s dbt command line and the failures it shows, without a database."""

from __future__ import annotations

import datetime as dt

from cli.dbt_build import BuildRequest, build_command, build_environment, failure_lines
from core.dbt_results import DbtResults
from core.settings import Settings


def _after(command: list[str], flag: str) -> list[str]:
    """The values that follow `flag`, up to the next option."""
    start = command.index(flag) + 1
    end = next((i for i in range(start, len(command)) if command[i].startswith("--")), None)
    return command[start:end]


DSN = "host=/tmp/pg dbname=forge user=postgres"


def test_each_warehouse_builds_into_a_target_folder_of_its_own() -> None:
    """Two builds at once from one checkout (two warehouses, or two test workers) read back
    their own results, never a run_results.json the other is writing."""
    first = _after(build_command(Settings(), DSN, BuildRequest()), "--target-path")
    again = _after(build_command(Settings(), DSN, BuildRequest()), "--target-path")
    other = _after(
        build_command(Settings(), DSN.replace("forge", "other"), BuildRequest()), "--target-path"
    )
    assert first == again and first != other
    assert first[0].startswith("target/cli-build/forge-")


def test_the_build_runs_models_snapshots_and_data_tests_without_colour() -> None:
    command = build_command(Settings(), DSN, BuildRequest())

    assert command[1:3] == ["--no-use-colors", "build"]
    assert _after(command, "--exclude-resource-type") == ["unit_test"]
    assert "--select" not in command and "--full-refresh" not in command
    assert "--vars" not in command


def test_selectors_exclusions_full_refresh_and_as_of_reach_dbt_as_given() -> None:
    as_of = dt.datetime(2025, 12, 13, 6)  # no offset: UTC
    request = BuildRequest(("marts", "+pattern_analytics"), ("tag:slow",), True, as_of)

    command = build_command(Settings(), DSN, request)

    assert _after(command, "--select") == ["marts", "+pattern_analytics"]
    assert _after(command, "--exclude") == ["tag:slow"]
    assert "--full-refresh" in command
    assert "--vars" not in command  # a changed var would make dbt parse the whole project
    environment = build_environment(Settings(), DSN, request)
    assert environment["FORGE_AS_OF"] == "2025-12-13T06:00:00+00:00"
    assert environment["FORGE_PG_DBNAME"] == "forge"


def test_each_failed_node_is_one_line_with_its_rows_and_the_first_line_of_its_message() -> None:
    results = DbtResults(
        {},
        [
            {"unique_id": "model.forge.ok", "status": "success"},
            {
                "unique_id": "test.forge_warehouse.not_null_fct_x_id.abc",
                "status": "fail",
                "failures": 3,
                "message": "\n  Got 3 results, configured to fail if != 0\nmore",
            },
            {"unique_id": "model.forge_warehouse.fct_y", "status": "error", "message": None},
        ]
        + [{"unique_id": f"test.p.t{n}", "status": "error", "message": "x"} for n in range(12)],
    )

    lines = failure_lines(results)

    assert lines[0] == (
        "fail: not_null_fct_x_id.abc (3 rows): Got 3 results, configured to fail if != 0"
    )
    assert lines[1] == "error: fct_y: error"
    assert len(lines) == 11 and lines[-1] == "... and 4 more"
