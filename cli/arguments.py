"""Parsers of the values a person types on the command line: a bad one is one sentence.

Each parser raises typer.BadParameter, which the command line prints as `error: invalid value
for '--option': <why>, e.g. <an example>` and exit code 2, before anything touches the warehouse
or the disk. Ranges are explicit so that no value can overflow a date or an integer later.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import os
import re
from pathlib import Path

import typer

from analytics.login_rules import DURATION_PATTERN, NAME_PATTERN, SIZE_PATTERN
from core.db import dsn_problem

# RFC 1123: dot-separated labels of letters, digits and inner hyphens, 253 characters at most
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*")
MAX_DAYS = 36_500  # a century of rejects is more than any warehouse keeps
MAX_LIMIT = 10_000
MAX_SESSIONS = 1_000_000
MAX_BATCH_ROWS = 1_000_000
AS_OF_EXAMPLES = "2025-12-13, 2025-12-13T06:00:00Z, today or yesterday"
# The earliest plausible time (the default of FORGE_EARLIEST_TIMESTAMP), and the days of data
# the generator writes before the time it ends
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
DATA_DAYS = dt.timedelta(days=90)


def as_of(value: str | dt.datetime | None) -> dt.datetime | None:
    """A reference time as a person types it: a date (its midnight, UTC), an ISO 8601 time (UTC
    when it has no offset), `today` (this midnight, UTC) or `yesterday`; from 2000 (the
    contract's earliest plausible time) up to a day from now."""
    stamp = _moment(value)
    return None if stamp is None else _plausible(stamp, value)


def data_end(value: str | dt.datetime | None) -> dt.datetime | None:
    """When generated data ends (as_of's forms): late enough that its 90 days start after the
    earliest plausible time, so that the loader does not reject all of it."""
    stamp = _moment(value)
    return None if stamp is None else _plausible(stamp, value, EARLIEST + DATA_DAYS)


def _moment(value: str | dt.datetime | None) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    text = value.strip().lower()
    midnight = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if text == "today":
        return midnight
    if text == "yesterday":
        return midnight - dt.timedelta(days=1)
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        stamp = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date or time; use for example {AS_OF_EXAMPLES}"
        ) from None
    stamp = stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=dt.UTC)
    try:
        stamp.astimezone(dt.UTC)
    except OverflowError:
        raise typer.BadParameter(
            f"{value!r} is out of range; use for example {AS_OF_EXAMPLES}"
        ) from None
    return stamp


def _plausible(stamp: dt.datetime, value: object, earliest: dt.datetime = EARLIEST) -> dt.datetime:
    """The contract's plausible times (docs/contract.md): from 2000 up to a day from now."""
    latest = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    if not earliest <= stamp <= latest:
        raise typer.BadParameter(
            f"{value!r} is not between {earliest:%Y-%m-%d} and tomorrow; "
            f"use for example {AS_OF_EXAMPLES}"
        )
    return stamp


def days(value: str | int) -> int:
    return _bounded_int(value, 1, MAX_DAYS, "a number of days")


def limit(value: str | int) -> int:
    return _bounded_int(value, 1, MAX_LIMIT, "a count")


def batch_rows(value: str | int) -> int:
    return _bounded_int(value, 1, MAX_BATCH_ROWS, "rows per batch")


def sessions(value: str | int) -> int:
    return _bounded_int(value, 1, MAX_SESSIONS, "a number of sessions")


def fraction(value: str | float) -> float:
    """A share between 0 and 1 (0.02 is 2%)."""
    try:
        number = float(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a number; use a share such as 0.02") from None
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        raise typer.BadParameter(f"{value} is not between 0 and 1; use a share such as 0.02")
    return number


def input_dir(value: str | Path) -> Path:
    """A folder to read: named (an empty name is not the current folder)."""
    return _named(value)


def output_dir(value: str | Path) -> Path:
    """A folder to write into: it may not exist yet, but nothing on its way may be a file."""
    path = _named(value)
    _writable(path, want_dir=True)
    return path


def output_file(value: str | Path | None) -> Path | None:
    """A file to write (or a folder to write it into)."""
    if value is None:
        return None
    path = _named(value)
    if str(value).endswith(os.sep) and not path.is_dir():  # `out/` names a folder to make
        _writable(path, want_dir=True)
        path.mkdir(parents=True, exist_ok=True)
    _writable(path, want_dir=False)
    return path


def new_file(value: str | Path | None) -> Path | None:
    """A file to write: not a folder."""
    path = output_file(value)
    if path is not None and path.is_dir():
        raise typer.BadParameter(f"{str(path)!r} is a folder; give the file to write")
    return path


def _named(value: str | Path) -> Path:
    if not str(value).strip():
        raise typer.BadParameter("an empty path; give a file or folder name")
    return Path(value)


def libpq_dsn(value: str) -> str:
    """A libpq URI or key=value string; its password is never repeated in a message."""
    problem = dsn_problem(value)
    if problem is not None:
        raise typer.BadParameter(problem)
    return value


def http_url(value: str) -> str:
    text = value.strip()
    if not text.startswith(("http://", "https://")) or len(text.split("/")[2]) == 0:
        raise typer.BadParameter(
            f"{value!r} is not an http(s) URL; use for example https://dataforge.example"
        )
    return text


def login_name(value: str) -> str:

    if NAME_PATTERN.fullmatch(value) is None:
        raise typer.BadParameter(
            f"{value!r} is not a login name; use lowercase letters, digits and _, starting "
            "with a letter (at most 63), e.g. metabase"
        )
    return value


def duration(value: str | None) -> str | None:

    if value is not None and DURATION_PATTERN.fullmatch(value) is None:
        raise typer.BadParameter(f"{value!r} is not a duration; use for example 60s or 10min")
    return value


def size(value: str | None) -> str | None:

    if value is not None and SIZE_PATTERN.fullmatch(value) is None:
        raise typer.BadParameter(f"{value!r} is not a size; use for example 512MB or 1GB")
    return value


def host(value: str) -> str:
    """Where BI tools reach the server: a host name, an IP address, or a unix socket folder;
    anything else would make the printed connection string unusable."""
    text = value.strip()
    try:
        ipaddress.ip_address(text)
        return text
    except ValueError:
        pass
    if text.startswith("/") and "\x00" not in text:
        return text
    if _HOST_NAME.fullmatch(text) is None:
        raise typer.BadParameter(
            f"{value!r} is not a host name, an IP address or a socket folder; use for example "
            "warehouse.example.com"
        )
    return text


def filter_text(value: str) -> str:
    """A MetricFlow where-filter: not blank (an empty one reaches the database as `where ()`)."""
    if not value.strip():
        raise typer.BadParameter(
            "an empty filter; use for example \"{{ Dimension('pattern__pattern_id') }} = "
            "'rest-api'\""
        )
    return value


def names(value: str) -> str:
    """Comma-separated names (metrics, group-bys): at least one."""
    if not [name for name in value.split(",") if name.strip()]:
        raise typer.BadParameter(
            f"{value!r} names nothing; give one or more names, comma-separated"
        )
    return value


def day(value: str | None) -> str | None:
    """A date, 2025-12-01."""
    if value is None:
        return None
    try:
        dt.date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; use for example 2025-12-01") from None
    return value.strip()


def _bounded_int(value: str | int, low: int, high: int, what: str) -> int:
    # int() also reads " 3 " and other scripts' digits ("٣"); the API refuses those too
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value) is None:
        raise typer.BadParameter(f"{value!r} is not a whole number; expected {what}")
    number = int(value)
    if not low <= number <= high:
        raise typer.BadParameter(f"{number} is not between {low} and {high}")
    return number


def _writable(path: Path, *, want_dir: bool) -> None:
    if path.exists():
        if want_dir and not path.is_dir():
            raise typer.BadParameter(f"{path} is a file, not a folder")
        target = path if path.is_dir() else path.parent
    else:
        target = path.parent
        while not target.exists():
            target = target.parent
        if not target.is_dir():
            raise typer.BadParameter(f"{target} is a file, so {path} cannot be created under it")
    if not os.access(target, os.W_OK | os.X_OK):
        raise typer.BadParameter(f"{target} is not writable")
