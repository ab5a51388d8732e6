"""What is worth retrying: transient database errors, with backoff; nothing else.

A lost connection, a serialization failure or a deadlock usually goes away on its own, so the
step that met it is retried after a pause that grows each time. A bad file, a failed data test
or a wrong password does not: those fail at once, with the reason, and are never retried.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import dagster as dg
import psycopg

# Pauses of 5 s, 15 s, 35 s (Dagster's exponential backoff): nearly a minute in all, enough
# for a restart or a failover of the database. No jitter: one nightly run, no herd to spread.
TRANSIENT_RETRY_POLICY = dg.RetryPolicy(max_retries=3, delay=5, backoff=dg.Backoff.EXPONENTIAL)

# SQLSTATEs that mean "try again": serialization failure, deadlock, lock not available,
# administrator/crash shutdown, cannot connect now, too many connections; class 08 is
# "connection exception".
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03", "57P01", "57P02", "57P03", "53300"})

# How the same errors read in dbt's messages (dbt-postgres does not report SQLSTATEs).
_TRANSIENT_MESSAGE = re.compile(
    "|".join(
        (
            r"deadlock detected",
            r"could not serialize access",
            r"could not obtain lock",
            r"canceling statement due to conflict with recovery",
            r"server closed the connection unexpectedly",
            r"connection already closed",
            r"terminating connection due to (administrator command|unexpected postmaster exit)",
            r"ssl connection has been closed unexpectedly",
            r"could not connect to server",
            r"connection refused",
            r"the database system is (starting up|shutting down|in recovery mode)",
            r"too many clients already",
            r"remaining connection slots are reserved",
        )
    ),
    re.IGNORECASE,
)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error and every error behind it (`raise ... from`, and `from None`'s hidden context)."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def is_transient_database_error(error: psycopg.Error) -> bool:
    """True for connection loss, serialization failures, deadlocks and their kin."""
    state = error.sqlstate
    if state is None:
        # no SQLSTATE: the connection failed or broke below SQL (refused, reset, timed out)
        return isinstance(error, psycopg.OperationalError)
    return state in _TRANSIENT_SQLSTATES or state.startswith("08")


def transient_cause(error: BaseException) -> str | None:
    """One line naming the transient database error behind `error`, or None if there is none.

    ingest/ turns database errors into its own one-sentence errors; the original stays in the
    exception chain, which is where this looks.
    """
    for current in _chain(error):
        if isinstance(current, psycopg.Error) and is_transient_database_error(current):
            text = str(current).strip().splitlines()
            return text[0] if text else type(current).__name__
    return None


def is_transient_message(message: str) -> bool:
    """True when a tool's error message (dbt's, say) describes a transient database error."""
    return _TRANSIENT_MESSAGE.search(message) is not None
