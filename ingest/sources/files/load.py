"""Load a landing directory: each entity folder's files in name order, one batch per file."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from core.exceptions import LandingError
from ingest.batch import BatchResult, BatchSource, load_batch
from ingest.contract.entities import ENTITIES, Entity
from ingest.contract.validate import RecordValidator
from ingest.sources.files.read import SUFFIXES, is_landing_file, read_csv_header, read_file

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LandingFile:
    entity: Entity
    path: Path


@dataclass(frozen=True)
class FileOutcome:
    """A file's fate: loaded (or failed) as a batch, or skipped because it was loaded before."""

    file: LandingFile
    batch: BatchResult | None
    already_loaded_by: str | None = None


def discover(landing: Path, entities: tuple[str, ...] | None = None) -> list[LandingFile]:
    """The files to load, entity by entity in contract order, files in name order."""
    if not landing.exists():
        raise LandingError(f"landing directory {landing} does not exist")
    if not landing.is_dir():
        raise LandingError(f"{landing} is not a directory; expected a landing directory")
    folders = {
        path.name: path
        for path in landing.iterdir()
        if path.is_dir() and not path.name.startswith((".", "_"))
    }
    unknown = sorted(set(folders) - set(ENTITIES))
    if unknown:
        raise LandingError(
            f"unknown entity folder {', '.join(repr(name) for name in unknown)} in {landing}; "
            f"expected folders named {', '.join(ENTITIES)}"
        )
    files = []
    for name, entity in ENTITIES.items():
        if name not in folders or (entities is not None and name not in entities):
            continue
        for path in sorted(folders[name].iterdir()):
            if is_landing_file(path):
                files.append(LandingFile(entity, path))
            elif not path.name.startswith("."):
                logger.warning("skipped %s: landing files end in %s", path, ", ".join(SUFFIXES))
    return files


def load_landing(
    conn: psycopg.Connection[Any],
    landing: Path,
    *,
    entities: tuple[str, ...] | None = None,
    chunk_rows: int = 20_000,
    on_file: Callable[[FileOutcome], None] | None = None,
    on_start: Callable[[str], None] | None = None,
    on_chunk: Callable[[BatchResult], None] | None = None,
) -> list[FileOutcome]:
    """Load every landing file not loaded before; a bad file fails alone, the others still load.

    `on_start` hears each file's name as its load begins, `on_chunk` the running counts of
    its batch (a progress display), `on_file` each file's outcome.
    """
    outcomes = []
    validators: dict[str, RecordValidator] = {}
    for file in discover(landing, entities):
        validator = validators.setdefault(file.entity.name, RecordValidator(file.entity))
        if on_start is not None:
            on_start(f"{file.entity.name}/{file.path.name}")
        outcome = load_file(conn, file, validator, chunk_rows=chunk_rows, on_chunk=on_chunk)
        outcomes.append(outcome)
        if on_file is not None:
            on_file(outcome)
    return outcomes


def load_file(
    conn: psycopg.Connection[Any],
    file: LandingFile,
    validator: RecordValidator,
    *,
    chunk_rows: int = 20_000,
    on_chunk: Callable[[BatchResult], None] | None = None,
) -> FileOutcome:
    """One file, one batch; a file already loaded (same name and content) loads nothing."""
    path = file.path.resolve()
    digest = _sha256(path)
    with conn.transaction():
        previous = _loaded_before(conn, file.entity, path.name, digest)
    if previous is None:
        source = BatchSource(file.entity, "files", str(path), digest, read_csv_header(path))
        batch = load_batch(
            conn,
            source,
            read_file(path, validator),
            validator=validator,
            chunk_rows=chunk_rows,
            reread=lambda: read_file(path, validator),
            on_chunk=on_chunk,
            # a load of the same file may have committed while this one waited for the lock
            already_loaded=lambda conn: _loaded_before(conn, file.entity, path.name, digest),
        )
        if batch.status != "skipped":
            return FileOutcome(file, batch)
        previous = batch.error
    logger.debug("%s was loaded before by batch %s; skipped", path, previous)
    return FileOutcome(file, None, already_loaded_by=previous)


def loaded_before(conn: psycopg.Connection[Any], file: LandingFile) -> str | None:
    """The batch that already loaded this file (same name and content), or None."""
    path = file.path.resolve()
    return _loaded_before(conn, file.entity, path.name, _sha256(path))


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
    same_name = (batch_id for batch_id, source_name in rows if Path(source_name).name == name)
    return next(same_name, None)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
