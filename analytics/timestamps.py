"""Dates and times that Python cannot hold (infinity, year 10000, BC) read as None, not a crash.

Postgres stores dates from 4713 BC to 294276 AD and `infinity`; Python's datetime holds years
1 to 9999. psycopg refuses the rest with a DataError, which would turn a single absurd row in a
mart (an `updated_at` of 9999-12-31 -12:00 is year 10000 in UTC) into a failed API request or
report. The API and the report read through these loaders instead: such a value becomes None
(shown as null, or "n/a"), is logged, and every other value reads as usual.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from psycopg.abc import AdaptContext, Buffer
from psycopg.adapt import Loader
from psycopg.pq import Format

logger = logging.getLogger(__name__)

TYPES = ("date", "timestamp", "timestamptz")


class _Lenient(Loader):
    """Wraps the loader psycopg would use; a value out of Python's range becomes None."""

    base: type[Loader]

    def __init__(self, oid: int, context: AdaptContext | None = None) -> None:
        super().__init__(oid, context)
        self._inner = self.base(oid, context)

    def load(self, data: Buffer) -> Any:
        try:
            return self._inner.load(data)
        except psycopg.DataError as error:
            logger.warning("a value Python cannot represent is read as null: %s", error)
            return None


def register_lenient_timestamps(conn: psycopg.Connection[Any]) -> None:
    """Read dates and timestamps of `conn` through loaders that turn the unrepresentable to None."""
    for name in TYPES:
        info = conn.adapters.types.get(name)
        if info is None:
            continue
        for fmt in (Format.TEXT, Format.BINARY):
            base = conn.adapters.get_loader(info.oid, fmt)
            if base is None or issubclass(base, _Lenient):
                continue
            lenient = type(f"Lenient{base.__name__}", (_Lenient,), {"base": base, "format": fmt})
            conn.adapters.register_loader(info.oid, lenient)
