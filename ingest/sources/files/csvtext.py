"""An exact CSV tokenizer over bytes: each record's bytes as received, and quoted cells kept apart.

Python's csv module reads decoded text and cannot tell `""` (an empty string) from an empty
unquoted cell (null), which the landing contract distinguishes; on Python 3.11 no reader mode
does. pyarrow's reader can (`quoted_strings_can_be_null=False`), but it is columnar: it gives
neither each record's bytes (kept for rejects and replays) nor the line a record starts on. So
this module reads RFC 4180 records itself: fields separated by commas, records by CRLF or LF, a
quoted cell may hold commas, line breaks and doubled quotes. Cells stay bytes: decoding (and
refusing bytes that are not UTF-8) is the caller's, field by field.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

MAX_RECORD_BYTES = 256 << 20  # a record this long is an unclosed quote, not data

Cells = list[bytes | None]  # None: an unquoted empty cell


class CsvError(ValueError):
    """A record that is not valid CSV; the message says where."""


class _Unclosed(CsvError):
    """A quoted cell runs past the end of the text read so far."""


@dataclass(frozen=True)
class CsvRecord:
    """One record: the physical line it starts on, its bytes (without the final line break),
    and its cells, or why it cannot be read; `complete` is false for a last record that ended
    without a line break (a writer may still be appending to it)."""

    line_number: int
    raw: bytes
    cells: Cells | None
    error: str | None
    end_offset: int
    complete: bool


def split_cells(record: bytes) -> Cells:
    """The cells of one record; raises CsvError when its quoting is broken."""
    if b'"' not in record:
        return [cell or None for cell in record.split(b",")]
    cells: Cells = []
    size = len(record)
    position = 0
    while True:
        if position < size and record[position] == 0x22:  # a quoted cell
            parts = []
            start = position + 1
            while True:
                quote = record.find(b'"', start)
                if quote == -1:
                    raise _Unclosed(f"the quoted cell starting at byte {position} is not closed")
                parts.append(record[start:quote])
                if quote + 1 < size and record[quote + 1] == 0x22:
                    parts.append(b'"')
                    start = quote + 2
                    continue
                break
            cells.append(b"".join(parts))
            position = quote + 1
            if position == size:
                return cells
            if record[position] != 0x2C:
                raise CsvError(f"text follows the closing quote of a cell at byte {position}")
            position += 1
        else:
            comma = record.find(b",", position)
            end = size if comma == -1 else comma
            cell = record[position:end]
            quote = cell.find(b'"')
            if quote != -1:
                raise CsvError(
                    f"a quote inside an unquoted cell at byte {position + quote}; "
                    "quote the whole cell and double the quotes inside it"
                )
            cells.append(cell or None)
            if comma == -1:
                return cells
            position = comma + 1


def records(
    stream: IO[bytes], *, first_line: int = 1, offset: int = 0, limit: int | None = None
) -> Iterator[CsvRecord]:
    """Every record from the stream's position (`offset` bytes into the file, on `first_line`),
    reading at most up to byte `limit` of the file."""
    line_number = first_line
    pending: list[bytes] = []
    pending_size = 0
    start_line = line_number
    unclosed = False
    for line in stream:
        if limit is not None and offset + len(line) > limit:
            line = line[: limit - offset]
            if not line:
                break
        offset += len(line)
        if not pending:
            start_line = line_number
        line_number += 1
        pending.append(line)
        pending_size += len(line)
        ended = line.endswith(b"\n")
        if unclosed and line.count(b'"') % 2 == 0 and ended:
            continue  # still inside the quoted cell: its line break is part of the value
        raw = _without_line_break(b"".join(pending) if len(pending) > 1 else line)
        try:
            cells: Cells | None = split_cells(raw)
            error = None
        except _Unclosed as problem:
            if ended and pending_size <= MAX_RECORD_BYTES:
                unclosed = True
                continue
            cells, error = None, str(problem)
            if not ended:
                error = "the file ends inside a quoted cell; check the quoting of this record"
            if pending_size > MAX_RECORD_BYTES:
                error = f"record is longer than {MAX_RECORD_BYTES >> 20} MiB: {problem}"
        except CsvError as problem:
            cells, error = None, str(problem)
        yield CsvRecord(start_line, raw, cells, error, offset, ended)
        pending, pending_size, unclosed = [], 0, False
    if pending:
        raw = _without_line_break(b"".join(pending))
        error = "the file ends inside a quoted cell; check the quoting of this record"
        yield CsvRecord(start_line, raw, None, error, offset, False)


def _without_line_break(text: bytes) -> bytes:
    if text.endswith(b"\r\n"):
        return text[:-2]
    if text.endswith(b"\n"):
        return text[:-1]
    return text
