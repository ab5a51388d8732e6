"""A batch's rejects on their way to audit.rejects: kept exactly, and each record only once.

A reject keeps the record as received: `raw_record` is its text when the bytes are UTF-8 without
a NUL (then it is exact), else a readable escaped copy, with the exact bytes in `raw_bytes`. Its
`reject_hash` (entity, source, bytes) lets a record that an extract re-reads, or an appended file
delivers again, be rejected once: the batch's rejects gather in a temporary table, and only those
not rejected before are written; the others count as duplicates.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any

import msgspec
import psycopg
from psycopg import sql
from psycopg.copy import Copy, QueuedLibpqWriter
from xxhash import xxh3_128

from ingest.queries import read_query

SPOOL_COLUMNS = ("line_number", "reason", "raw_record", "raw_bytes", "reject_hash")
SPOOL_TYPES = ("int8", "text", "text", "bytea", "bytea")
_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(tuple[int | None, str, str | None, bytes | None, bytes]).decode


def printable(text: str) -> str:
    """Text Postgres can store and a terminal shows as it is: bytes that were not UTF-8 and
    control characters (NUL, ESC, ...; tab and line breaks too) become escapes."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "backslashreplace")
    return _CONTROL.sub(_escape, raw.decode("utf-8", "backslashreplace"))


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def stored_forms(raw: bytes) -> tuple[str, bytes | None]:
    """(raw_record, raw_bytes): the exact text, or an escaped copy and the exact bytes."""
    if b"\x00" not in raw:
        try:
            return raw.decode("utf-8"), None
        except UnicodeDecodeError:
            pass
    return raw.decode("utf-8", "backslashreplace").replace("\x00", "\\x00"), raw


class RejectRows:
    """Turns a batch's rejects into rows of its temporary table (hash keyed by its source)."""

    def __init__(self, entity: str, source_name: str) -> None:
        self._key = f"{entity}\x00{source_name}\x00".encode("utf-8", "surrogateescape")

    def row(self, line_number: int | None, reason: str, raw: bytes | None) -> tuple[Any, ...]:
        body = raw if raw is not None else reason.encode("utf-8", "surrogateescape")
        digest = xxh3_128(self._key)
        digest.update(body)
        text, exact = stored_forms(raw) if raw is not None else (None, None)
        return (line_number, printable(reason), text, exact, digest.digest())


class RejectSpool:
    """Rejects held in a temporary file while the raw table's COPY is still open."""

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self.count = 0

    def add(self, row: tuple[Any, ...]) -> None:
        frame = _encode(row)
        self._file.write(len(frame).to_bytes(4, "little") + frame)
        self.count += 1

    def rows(self) -> Iterator[tuple[Any, ...]]:
        self._file.seek(0)
        while header := self._file.read(4):
            yield _decode(self._file.read(int.from_bytes(header, "little")))

    def close(self) -> None:
        self._file.close()


def prepare(conn: psycopg.Connection[Any]) -> None:
    """The batch's temporary rejects table; call it inside the batch's transaction."""
    conn.execute(sql.SQL(read_query("create_batch_rejects")))
    conn.execute("truncate pg_temp.forge_batch_rejects")  # one left by an earlier batch


def add(conn: psycopg.Connection[Any], rows: Iterable[tuple[Any, ...]]) -> None:
    with _copy_rejects(conn) as copy:
        for row in rows:
            copy.write_row(row)


def store(
    conn: psycopg.Connection[Any], batch_id: str, entity: str, source_name: str
) -> tuple[int, Counter[str]]:
    """Write the batch's rejects not rejected before; (rejects seen, written per reason)."""
    seen_row = conn.execute("select count(*) from pg_temp.forge_batch_rejects").fetchone()
    seen = int(seen_row[0]) if seen_row else 0
    written: Counter[str] = Counter()
    if seen:
        rows = conn.execute(
            sql.SQL(read_query("store_rejects")),
            {"batch_id": batch_id, "entity": entity, "source_name": printable(source_name)},
        ).fetchall()
        written.update({str(reason): int(count) for reason, count in rows})
    return seen, written


@contextmanager
def _copy_rejects(conn: psycopg.Connection[Any]) -> Iterator[Copy]:
    statement = sql.SQL("copy pg_temp.forge_batch_rejects ({}) from stdin (format binary)").format(
        sql.SQL(", ").join(map(sql.Identifier, SPOOL_COLUMNS))
    )
    cursor = conn.cursor()
    with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        copy.set_types(list(SPOOL_TYPES))
        yield copy
