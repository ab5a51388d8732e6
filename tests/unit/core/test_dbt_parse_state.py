"""dbt's parse state, kept per warehouse and vars and offered back to the same ones."""

from __future__ import annotations

import os
from pathlib import Path

from core.dbt_parse_state import PARTIAL_PARSE, keep, kept, offer, state_file

DSN = "host=/tmp/pg dbname=forge user=postgres"
NIGHT = {"test_scope": "changed"}


def test_each_warehouse_and_each_set_of_vars_has_a_state_of_its_own(tmp_path: Path) -> None:
    night = state_file(tmp_path, DSN, NIGHT)
    assert state_file(tmp_path, DSN, dict(reversed(NIGHT.items()))) == night
    assert state_file(tmp_path, DSN, {"test_scope": "all"}) != night
    assert state_file(tmp_path, DSN, {}) != night
    assert state_file(tmp_path, DSN.replace("forge", "other"), NIGHT) != night


def test_a_kept_state_is_offered_to_the_next_invocation_with_the_same_vars(
    tmp_path: Path,
) -> None:
    first, second, backfill = tmp_path / "run-1", tmp_path / "run-2", tmp_path / "run-3"
    night, days = state_file(tmp_path, DSN, NIGHT), state_file(tmp_path, DSN, {"day": "1"})
    offer(night, first)
    assert not (first / PARTIAL_PARSE).exists(), "nothing kept yet: dbt parses the project"
    first.mkdir()
    (first / PARTIAL_PARSE).write_bytes(b"night")
    keep(first, night)
    backfill.mkdir()
    (backfill / PARTIAL_PARSE).write_bytes(b"backfill")
    keep(backfill, days)  # a backfill in between does not replace the night's state

    offer(night, second)
    assert (second / PARTIAL_PARSE).read_bytes() == b"night"


def test_an_invocation_that_left_no_state_keeps_nothing(tmp_path: Path) -> None:
    night = state_file(tmp_path, DSN, NIGHT)
    keep(tmp_path / "failed-before-parsing", night)
    assert not night.exists()


def test_only_the_sixteen_most_recently_kept_states_stay(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / PARTIAL_PARSE).write_bytes(b"state")
    states = [state_file(tmp_path, DSN, {"day": str(day)}) for day in range(20)]
    for age, state in enumerate(states):
        keep(run, state)
        os.utime(state, (1_000_000 + age, 1_000_000 + age))
    keep(run, states[-1])
    assert [state.exists() for state in states] == [False] * 4 + [True] * 16


def test_kept_offers_the_state_before_an_invocation_and_keeps_what_it_left(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "run-1", tmp_path / "run-2"
    with kept(tmp_path, first, DSN, NIGHT):
        assert not (first / PARTIAL_PARSE).exists()
        first.mkdir()
        (first / PARTIAL_PARSE).write_bytes(b"parsed")  # what dbt leaves
    with kept(tmp_path, second, DSN, NIGHT):
        assert (second / PARTIAL_PARSE).read_bytes() == b"parsed"  # what dbt finds
    assert state_file(tmp_path / "target", DSN, NIGHT).read_bytes() == b"parsed"
