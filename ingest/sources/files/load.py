"""Load a landing directory: each entity folder's files in name order, one batch per file.

Only regular files inside the landing directory are read: a symbolic link leading outside it, or
anything that is not a regular file, is refused with an audit row and never opened. Entries no
load reads (files at the landing root, unknown folders, other suffixes) are named by `strays`.
A file loaded before loads nothing; a file that grew by appending loads only its new lines.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from core.exceptions import IngestError, LandingError
from ingest.batch import (
    BatchResult,
    BatchSource,
    failed_result,
    load_batch,
    record_failure,
)
from ingest.contract.entities import ENTITIES, Entity
from ingest.contract.validate import RecordValidator, TimeWindow
from ingest.quarantine import printable
from ingest.queries import read_query
from ingest.sources.files.read import (
    SUFFIXES,
    ReadSpan,
    is_gzip,
    open_regular,
    read_csv_header,
    read_file,
)

logger = logging.getLogger(__name__)

_BLOCK = 1 << 20


@dataclass(frozen=True)
class LandingFile:
    """A file of an entity's folder; `refusal` says why it is not read (never opened then)."""

    entity: Entity
    path: Path
    refusal: str | None = None

    @property
    def name(self) -> str:
        """`entity/file` as a person reads it (bytes that are not UTF-8 escaped)."""
        return printable(f"{self.entity.name}/{self.path.name}")


@dataclass(frozen=True)
class FileOutcome:
    """A file's fate: loaded (or failed) as a batch, or skipped because it was loaded before."""

    file: LandingFile
    batch: BatchResult | None
    already_loaded_by: str | None = None


def _root(landing: Path) -> Path:
    if not landing.exists():
        raise LandingError(f"landing directory {printable(str(landing))} does not exist")
    if not landing.is_dir():
        raise LandingError(
            f"{printable(str(landing))} is not a directory; expected a landing directory"
        )
    return landing.resolve()


def _visible(path: Path) -> bool:
    return not path.name.startswith((".", "_"))


def discover(landing: Path, entities: tuple[str, ...] | None = None) -> list[LandingFile]:
    """The files to load, entity by entity in contract order, files in name order.

    A symbolic link (a file or an entity folder) leading outside the landing directory, and a
    landing-suffixed entry that is not a regular file, come back refused.
    """
    root = _root(landing)
    files = []
    for name, entity in ENTITIES.items():
        folder = landing / name
        if (entities is not None and name not in entities) or not os.path.lexists(folder):
            continue
        refusal = _outside(folder, root)
        if refusal is not None or not folder.is_dir():
            files.append(LandingFile(entity, folder, refusal or "is not a folder"))
            continue
        for path in sorted(folder.iterdir()):
            if _visible(path) and path.name.endswith(SUFFIXES):
                files.append(LandingFile(entity, path, _refusal(path, root)))
    return files


def strays(landing: Path, entities: tuple[str, ...] | None = None) -> list[str]:
    """Entries of the landing directory that no load reads, each in a sentence naming it."""
    root = _root(landing)
    sentences = []
    expected = ", ".join(ENTITIES)
    for path in sorted(landing.iterdir()):
        if not _visible(path) or path.name in ENTITIES:
            continue
        shown = printable(path.name)
        if path.is_dir():
            sentences.append(
                f"unknown entity folder '{shown}' in {printable(str(landing))} was not loaded; "
                f"expected folders named {expected}"
            )
        else:
            sentences.append(
                f"{shown} is at the landing root, where nothing is loaded; "
                f"move it into its entity's folder ({printable(str(landing))}/<entity>/)"
            )
    for name in ENTITIES:
        folder = landing / name
        if (entities is not None and name not in entities) or not folder.is_dir():
            continue
        if _outside(folder, root) is not None:
            continue  # refused as a whole by discover; never listed
        for path in sorted(folder.iterdir()):
            if _visible(path) and not path.name.endswith(SUFFIXES):
                sentences.append(
                    f"{printable(f'{name}/{path.name}')} was not loaded: landing files end in "
                    f"{', '.join(SUFFIXES)}"
                )
    return sentences


def _outside(path: Path, root: Path) -> str | None:
    if not path.is_symlink():
        return None
    try:
        target = path.resolve()
    except (RuntimeError, OSError):  # a loop of links (RuntimeError on Python 3.11), too long
        return "is a symbolic link that leads nowhere (a loop of links); remove it"
    if target == root or root in target.parents:
        return None
    return (
        f"is a symbolic link to {printable(str(target))}, outside the landing directory; "
        "the loader reads only files inside it (copy the file in instead)"
    )


def _refusal(path: Path, root: Path) -> str | None:
    outside = _outside(path, root)
    if outside is not None:
        return outside
    try:
        mode = path.stat().st_mode
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    if not stat.S_ISREG(mode):
        return "is not a regular file; the loader reads only regular files"
    return None


def load_landing(
    conn: psycopg.Connection[Any],
    landing: Path,
    *,
    entities: tuple[str, ...] | None = None,
    chunk_rows: int = 20_000,
    hold_above: float | None = None,
    window: TimeWindow | None = None,
    on_file: Callable[[FileOutcome], None] | None = None,
    on_start: Callable[[str], None] | None = None,
    on_chunk: Callable[[BatchResult], None] | None = None,
) -> list[FileOutcome]:
    """Load every landing file not loaded before; a bad file fails alone, the others still load.

    `on_start` hears each file's name as its load begins, `on_chunk` the running counts of
    its batch (a progress display), `on_file` each file's outcome. Entries no load reads are
    logged here; `strays` names them for a caller that reports them.
    """
    for sentence in strays(landing, entities):
        logger.warning(sentence)
    outcomes = []
    validators: dict[str, RecordValidator] = {}
    for file in discover(landing, entities):
        validator = validators.setdefault(file.entity.name, RecordValidator(file.entity, window))
        if on_start is not None:
            on_start(file.name)
        outcome = load_file(
            conn, file, validator, chunk_rows=chunk_rows, on_chunk=on_chunk, hold_above=hold_above
        )
        outcomes.append(outcome)
        if on_file is not None:
            on_file(outcome)
    return outcomes


@dataclass(frozen=True)
class _Fingerprint:
    """A file's size and hash, and, when it grew from a file loaded before, where to resume."""

    size: int
    sha256: str
    resume_from: str | None = None
    span: ReadSpan | None = None


def load_file(
    conn: psycopg.Connection[Any],
    file: LandingFile,
    validator: RecordValidator,
    *,
    chunk_rows: int = 20_000,
    on_chunk: Callable[[BatchResult], None] | None = None,
    hold_above: float | None = None,
) -> FileOutcome:
    """One file, one batch; a file already loaded (same name and content) loads nothing."""
    if file.refusal is not None:
        source = BatchSource(file.entity, "files", str(file.path.absolute()))
        failed = failed_result(source, f"{printable(str(file.path))} {file.refusal}")
        record_failure(conn, source, failed)
        return FileOutcome(file, failed)
    path = file.path.resolve()
    try:
        fingerprint = _fingerprint(conn, file.entity, path)
        header = read_csv_header(path)
    except (OSError, IngestError) as error:
        source = BatchSource(file.entity, "files", str(path))
        reason = error if isinstance(error, IngestError) else f"{path}: {error.strerror or error}"
        failed = failed_result(source, str(reason))
        record_failure(conn, source, failed)
        return FileOutcome(file, failed)
    with conn.transaction():
        previous = _loaded_before(conn, file.entity, path.name, fingerprint.sha256)
    if previous is None:
        span = fingerprint.span or ReadSpan(limit=None if is_gzip(path) else fingerprint.size)
        source = BatchSource(
            file.entity,
            "files",
            str(path),
            fingerprint.sha256,
            header,
            content_bytes=fingerprint.size,
            resumed_from_batch=fingerprint.resume_from,
            resume_point=None if is_gzip(path) else lambda: (span.resume_offset, span.resume_line),
        )
        batch = load_batch(
            conn,
            source,
            read_file(path, validator, span),
            validator=validator,
            chunk_rows=chunk_rows,
            reread=lambda: read_file(path, validator, _restart(span)),
            on_chunk=on_chunk,
            # a load of the same file may have committed while this one waited for the lock
            already_loaded=lambda conn: _loaded_before(
                conn, file.entity, path.name, fingerprint.sha256
            ),
            hold_above=hold_above,
        )
        if batch.status != "skipped":
            return FileOutcome(file, batch)
        previous = batch.error
    logger.debug("%s was loaded before by batch %s; skipped", path, previous)
    return FileOutcome(file, None, already_loaded_by=previous)


def _restart(span: ReadSpan) -> ReadSpan:
    """The same part of the file, read again from its start (the chunked retry of a batch)."""
    return ReadSpan(span.offset, span.line, span.limit)


def loaded_before(conn: psycopg.Connection[Any], file: LandingFile) -> str | None:
    """The batch that already loaded this whole file (same name and content), or None; a file
    that grew since it was loaded, or one the loader refuses, is not 'loaded before'."""
    if file.refusal is not None:
        return None
    path = file.path.resolve()
    digest = hashlib.sha256()
    try:
        with open_regular(path) as stream:
            while block := stream.read(_BLOCK):
                digest.update(block)
    except (OSError, IngestError):
        return None
    return _loaded_before(conn, file.entity, path.name, digest.hexdigest())


def _loaded_before(
    conn: psycopg.Connection[Any], entity: Entity, name: str, digest: str
) -> str | None:
    rows = conn.execute(
        """
        select batch_id, source_name from audit.loads
        where entity = %s and content_sha256 = %s and status = 'succeeded'
        order by started_at
        """,
        (entity.name, digest),
    ).fetchall()
    shown = printable(name)
    same_name = (batch_id for batch_id, source_name in rows if Path(source_name).name == shown)
    return next(same_name, None)


def _fingerprint(conn: psycopg.Connection[Any], entity: Entity, path: Path) -> _Fingerprint:
    """Hash the file once; when an earlier load of this path covered a prefix of it that is
    unchanged (the file was appended to), the read resumes where that load stopped."""
    size = path.stat().st_size
    prefixes: dict[int, list[tuple[str, str, int, int]]] = {}
    if not is_gzip(path):
        with conn.transaction():
            rows = conn.execute(
                read_query("resumable_loads"),
                {"entity": entity.name, "source_name": printable(str(path)), "size": size},
            ).fetchall()
        for batch_id, sha, content_bytes, offset, line in rows:
            prefixes.setdefault(int(content_bytes), []).append((batch_id, sha, offset, line))
    digest = hashlib.sha256()
    matched: tuple[str, int, int] | None = None
    done = 0
    with open_regular(path) as stream:
        for boundary in sorted({*prefixes, size}):
            while done < boundary:
                block = stream.read(min(_BLOCK, boundary - done))
                if not block:
                    break
                digest.update(block)
                done += len(block)
            for batch_id, sha, offset, line in prefixes.get(boundary, []):
                if done == boundary and digest.hexdigest() == sha:
                    matched = (batch_id, int(offset), int(line))
    if matched is None:
        return _Fingerprint(size, digest.hexdigest())
    batch_id, offset, line = matched
    return _Fingerprint(size, digest.hexdigest(), batch_id, ReadSpan(offset, line, size))
