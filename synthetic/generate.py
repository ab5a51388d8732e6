"""Write the synthetic sources as landing files, with a manifest of what a loader must find.

`generate` plays both source systems (prompt-runner, VibeForge/DataForge) over the 90 days
before `now` and delivers their records in six files per entity, `<out>/<entity>/0001-….jsonl`
to `0006-…`, in the landing format of docs/contract.md section 1: mostly JSON lines, one `.jsonl.gz`
(whose producer leaves null fields out) and one `.csv` per entity. A record version goes to the
file of the delivery window it was delivered in, so later files carry newer versions. With a
`dirty_rate` some records come bad, duplicated or with an unknown field (see `dirty.py`).

The manifest, `<out>/_manifest.json` (a file: loaders read entity folders only), is the oracle a
loader's counts are compared with. Per entity: `records` (input lines; CSV: records after the
header) = `loaded` + `bad` + `duplicates`, `bad_by_kind` (every `BadKind`), `extra_field_records`
(loaded, with an unknown field) and `current_keys` (distinct keys among loaded records); and the
same per file, with the line numbers of each bad, duplicate and extra-field record (where the
record starts, 1-based, a CSV header being line 1). `read_manifest` reads it back.
"""

from __future__ import annotations

import gzip
import json
import logging
import random
import re
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, cast

import orjson

from ingest.contract.entities import (
    ENTITIES,
    ORCHESTRATION_CODE_METRICS,
    ORCHESTRATION_EVENTS,
    ORCHESTRATION_PHASE_METRICS,
    ORCHESTRATION_SESSIONS,
    PROJECT_OUTCOMES,
    USER_FEEDBACK,
    Entity,
)
from synthetic.dirty import BadKind, Dirt, Oddity, bad_line, with_extra_field
from synthetic.world import (
    HOUR,
    PROJECT_SHARE,
    WINDOW_DAYS,
    Ids,
    IdSequence,
    Version,
    build_project,
    build_session,
    build_world,
    session_times,
)

logger = logging.getLogger(__name__)

MANIFEST_NAME = "_manifest.json"
REFERENCE_DAY = datetime(2025, 12, 1, tzinfo=UTC)
MANIFEST_VERSION = 1


class Format(StrEnum):
    JSONL = "jsonl"
    JSONL_GZ = "jsonl.gz"
    CSV = "csv"


# one file per delivery window, oldest first
DELIVERIES = (Format.JSONL, Format.JSONL, Format.JSONL_GZ, Format.JSONL, Format.CSV, Format.JSONL)
_OUR_FILE = re.compile(r"^\.?\d{4}-[a-z_]+-\d{4}-\d{2}-\d{2}\.(jsonl|jsonl\.gz|csv)(\.part)?$")


def reference_now(seed: int) -> datetime:
    """The library's default `now`, for tests: a fixed day derived from the seed (2025-12-01 plus
    seed mod 30 days)."""
    return REFERENCE_DAY + timedelta(days=seed % 30)


def current_hour() -> datetime:
    """The demo's `now`: the start of the current UTC hour, so the demo's data ends when it is
    made (and the same seed within the hour gives the same files, which then load nothing)."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


# --------------------------------------------------------------------------- the manifest


@dataclass(frozen=True)
class FileCounts:
    """One landing file: its records (CSV: after the header) and what becomes of each.

    Line numbers are 1-based physical lines where the record starts (a CSV header is line 1),
    as a reader numbers them.
    """

    name: str
    format: str
    records: int
    loaded: int
    bad_lines: Mapping[str, tuple[int, ...]]  # BadKind value -> line numbers
    duplicate_lines: tuple[int, ...]
    extra_field_lines: tuple[int, ...]

    @property
    def bad(self) -> int:
        return sum(len(lines) for lines in self.bad_lines.values())

    @property
    def duplicates(self) -> int:
        return len(self.duplicate_lines)

    @property
    def bad_by_kind(self) -> dict[str, int]:
        return {kind: len(lines) for kind, lines in self.bad_lines.items()}


@dataclass(frozen=True)
class EntityCounts:
    """One entity folder. `records = loaded + bad + duplicates`; `current_keys`: distinct keys
    among the loaded records (the rows of the entity's current state)."""

    files: tuple[FileCounts, ...]
    current_keys: int

    @property
    def records(self) -> int:
        return sum(file.records for file in self.files)

    @property
    def loaded(self) -> int:
        return sum(file.loaded for file in self.files)

    @property
    def bad(self) -> int:
        return sum(file.bad for file in self.files)

    @property
    def duplicates(self) -> int:
        return sum(file.duplicates for file in self.files)

    @property
    def extra_field_records(self) -> int:
        return sum(len(file.extra_field_lines) for file in self.files)

    @property
    def bad_by_kind(self) -> dict[str, int]:
        return {
            kind.value: sum(file.bad_by_kind.get(kind.value, 0) for file in self.files)
            for kind in BadKind
        }


@dataclass(frozen=True)
class Manifest:
    """What `generate` wrote: the oracle a loader's counts are compared against."""

    seed: int
    sessions: int
    dirty_rate: float
    now: datetime
    window_start: datetime
    entities: Mapping[str, EntityCounts]

    def bad_by_kind(self) -> dict[str, int]:
        """Bad records per kind over all entities."""
        return {
            kind.value: sum(counts.bad_by_kind[kind.value] for counts in self.entities.values())
            for kind in BadKind
        }

    def to_dict(self) -> dict[str, Any]:
        entities = {name: _entity_dict(counts) for name, counts in self.entities.items()}
        return {
            "manifest_version": MANIFEST_VERSION,
            "seed": self.seed,
            "sessions": self.sessions,
            "dirty_rate": self.dirty_rate,
            "now": self.now.isoformat(),
            "window_start": self.window_start.isoformat(),
            "totals": {
                key: sum(entity[key] for entity in entities.values())
                for key in ("records", "loaded", "bad", "duplicates", "extra_field_records")
            }
            | {"bad_by_kind": self.bad_by_kind()},
            "entities": entities,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        return cls(
            seed=data["seed"],
            sessions=data["sessions"],
            dirty_rate=data["dirty_rate"],
            now=datetime.fromisoformat(data["now"]),
            window_start=datetime.fromisoformat(data["window_start"]),
            entities={
                name: EntityCounts(
                    files=tuple(_file_counts(file) for file in entity["files"]),
                    current_keys=entity["current_keys"],
                )
                for name, entity in data["entities"].items()
            },
        )


def _entity_dict(counts: EntityCounts) -> dict[str, Any]:
    return {
        "records": counts.records,
        "loaded": counts.loaded,
        "bad": counts.bad,
        "duplicates": counts.duplicates,
        "extra_field_records": counts.extra_field_records,
        "current_keys": counts.current_keys,
        "bad_by_kind": counts.bad_by_kind,
        "files": [
            {
                "name": file.name,
                "format": file.format,
                "records": file.records,
                "loaded": file.loaded,
                "bad": file.bad,
                "duplicates": file.duplicates,
                "extra_field_records": len(file.extra_field_lines),
                "bad_by_kind": file.bad_by_kind,
                "bad_lines": {kind: list(lines) for kind, lines in file.bad_lines.items()},
                "duplicate_lines": list(file.duplicate_lines),
                "extra_field_lines": list(file.extra_field_lines),
            }
            for file in counts.files
        ],
    }


def _file_counts(data: Mapping[str, Any]) -> FileCounts:
    return FileCounts(
        name=data["name"],
        format=data["format"],
        records=data["records"],
        loaded=data["loaded"],
        bad_lines={kind: tuple(lines) for kind, lines in data["bad_lines"].items()},
        duplicate_lines=tuple(data["duplicate_lines"]),
        extra_field_lines=tuple(data["extra_field_lines"]),
    )


def read_manifest(landing: Path) -> Manifest:
    """The manifest `generate` wrote into `landing`."""
    return Manifest.from_dict(json.loads((landing / MANIFEST_NAME).read_text(encoding="utf-8")))


def _manifest_text(manifest: Manifest) -> str:
    text = json.dumps(manifest.to_dict(), indent=2) + "\n"
    # keep lists of line numbers on one line
    return re.sub(
        r"\[\n\s+(\d+(?:,\n\s+\d+)*)\n\s*\]",
        lambda match: "[" + re.sub(r",\n\s+", ", ", match.group(1)) + "]",
        text,
    )


# --------------------------------------------------------------------------- file writers


class _JsonEncoder:
    """One JSON object per line; a compact producer leaves null fields out."""

    csv = False

    def __init__(self, compact: bool) -> None:
        self._compact = compact

    def encode(self, record: Mapping[str, object], *, keep_nulls: bool = False) -> bytes:
        if self._compact and not keep_nulls:
            record = {name: value for name, value in record.items() if value is not None}
        return orjson.dumps(record) + b"\n"

    def encode_row(self, values: Sequence[object]) -> bytes:
        return orjson.dumps(list(values)) + b"\n"


class _CsvEncoder:
    """RFC 4180 CSV: text quoted, numbers and booleans bare, arrays and objects as quoted JSON
    literals, null as an empty unquoted cell. A multi-line text value spans physical lines."""

    csv = True

    def __init__(self, columns: Sequence[str]) -> None:
        self._columns = tuple(columns)

    def header(self) -> bytes:
        return (",".join(self._columns) + "\n").encode()

    def encode(self, record: Mapping[str, object], *, keep_nulls: bool = False) -> bytes:
        return self.encode_row([record.get(name) for name in self._columns])

    def encode_row(self, values: Sequence[object]) -> bytes:
        return (",".join(_cell(value) for value in values) + "\n").encode()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return orjson.dumps(value).decode()
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return '"' + text.replace('"', '""') + '"'


class _Sink:
    """One landing file being written (as a hidden `.part` file until `finish`)."""

    def __init__(self, folder: Path, name: str, format: Format, entity: Entity) -> None:
        self.name = name
        self.format = format
        self.path = folder / name
        self.part = folder / f".{name}.part"
        self.encoder: _JsonEncoder | _CsvEncoder = (
            _CsvEncoder(entity.field_names)
            if format is Format.CSV
            else _JsonEncoder(compact=format is Format.JSONL_GZ)
        )
        self._raw = self.part.open("wb", buffering=1 << 16)
        self._stream: IO[bytes] = self._raw
        if format is Format.JSONL_GZ:
            zipped = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0)
            self._stream = cast(IO[bytes], zipped)
        self._line = 1
        self.loaded = 0
        self.bad: dict[str, list[int]] = {}
        self.duplicates: list[int] = []
        self.extra: list[int] = []
        if isinstance(self.encoder, _CsvEncoder):
            self._put(self.encoder.header())

    def _put(self, data: bytes) -> int:
        line = self._line
        self._stream.write(data)
        self._line += data.count(b"\n")
        return line

    def clean(self, record: Mapping[str, object], *, extra: bool = False) -> None:
        line = self._put(self.encoder.encode(record))
        self.loaded += 1
        if extra:
            self.extra.append(line)

    def duplicate(self, record: Mapping[str, object]) -> None:
        self.duplicates.append(self._put(self.encoder.encode(record)))

    def reject(self, kind: BadKind, data: bytes) -> None:
        self.bad.setdefault(kind.value, []).append(self._put(data))

    def close(self) -> None:
        if self._stream is not self._raw:
            self._stream.close()
        self._raw.close()

    def finish(self) -> FileCounts:
        self.part.replace(self.path)
        bad = {
            kind.value: tuple(self.bad[kind.value]) for kind in BadKind if kind.value in self.bad
        }
        return FileCounts(
            name=self.name,
            format=self.format.value,
            records=self.loaded + sum(map(len, bad.values())) + len(self.duplicates),
            loaded=self.loaded,
            bad_lines=bad,
            duplicate_lines=tuple(self.duplicates),
            extra_field_lines=tuple(self.extra),
        )


class _EntityDelivery:
    """An entity's files, one per delivery window; routes each version to its window's file."""

    def __init__(self, entity: Entity, sinks: list[_Sink], window: _Window, dirt: Dirt) -> None:
        self.entity = entity
        self.sinks = sinks
        self._window = window
        self._dirt = dirt
        self._names = entity.field_names
        self.current_keys = 0

    def deliver(self, versions: Sequence[Version]) -> None:
        """Every version of one key; the key counts as current when any version loads."""
        loaded = False
        for version in versions:
            bucket = self._window.bucket(version.delivered)
            loaded |= self._emit(bucket, self._ordered(version.record))
        self.current_keys += loaded

    def _ordered(self, record: Mapping[str, object]) -> dict[str, object]:
        """Every field of the entity, in its order (missing ones null)."""
        ordered = dict.fromkeys(self._names)
        ordered.update(record)
        if len(ordered) != len(self._names):
            unknown = sorted(set(record) - set(self._names))
            raise ValueError(f"{self.entity.name} has no fields {unknown}")
        return ordered

    def _emit(self, bucket: int, record: dict[str, object]) -> bool:
        """Write one version, maybe with an anomaly; True when a clean copy of it loads."""
        sink = self.sinks[bucket]
        anomaly = self._dirt.draw(self.entity, sink.encoder.csv)
        if anomaly is None:
            sink.clean(record)
        elif anomaly is Oddity.EXTRA_FIELD:
            sink.clean(with_extra_field(record, self.entity), extra=True)
        elif anomaly is Oddity.DUPLICATE_SAME_FILE:
            sink.clean(record)
            sink.duplicate(record)
        elif anomaly is Oddity.DUPLICATE_LATER_FILE:
            sink.clean(record)
            self.sinks[self._dirt.later(bucket, len(self.sinks))].duplicate(record)
        else:
            assert isinstance(anomaly, BadKind)
            line = bad_line(anomaly, record, self.entity, sink.encoder, self._dirt.rng)
            if self._dirt.replaces():
                sink.reject(anomaly, line)
                return False
            sink.reject(anomaly, line)
            sink.clean(record)
        return True


@dataclass(frozen=True)
class _Window:
    """The generated period, cut into equal delivery windows."""

    start: float
    now: float
    count: int

    def bucket(self, moment: float) -> int:
        width = (self.now - self.start) / self.count
        return min(self.count - 1, max(0, int((moment - self.start) // width)))

    def end_of(self, bucket: int) -> datetime:
        width = (self.now - self.start) / self.count
        return datetime.fromtimestamp(self.start + (bucket + 1) * width, UTC)


# --------------------------------------------------------------------------- generate


def generate(
    out_dir: Path,
    *,
    sessions: int = 200,
    seed: int = 42,
    dirty_rate: float = 0.0,
    now: datetime | None = None,
) -> Manifest:
    """Write landing files for the six entities into `out_dir` and return their manifest.

    Deterministic: the same arguments give byte-identical files. `now` (the end of the 90-day
    window) defaults to `reference_now(seed)`, a fixed day, so tests are reproducible; the CLI's
    `generate` and `demo` pass `current_hour()`, so the demo's data ends when it is made. Build
    the marts with `as_of` = the manifest's `now` (or later) for the relative windows to be
    meaningful. A naive `now` means UTC. `dirty_rate` is the share of records delivered
    with an anomaly (bad, duplicated, or with an unknown field); 0 gives clean files without
    duplicates. Files this generator wrote before into `out_dir` are replaced; other files are
    left alone (and the manifest does not count them).
    """
    if sessions < 0:
        raise ValueError(f"sessions must be 0 or more, got {sessions}")
    if not 0.0 <= dirty_rate <= 1.0:
        raise ValueError(f"dirty_rate must be between 0 and 1, got {dirty_rate}")
    end = _aware(now) if now is not None else reference_now(seed)
    begin = end - timedelta(days=WINDOW_DAYS)
    window = _Window(begin.timestamp(), end.timestamp(), len(DELIVERIES))
    clock = time.monotonic()
    logger.info(
        "generating %d sessions (seed %d, dirty rate %s) into %s",
        sessions,
        seed,
        dirty_rate,
        out_dir,
    )
    dirt = Dirt(random.Random(f"dirty:{seed}"), dirty_rate)
    with ExitStack() as stack:
        deliveries = {
            name: _open_delivery(out_dir, entity, window, dirt, stack)
            for name, entity in ENTITIES.items()
        }
        _simulate(random.Random(seed), sessions, window, deliveries)
        for delivery in deliveries.values():
            for sink in delivery.sinks:
                sink.close()
        counts = {
            name: EntityCounts(
                files=tuple(sink.finish() for sink in delivery.sinks),
                current_keys=delivery.current_keys,
            )
            for name, delivery in deliveries.items()
        }
    manifest = Manifest(seed, sessions, dirty_rate, end, begin, counts)
    _write_manifest(out_dir, manifest)
    _remove_stale_files(out_dir, counts)
    logger.info(
        "wrote %d records (%d bad, %d duplicates) in %d files to %s in %.1fs",
        sum(entity.records for entity in counts.values()),
        sum(entity.bad for entity in counts.values()),
        sum(entity.duplicates for entity in counts.values()),
        sum(len(entity.files) for entity in counts.values()),
        out_dir,
        time.monotonic() - clock,
    )
    return manifest


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _open_delivery(
    out_dir: Path, entity: Entity, window: _Window, dirt: Dirt, stack: ExitStack
) -> _EntityDelivery:
    folder = out_dir / entity.name
    folder.mkdir(parents=True, exist_ok=True)
    sinks = []
    for index, format in enumerate(DELIVERIES):
        name = f"{index + 1:04d}-{entity.name}-{window.end_of(index):%Y-%m-%d}.{format.value}"
        sink = _Sink(folder, name, format, entity)
        stack.callback(_discard, sink)
        sinks.append(sink)
    return _EntityDelivery(entity, sinks, window, dirt)


def _discard(sink: _Sink) -> None:
    """On the way out: close the file; a `.part` left over means generation failed."""
    sink.close()
    sink.part.unlink(missing_ok=True)


def _simulate(
    rng: random.Random, sessions: int, window: _Window, deliveries: Mapping[str, _EntityDelivery]
) -> None:
    """Sessions in the order they were created; about every other one scaffolds a project."""
    world = build_world(rng, sessions, window.start, window.now)
    ids = Ids(IdSequence(), IdSequence(), IdSequence())
    times = session_times(rng, sessions, window.start, window.now)
    for session_id, created in enumerate(times, start=1):
        bundle = build_session(rng, world, ids, session_id, created)
        deliveries[ORCHESTRATION_SESSIONS.name].deliver(bundle.session)
        for versions in bundle.phase_metrics:
            deliveries[ORCHESTRATION_PHASE_METRICS.name].deliver(versions)
        for event in bundle.events:
            deliveries[ORCHESTRATION_EVENTS.name].deliver((event,))
        if bundle.code_metrics:
            deliveries[ORCHESTRATION_CODE_METRICS.name].deliver(bundle.code_metrics)
        if rng.random() < PROJECT_SHARE:
            scaffolded = round(created + rng.uniform(0.0, 2 * HOUR), 3)
            if scaffolded < window.now:
                project = build_project(rng, world, scaffolded)
                deliveries[PROJECT_OUTCOMES.name].deliver(project.outcome)
                for feedback in project.feedback:
                    deliveries[USER_FEEDBACK.name].deliver((feedback,))
        if session_id % 10_000 == 0:
            logger.info("generated %d of %d sessions", session_id, sessions)


def _write_manifest(out_dir: Path, manifest: Manifest) -> None:
    part = out_dir / f".{MANIFEST_NAME}.part"
    part.write_text(_manifest_text(manifest), encoding="utf-8")
    part.replace(out_dir / MANIFEST_NAME)


def _remove_stale_files(out_dir: Path, counts: Mapping[str, EntityCounts]) -> None:
    """Files of an earlier run (other names: another `now`) would be loaded with this run's."""
    for name, entity in counts.items():
        current = {file.name for file in entity.files}
        for path in sorted((out_dir / name).iterdir()):
            if path.name in current or not path.is_file():
                continue
            if _OUR_FILE.match(path.name) and name in path.name:
                logger.info("removed %s, written by an earlier run", path)
                path.unlink()
            else:
                logger.warning("%s is not ours: the manifest does not count it", path)
