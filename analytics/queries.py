"""The SQL files beside this package's code, read once and composed with psycopg.sql."""

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
    """A query with %(name)s parameters only, ready for `execute(query, params)`."""
    return sql.SQL(read_query(name))


def statement(name: str, **parts: sql.Composable) -> sql.Composed:
    """A statement whose {placeholders} are identifiers or literals (DDL takes no parameters)."""
    return sql.SQL(read_query(name)).format(**parts)
