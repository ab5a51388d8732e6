"""Read one landing file into validated records, streaming: memory does not grow with the file.

Every record keeps the bytes it arrived as (the line, or the CSV record without its final line
break) so that a reject can be replayed from exactly what was received. A read may start where
an earlier load of the same file stopped (`ReadSpan`), so that a file grown by appending loads
only its new lines, and stops at the size the file had when it was hashed.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from core.exceptions import IngestError
from ingest.batch import InputRecord
from ingest.contract.validate import Outcome, RecordValidator, Rejected
from ingest.sources.files.csvtext import CsvError, records, split_cells

BOM = b"\xef\xbb\xbf"
SUFFIXES = (".jsonl", ".jsonl.gz", ".csv", ".csv.gz")


@dataclass
class ReadSpan:
    """What part of a file a read covers, and (after it) where a later read should resume.

    `offset`/`line`: where reading starts (0/1: the whole file); `limit`: the file's size when it
    was hashed (reading stops there). The reader sets `resume_offset`/`resume_line` after the last
    complete line or record it read: a record without its final line break may still be growing.
    """

    offset: int = 0
    line: int = 1
    limit: int | None = None
    resume_offset: int = 0
    resume_line: int = 1


def is_csv(path: Path) -> bool:
    return path.name.endswith((".csv", ".csv.gz"))


def is_gzip(path: Path) -> bool:
    return path.name.endswith(".gz")


def read_file(
    path: Path, validator: RecordValidator, span: ReadSpan | None = None
) -> Iterator[InputRecord]:
    """Every record of the file (from `span.offset`), in order, accepted or rejected."""
    span = span or ReadSpan()
    try:
        with open_landing_file(path) as stream:
            if is_csv(path):
                yield from _read_csv(stream, validator, span)
            else:
                yield from _read_jsonl(stream, validator, span)
    except (gzip.BadGzipFile, zlib.error, EOFError) as error:
        raise IngestError(f"{path} is not a complete gzip file ({error}); re-send it") from None
    except IngestError as error:
        raise IngestError(f"{path}: {error}") from None


def read_csv_header(path: Path) -> tuple[str, ...] | None:
    """The field names of a CSV landing file (None for JSONL); IngestError when unreadable."""
    if not is_csv(path):
        return None
    try:
        with open_landing_file(path) as stream:
            return _header(stream)[0]
    except (gzip.BadGzipFile, zlib.error, EOFError) as error:
        raise IngestError(f"{path} is not a complete gzip file ({error}); re-send it") from None
    except IngestError as error:
        raise IngestError(f"{path}: {error}") from None


@contextmanager
def open_landing_file(path: Path) -> Iterator[IO[bytes]]:
    """The file's bytes (decompressed for .gz); never a link or anything but a regular file,
    even if one took the file's place after it was found."""
    with open_regular(path) as stream:
        if is_gzip(path):
            with gzip.GzipFile(fileobj=stream, mode="rb") as unzipped:
                yield cast(IO[bytes], unzipped)
        else:
            yield stream


def open_regular(path: Path) -> IO[bytes]:
    """Open a regular file for reading without following a final symbolic link or blocking on
    a FIFO; IngestError for anything else."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise IngestError(f"{path} is not a regular file; the loader reads only regular files")
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def _read_jsonl(
    stream: IO[bytes], validator: RecordValidator, span: ReadSpan
) -> Iterator[InputRecord]:
    if span.offset:
        stream.seek(span.offset)
    lines = _bounded(stream, span)
    line_number = span.line - 1
    line = b"\n"
    validate = validator.validate_json
    try:
        for line in lines:
            line_number += 1
            body = line.rstrip(b"\r\n")
            if len(line) - len(body) != 1:  # CR LF, a last line without one, or stray CRs
                body = _without_line_break(line)
            if line_number == 1 and body.startswith(BOM):
                body = body[len(BOM) :]  # editors on Windows start UTF-8 files with a BOM
            yield InputRecord(line_number, validate(body), body)
    finally:
        # the next read resumes after the last complete line: a last line without its line
        # break may still be being written
        if not is_gzip_stream(stream):
            end = lines.tell() + (span.offset if lines is not stream else 0)
            if line.endswith(b"\n"):
                span.resume_offset, span.resume_line = end, line_number + 1
            else:
                span.resume_offset, span.resume_line = end - len(line), line_number


def _without_line_break(line: bytes) -> bytes:
    if line.endswith(b"\r\n"):
        return line[:-2]
    return line[:-1] if line.endswith(b"\n") else line


class _Limit(io.RawIOBase):
    """At most `remaining` bytes of a stream: the file as it was when it was hashed."""

    def __init__(self, stream: IO[bytes], remaining: int) -> None:
        self._stream = stream
        self._remaining = remaining
        self._read = 0

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._read

    def readinto(self, buffer: Any) -> int:
        if self._remaining <= 0:
            return 0
        view = memoryview(buffer)[: self._remaining]
        count = self._stream.readinto(view)  # type: ignore[attr-defined]
        self._remaining -= count
        self._read += count
        return int(count)


def _bounded(stream: IO[bytes], span: ReadSpan) -> IO[bytes]:
    """The stream, read no further than `span.limit` when the file grew past it since it was
    hashed (a file that grows while it is read is still read consistently: the next load
    resumes after the last complete line read)."""
    if span.limit is None or isinstance(stream, gzip.GzipFile):
        return stream
    if os.fstat(stream.fileno()).st_size <= span.limit:
        return stream
    return io.BufferedReader(_Limit(stream, span.limit - span.offset), buffer_size=1 << 16)


def is_gzip_stream(stream: IO[bytes]) -> bool:
    return isinstance(stream, gzip.GzipFile)


def _header(stream: IO[bytes]) -> tuple[tuple[str, ...], int, int]:
    """The header's field names, the byte offset after it, and the line after it."""
    first = next(records(stream), None)
    if first is None:
        return (), 0, 1
    raw = first.raw.removeprefix(BOM)  # a BOM before a quoted first name too (Export-Csv)
    try:
        raw_cells = split_cells(raw)
    except CsvError as error:
        raise IngestError(f"the CSV header cannot be read ({error})") from None
    names = []
    for position, cell in enumerate(raw_cells, start=1):
        if cell is None or cell == b"":
            raise IngestError(f"the CSV header's field {position} has no name")
        try:
            name = cell.decode("utf-8")
        except UnicodeDecodeError as error:
            raise IngestError(
                f"the CSV header's field {position} is not valid UTF-8 (byte "
                f"0x{cell[error.start]:02x}); re-export the file as UTF-8"
            ) from None
        if "\r" in name or "\n" in name:
            raise IngestError(
                f"the CSV header's field {position} holds a line break: the file's lines "
                "end in CR alone, which is not read as a line end; convert them to LF or CRLF"
            )
        if "\x00" in name:
            raise IngestError(
                f"the CSV header's field {position} holds a NUL character, which cannot be a "
                "field name; fix the header"
            )
        names.append(name)
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise IngestError(f"the CSV header names {', '.join(repeated)} more than once")
    lines = first.raw.count(b"\n") + 1
    return tuple(names), first.end_offset, first.line_number + lines


def _read_csv(
    stream: IO[bytes], validator: RecordValidator, span: ReadSpan
) -> Iterator[InputRecord]:
    """A record may span physical lines inside a quoted cell; it is numbered by its first line."""
    header, offset, line = _header(stream)
    if not header:
        span.resume_offset, span.resume_line = 0, 1
        return
    if not set(header) & set(validator.entity.field_names):
        raise IngestError(
            f"the CSV's first line names none of the fields of {validator.entity.name} (such "
            f"as {validator.entity.field_names[0]}): a CSV landing file starts with a header "
            "naming its columns"
        )
    if span.offset > offset:
        stream.seek(span.offset)
        offset, line = span.offset, span.line
    resume_offset, resume_line = offset, line
    try:
        for record in records(stream, first_line=line, offset=offset, limit=span.limit):
            if record.error is not None or record.cells is None:
                outcome: Outcome = Rejected(f"record is not valid CSV ({record.error})")
            elif record.raw == b"":
                outcome = Rejected("line is empty, expected a CSV record")
            else:
                outcome = validator.validate_cells(header, record.cells)
            yield InputRecord(record.line_number, outcome, record.raw)
            if record.complete:
                resume_offset = record.end_offset
                resume_line = record.line_number + record.raw.count(b"\n") + 1
    finally:
        span.resume_offset, span.resume_line = resume_offset, resume_line


def revalidate_csv(validator: RecordValidator, header: tuple[str, ...], raw: bytes) -> Outcome:
    """A CSV record read again from its bytes (a replay), with its file's header."""
    try:
        cells = split_cells(raw)
    except CsvError as error:
        return Rejected(f"record is not valid CSV ({error})")
    if raw == b"":
        return Rejected("line is empty, expected a CSV record")
    return validator.validate_cells(header, cells)
