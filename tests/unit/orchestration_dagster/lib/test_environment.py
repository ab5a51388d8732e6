"""dbt's environment: set around a call, restored after; parse values only where none is set."""

from __future__ import annotations

import os

import pytest

from core.db import environment
from orchestration_dagster.lib.environment import parse_environment


def test_environment_sets_variables_only_inside_the_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FORGE_PG_HOST", "kept")
    monkeypatch.delenv("FORGE_PG_DBNAME", raising=False)

    with environment({"FORGE_PG_HOST": "inside", "FORGE_PG_DBNAME": "inside"}):
        assert (os.environ["FORGE_PG_HOST"], os.environ["FORGE_PG_DBNAME"]) == ("inside", "inside")

    assert os.environ["FORGE_PG_HOST"] == "kept"
    assert "FORGE_PG_DBNAME" not in os.environ


def test_parse_values_never_replace_a_connection_already_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FORGE_PG_HOST", "db.example")
    monkeypatch.delenv("FORGE_PG_DBNAME", raising=False)

    values = parse_environment()

    assert "FORGE_PG_HOST" not in values
    assert values["FORGE_PG_DBNAME"] == "parse"
