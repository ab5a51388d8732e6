"""What is worth retrying: transient database errors, found behind ingest's own errors and in
dbt's messages; nothing else."""

from __future__ import annotations

import psycopg
import pytest

from core.exceptions import WarehouseUnavailableError
from orchestration_dagster.lib.retries import is_transient_message, transient_cause


def _wrapped(error: psycopg.Error) -> WarehouseUnavailableError:
    """What ingest raises: its own sentence, `from None`, the database error behind it."""
    try:
        raise error
    except psycopg.Error:
        try:
            raise WarehouseUnavailableError("lost the warehouse connection") from None
        except WarehouseUnavailableError as wrapped:
            return wrapped


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (psycopg.errors.SerializationFailure("could not serialize access"), True),
        (psycopg.errors.DeadlockDetected("deadlock detected"), True),
        (psycopg.errors.AdminShutdown("terminating connection"), True),
        (psycopg.OperationalError("server closed the connection unexpectedly"), True),
        (psycopg.errors.InvalidPassword("password authentication failed"), False),
        (psycopg.errors.UndefinedTable('relation "raw.x" does not exist'), False),
        (psycopg.errors.CheckViolation("new row violates check constraint"), False),
    ],
)
def test_transient_database_errors_are_found_behind_ingests_own_errors(
    error: psycopg.Error, transient: bool
) -> None:
    assert (transient_cause(error) is not None) == transient
    assert (transient_cause(_wrapped(error)) is not None) == transient
    assert transient_cause(ValueError("bad")) is None


@pytest.mark.parametrize(
    ("message", "transient"),
    [
        ("Database Error in model x (models/x.sql)\n  deadlock detected", True),
        ("could not serialize access due to concurrent update", True),
        ("connection to server at 1.2.3.4 failed: server closed the connection unexpectedly", True),
        ("could not connect to server: Connection refused", True),
        ('connection to server failed: FATAL: password authentication failed for user "x"', False),
        ("Database Error in model y\n  division by zero", False),
        ("Compilation Error in model z", False),
    ],
)
def test_transient_dbt_messages(message: str, transient: bool) -> None:
    assert is_transient_message(message) == transient
