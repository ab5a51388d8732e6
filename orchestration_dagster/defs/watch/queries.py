"""The SQL files of the watch area (sql/ beside this module), read once."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from psycopg import sql

SQL_DIR = Path(__file__).resolve().parent / "sql"


@cache
def read_query(name: str) -> str:
    """The text of `sql/<name>.sql`."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def query(name: str) -> sql.SQL:
    """A query with %(name)s parameters only."""
    return sql.SQL(read_query(name))


def composed(name: str, **parts: sql.Composable) -> sql.Composed:
    """A query whose {placeholders} are identifiers or SQL pieces, and %(name)s parameters."""
    return sql.SQL(read_query(name)).format(**parts)
