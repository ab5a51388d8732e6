"""The placeholder connection `dbt parse` gets at import: only where no connection is set."""

from __future__ import annotations

import pytest

from orchestration_dagster.lib.environment import parse_environment


def test_parse_values_never_replace_a_connection_already_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FORGE_PG_HOST", "db.example")
    monkeypatch.delenv("FORGE_PG_DBNAME", raising=False)

    values = parse_environment()

    assert "FORGE_PG_HOST" not in values
    assert values["FORGE_PG_DBNAME"] == "parse"
