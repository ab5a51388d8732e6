"""Stand-ins for the reject-rate gate's audit views, so dbt tests can hold and release batches.

The hostile-input branch adds `audit.held_batches` and `audit.released_batches` by migration;
the dbt project reads only their columns. `install` puts views of the same shape over a table
the test writes (`hold`, `release`), replacing the real ones in a test's own database.
"""

from __future__ import annotations

import psycopg

from core.settings import PROJECT_DIR

STAND_IN = PROJECT_DIR / "tests" / "fixtures" / "audit" / "batch_holds_stand_in.sql"


def install(dsn: str, *, replace: bool) -> bool:
    """Create the stand-in views; with `replace`, instead of views already there. True if made."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("select to_regclass('audit.held_batches') is not null").fetchone()
        if row is not None and row[0] and not replace:
            return False
        with conn.transaction():
            conn.execute("drop view if exists audit.held_batches, audit.released_batches")
            conn.execute(STAND_IN.read_text())
    return True


def hold(dsn: str, batch_id: str, entity: str) -> None:
    """Hold a batch out of the marts, as the reject-rate gate does."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "insert into audit.test_batch_holds (batch_id, entity) values (%s, %s)",
            (batch_id, entity),
        )


def release(dsn: str, batch_id: str, reason: str = "accepted by a test") -> None:
    """Release a held batch now, as `forge-warehouse rejects accept` does."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "update audit.test_batch_holds set released_at = clock_timestamp(),"
            " released_by = 'accept', release_reason = %s where batch_id = %s",
            (reason, batch_id),
        )
