"""When Postgres refuses one row of a COPY: which row it was, and why, in words naming the field.

A record the validator passed may still meet a limit nobody foresaw (a constraint added to raw,
a jsonb limit): the COPY's error context names the row and the column, so the loader can turn
that one record into a reject and load the rest of its batch.
"""

from __future__ import annotations

import re

import psycopg

from core.db import first_line

# what Postgres says about one row it cannot store (the COPY's context names the row)
ROW_ERRORS: tuple[type[psycopg.Error], ...] = (
    psycopg.errors.DataError,
    psycopg.errors.IntegrityError,
    psycopg.errors.ProgramLimitExceeded,
    psycopg.errors.StatementTooComplex,
)
COPY_CONTEXT = re.compile(r"COPY \S+, line (\d+)(?:, column (\S+?))?(?::|$)", re.MULTILINE)


class Refused(Exception):
    """Postgres (or the COPY's own formatting) refused row `index` of a COPY."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(reason)
        self.index = index
        self.reason = reason


def refused_row(error: Exception, rows: int) -> tuple[int, str] | None:
    """Which row of a COPY Postgres refused, and why, in words naming the field."""
    if isinstance(error, Refused):
        return (error.index, error.reason) if error.index < rows else None
    if not isinstance(error, psycopg.Error):
        return None
    match = COPY_CONTEXT.search(error.diag.context or "")
    if match is None or not 1 <= int(match.group(1)) <= rows:
        return None
    return int(match.group(1)) - 1, refusal(error, match.group(2))


def refusal(error: Exception, column: str | None) -> str:
    message = (
        error.diag.message_primary if isinstance(error, psycopg.Error) else None
    ) or first_line(error)
    where = f'field "{column}"' if column else "the record"
    return f"the warehouse cannot store {where}: {message}"
