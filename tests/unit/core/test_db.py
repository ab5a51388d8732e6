"""core.db: connection strings read and described without the password, dbt's environment from
them, and variables set around a call and restored after."""

from __future__ import annotations

import os

import pytest

from core.db import dbt_env, describe, environment, first_line, parse_dsn
from core.exceptions import ForgeError


def test_environment_sets_variables_only_inside_the_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FORGE_PG_HOST", "kept")
    monkeypatch.delenv("FORGE_PG_DBNAME", raising=False)

    with environment({"FORGE_PG_HOST": "inside", "FORGE_PG_DBNAME": "inside"}):
        assert (os.environ["FORGE_PG_HOST"], os.environ["FORGE_PG_DBNAME"]) == ("inside", "inside")

    assert os.environ["FORGE_PG_HOST"] == "kept"
    assert "FORGE_PG_DBNAME" not in os.environ


def test_environment_restores_variables_when_the_block_raises(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FORGE_PG_USER", "kept")

    with pytest.raises(RuntimeError), environment({"FORGE_PG_USER": "inside"}):
        raise RuntimeError("dbt failed")

    assert os.environ["FORGE_PG_USER"] == "kept"


def test_dbt_env_reads_every_part_of_a_uri_and_a_unix_socket_directory() -> None:
    uri = dbt_env("postgresql://loader:s%40cret@db.example:6543/forge")
    socket = dbt_env("host=/tmp/pg dbname=forge user=postgres")

    assert {key: uri[key] for key in uri if key.startswith("FORGE_PG_")} == {
        "FORGE_PG_HOST": "db.example",
        "FORGE_PG_PORT": "6543",
        "FORGE_PG_USER": "loader",
        "FORGE_PG_PASSWORD": "s@cret",
        "FORGE_PG_DBNAME": "forge",
    }
    assert (socket["FORGE_PG_HOST"], socket["FORGE_PG_PORT"]) == ("/tmp/pg", "5432")
    assert socket["FORGE_PG_PASSWORD"] == ""


def test_describe_never_shows_the_password() -> None:
    params = parse_dsn("postgresql://bi:hunter2@db.example/forge")

    assert describe(params) == "bi@db.example:5432/forge"
    assert "hunter2" not in describe(params)


@pytest.mark.parametrize("dsn", ["postgresql://[::1", "host=db port", "dbname='unclosed"])
def test_a_malformed_dsn_is_one_sentence_with_an_example(dsn: str) -> None:
    with pytest.raises(ForgeError, match="not a valid libpq connection string") as raised:
        parse_dsn(dsn)

    assert "\n" not in str(raised.value)
    assert "postgresql://user:password@host:5432/dbname" in str(raised.value)


def test_first_line_of_an_error_or_its_type_when_it_says_nothing() -> None:
    assert first_line(ValueError("first\nsecond")) == "first"
    assert first_line(ValueError("")) == "ValueError"
