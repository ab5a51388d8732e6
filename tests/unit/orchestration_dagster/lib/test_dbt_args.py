"""The dbt command line of a build step: vars, the tests it must run, what it leaves out."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration_dagster.lib.dbt_args import build_args, invocation_target_path, reprocess_vars

NO_UNIT_TESTS = ["--exclude-resource-type", "unit_test"]


@pytest.mark.parametrize(
    ("variables", "exclude", "tests", "args"),
    [
        ({}, [], [], ["build", *NO_UNIT_TESTS]),
        (
            {"as_of": "2026-01-01T00:00:00Z"},
            [],
            [],
            ["build", *NO_UNIT_TESTS, "--vars", '{"as_of": "2026-01-01T00:00:00Z"}'],
        ),
        (
            {"reprocess_to": "2026-01-03", "reprocess_from": "2026-01-01"},
            ["fqn:p.staging.a", "fqn:p.marts.b"],
            ["fqn:p.marts.t1"],
            [
                "build",
                *NO_UNIT_TESTS,
                "--vars",
                '{"reprocess_from": "2026-01-01", "reprocess_to": "2026-01-03"}',
                "--select",
                "fqn:p.marts.t1",
                "--exclude",
                "fqn:p.staging.a fqn:p.marts.b",
            ],
        ),
    ],
)
def test_build_args_carry_vars_tests_and_exclusions_only_when_there_are_some(
    variables: dict[str, str], exclude: list[str], tests: list[str], args: list[str]
) -> None:
    assert build_args(variables, exclude, tests) == args


def test_a_run_without_days_builds_incrementally_and_a_run_with_days_rebuilds_them() -> None:
    assert reprocess_vars(None, None) == {}
    assert reprocess_vars("2026-03-01", "2026-03-03") == {
        "reprocess_from": "2026-03-01",
        "reprocess_to": "2026-03-03",
    }


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-03-01", None, "give both"),
        (None, "2026-03-01", "give both"),
        ("yesterday", "2026-03-01", "ISO dates such as 2026-01-01"),
        ("2026-03-02", "2026-03-01", "must be after"),
        ("2026-03-01", "2026-03-01", "must be after"),  # the end is exclusive: an empty range
    ],
)
def test_days_that_make_no_range_are_one_clear_sentence(
    start: str | None, end: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        reprocess_vars(start, end)


def test_each_invocation_of_a_run_writes_under_the_runs_own_folder() -> None:
    assert invocation_target_path(Path("target"), "abc", "forge_dbt_assets", 1) == Path(
        "target/runs/abc/forge_dbt_assets-1"
    )
