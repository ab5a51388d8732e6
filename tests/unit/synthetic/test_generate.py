"""The synthetic source generator: deterministic, realistic, and an exact manifest of its files."""

from __future__ import annotations

import csv
import gzip
import io
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import orjson
import pytest

from ingest.contract.entities import ENTITIES, PHASES, Entity, Kind
from synthetic import (
    MANIFEST_NAME,
    BadKind,
    Manifest,
    generate,
    read_manifest,
    reference_now,
)

NOW = datetime(2025, 11, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    out = tmp_path_factory.mktemp("clean")
    return out, generate(out, sessions=300, seed=42, now=NOW)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    out = tmp_path_factory.mktemp("dirty")
    return out, generate(out, sessions=80, seed=7, dirty_rate=0.2, now=NOW)


# --------------------------------------------------------------------------- reading files


def read_records(path: Path) -> Iterator[tuple[int, bytes | list[str], list[str] | None]]:
    """(first line number, raw JSON line or CSV cells, CSV header) for each record of a file."""
    if path.name.endswith(".csv"):
        stream = io.TextIOWrapper(
            path.open("rb"), encoding="utf-8", errors="surrogateescape", newline=""
        )
        with stream:
            reader = csv.reader(stream, strict=True)
            header = next(reader)
            first = reader.line_num + 1
            for cells in reader:
                yield first, cells, header
                first = reader.line_num + 1
        return
    opener: Any = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as stream:
        for number, line in enumerate(stream, start=1):
            yield number, line.rstrip(b"\n"), None


def as_mapping(entity: Entity, raw: bytes | list[str], header: list[str] | None) -> dict[str, Any]:
    """A clean record as a dict of Python values (CSV cells parsed by the contract's kinds)."""
    if header is None:
        assert isinstance(raw, bytes)
        record = orjson.loads(raw)
        assert isinstance(record, dict)
        return record
    kinds = {field.name: field.kind for field in entity.fields}
    return {
        name: None if cell == "" else _typed(kinds[name], cell)
        for name, cell in zip(header, raw, strict=True)
    }


def _typed(kind: Kind, cell: str) -> Any:
    if kind in (Kind.TEXT_ARRAY, Kind.JSON_OBJECT, Kind.SMALLINT, Kind.INTEGER, Kind.BIGINT):
        return orjson.loads(cell)
    if kind in (Kind.FLOAT, Kind.NUMERIC_5_2):
        return float(cell)
    if kind is Kind.BOOLEAN:
        return {"true": True, "false": False}[cell]
    return cell


def clean_records(out: Path, entity: Entity) -> Iterator[dict[str, Any]]:
    for path in sorted((out / entity.name).iterdir()):
        for _, raw, header in read_records(path):
            yield as_mapping(entity, raw, header)


def moment(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def current(out: Path, entity: Entity) -> dict[Any, dict[str, Any]]:
    """Current state: per key the greatest updated_at (ties: loaded last), else the last loaded."""
    state: dict[Any, dict[str, Any]] = {}
    for record in clean_records(out, entity):
        key = record[entity.key]
        if (
            key not in state
            or "updated_at" not in entity.field_names
            or moment(record["updated_at"]) >= moment(state[key]["updated_at"])
        ):
            state[key] = record
    return state


def all_bytes(out: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(out)): path.read_bytes() for path in out.rglob("*") if path.is_file()
    }


# --------------------------------------------------------------------------- determinism


def test_same_arguments_write_byte_identical_files(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", sessions=30, seed=5, dirty_rate=0.1)
    second = generate(tmp_path / "b", sessions=30, seed=5, dirty_rate=0.1)
    assert first == second
    assert all_bytes(tmp_path / "a") == all_bytes(tmp_path / "b")


def test_another_seed_writes_other_files(tmp_path: Path) -> None:
    generate(tmp_path / "a", sessions=30, seed=5, now=NOW)
    generate(tmp_path / "b", sessions=30, seed=6, now=NOW)
    first, second = all_bytes(tmp_path / "a"), all_bytes(tmp_path / "b")
    assert first.keys() == second.keys()  # same windows, same names
    assert all(first[name] != second[name] for name in first)


def test_default_now_is_a_fixed_day_derived_from_the_seed(tmp_path: Path) -> None:
    manifest = generate(tmp_path, sessions=3, seed=12)
    assert manifest.now == reference_now(12) == datetime(2025, 12, 13, tzinfo=UTC)
    assert manifest.window_start == manifest.now - timedelta(days=90)


# --------------------------------------------------------------------------- files and formats


def test_every_entity_gets_jsonl_gz_and_csv_files_in_delivery_order(
    clean: tuple[Path, Manifest],
) -> None:
    out, manifest = clean
    assert (out / MANIFEST_NAME).is_file()
    assert {path.name for path in out.iterdir() if path.is_dir()} == set(ENTITIES)
    for name in ENTITIES:
        files = sorted(path.name for path in (out / name).iterdir())
        assert files == [file.name for file in manifest.entities[name].files]
        assert [file[:4] for file in files] == ["0001", "0002", "0003", "0004", "0005", "0006"]
        formats = {file.split(".", 1)[1] for file in files}
        assert formats == {"jsonl", "jsonl.gz", "csv"}
        assert all(file.records > 0 for file in manifest.entities[name].files)


def test_csv_has_a_header_json_literals_and_multiline_cells(clean: tuple[Path, Manifest]) -> None:
    out, _ = clean
    path = next((out / "orchestration_sessions").glob("*.csv"))
    text = path.read_text(encoding="utf-8")
    header = text.splitlines()[0]
    assert header == ",".join(ENTITIES["orchestration_sessions"].field_names)
    assert '"{""cli_version""' in text  # a JSON object as a quoted literal
    records = list(read_records(path))
    assert len(text.splitlines()) > len(records) + 1  # templates span physical lines
    assert any(",," in line for line in text.splitlines())  # null: an empty unquoted cell


def test_clean_output_is_objects_with_required_fields_and_no_duplicates(
    clean: tuple[Path, Manifest],
) -> None:
    out, manifest = clean
    for name, entity in ENTITIES.items():
        required = [field.name for field in entity.fields if field.required]
        seen: set[bytes] = set()
        for record in clean_records(out, entity):
            assert set(record) <= set(entity.field_names)
            assert all(record.get(field) is not None for field in required), record
            canonical = orjson.dumps(
                {key: value for key, value in record.items() if value is not None},
                option=orjson.OPT_SORT_KEYS,
            )
            assert canonical not in seen
            seen.add(canonical)
        counts = manifest.entities[name]
        assert (counts.bad, counts.duplicates, counts.extra_field_records) == (0, 0, 0)
        assert counts.records == counts.loaded == len(seen)


def test_timestamps_carry_offsets_and_uuids_are_canonical(clean: tuple[Path, Manifest]) -> None:
    out, _ = clean
    stamps = [record["updated_at"] for record in clean_records(out, ENTITIES["project_outcomes"])]
    stamps += [
        record["updated_at"] for record in clean_records(out, ENTITIES["orchestration_sessions"])
    ]
    endings = Counter(
        "Z" if s.endswith("Z") else s[-6:] if s[-6] in "+-" else "naive" for s in stamps
    )
    assert endings["Z"] and endings["+00:00"] and endings["naive"]
    assert any(ending not in ("Z", "+00:00", "naive") for ending in endings)
    assert endings["naive"] < len(stamps) / 10
    for record in clean_records(out, ENTITIES["user_feedback"]):
        for key in ("id", "project_outcome_id"):
            assert len(record[key]) == 36 and record[key] == record[key].lower()


# --------------------------------------------------------------------------- the manifest


@pytest.mark.parametrize("dataset", ["clean", "dirty"])
def test_manifest_counts_equal_the_records_in_the_files(
    dataset: str, request: pytest.FixtureRequest
) -> None:
    out, manifest = request.getfixturevalue(dataset)
    assert read_manifest(out) == manifest
    for name, counts in manifest.entities.items():
        for file in counts.files:
            lines = [number for number, _, _ in read_records(out / name / file.name)]
            assert file.records == len(lines)
            assert file.records == file.loaded + file.bad + file.duplicates
            marked = [n for kind in file.bad_lines.values() for n in kind] + list(
                file.duplicate_lines
            )
            assert len(set(marked)) == len(marked) and set(marked) <= set(lines)
            assert set(file.extra_field_lines) <= set(lines) - set(marked)
        assert counts.current_keys <= counts.loaded


def test_dirty_output_has_every_bad_kind_duplicates_and_extra_fields(
    dirty: tuple[Path, Manifest],
) -> None:
    _, manifest = dirty
    assert all(count >= 1 for count in manifest.bad_by_kind().values()), manifest.bad_by_kind()
    assert set(manifest.bad_by_kind()) == {kind.value for kind in BadKind}
    records = sum(counts.records for counts in manifest.entities.values())
    bad = sum(counts.bad for counts in manifest.entities.values())
    assert 0.08 < bad / records < 0.25  # about the dirty rate
    assert sum(counts.duplicates for counts in manifest.entities.values()) >= 3
    assert sum(counts.extra_field_records for counts in manifest.entities.values()) >= 3


def test_duplicates_repeat_a_record_of_the_same_or_an_earlier_file(
    dirty: tuple[Path, Manifest],
) -> None:
    out, manifest = dirty
    same_file = earlier_file = 0
    for name, counts in manifest.entities.items():
        entity = ENTITIES[name]
        first_seen: dict[bytes, str] = {}
        for file in counts.files:
            bad = {number for lines in file.bad_lines.values() for number in lines}
            for number, raw, header in read_records(out / name / file.name):
                if number in bad:
                    continue
                record = as_mapping(entity, raw, header)
                key = orjson.dumps(
                    {k: v for k, v in record.items() if v is not None}, option=orjson.OPT_SORT_KEYS
                )
                if number in file.duplicate_lines:
                    assert key in first_seen
                    same_file += first_seen[key] == file.name
                    earlier_file += first_seen[key] != file.name
                else:
                    assert key not in first_seen
                    first_seen[key] = file.name
    assert same_file and earlier_file


def test_extra_field_records_carry_one_unknown_field(dirty: tuple[Path, Manifest]) -> None:
    out, manifest = dirty
    for name, counts in manifest.entities.items():
        for file in counts.files:
            extra = set(file.extra_field_lines)
            for number, raw, header in read_records(out / name / file.name):
                if number in extra:
                    record = as_mapping(ENTITIES[name], raw, header)
                    assert len(set(record) - set(ENTITIES[name].field_names)) == 1


def test_the_contract_validator_agrees_with_the_manifest(
    clean: tuple[Path, Manifest], dirty: tuple[Path, Manifest]
) -> None:
    """Line by line: bad lines are rejected, the others accepted; re-deliveries have the hash
    of an earlier record; loaded rows and distinct keys are what the manifest says."""
    validate = pytest.importorskip("ingest.contract.validate")
    for out, manifest in (clean, dirty):
        for name, counts in manifest.entities.items():
            validator = validate.RecordValidator(ENTITIES[name])
            key_index = validator.columns.index(ENTITIES[name].key)
            hashes: set[bytes] = set()
            keys: set[Any] = set()
            for file in counts.files:
                bad = {number for lines in file.bad_lines.values() for number in lines}
                for number, raw, header in read_records(out / name / file.name):
                    outcome = _validate(validate, validator, raw, header)
                    where = f"{name}/{file.name}:{number}"
                    if number in bad:
                        assert isinstance(outcome, validate.Rejected), where
                        continue
                    assert isinstance(outcome, validate.Accepted), (where, outcome)
                    assert (outcome.record_hash in hashes) == (number in file.duplicate_lines)
                    assert bool(outcome.extra) == (number in file.extra_field_lines), where
                    hashes.add(outcome.record_hash)
                    keys.add(outcome.values[key_index])
            assert len(hashes) == counts.loaded
            assert len(keys) == counts.current_keys


def _validate(
    validate: Any, validator: Any, raw: bytes | list[str], header: list[str] | None
) -> Any:
    if header is None:
        return validator.validate_json(raw)
    assert isinstance(raw, list)
    if len(raw) != len(header):
        return validate.Rejected("wrong number of cells")
    # the generator writes null as an unquoted empty cell and never an empty string
    cells = [cell.encode("utf-8", "surrogateescape") if cell else None for cell in raw]
    return validator.validate_cells(tuple(header), cells)


# --------------------------------------------------------------------------- realism


def test_sessions_span_the_90_days_before_now(clean: tuple[Path, Manifest]) -> None:
    out, _ = clean
    created = sorted(
        moment(record["created_at"])
        for record in current(out, ENTITIES["orchestration_sessions"]).values()
    )
    assert len(created) == 300
    assert NOW - timedelta(days=90) <= created[0] < NOW - timedelta(days=85)
    assert NOW - timedelta(days=2) < created[-1] <= NOW
    last_week = sum(when > NOW - timedelta(days=7) for when in created)
    assert 10 < last_week < 100


def test_sessions_start_running_and_later_versions_finish(clean: tuple[Path, Manifest]) -> None:
    """Versions are ordered by updated_at, not by file: a few arrive late, in a later file."""
    out, manifest = clean
    versions: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for record in clean_records(out, ENTITIES["orchestration_sessions"]):
        versions[record["id"]].append((moment(record["updated_at"]), record["status"]))
    late = [history for history in versions.values() if history != sorted(history)]
    assert late  # an older version delivered after a newer one: current = greatest updated_at
    finished = [sorted(history) for history in versions.values() if len(history) > 1]
    assert len(finished) > 200
    assert all(history[0][1] == "running" for history in finished)
    statuses = Counter(max(history)[1] for history in versions.values())
    assert statuses["completed"] > statuses["failed"] > statuses["cancelled"] > 0
    assert manifest.entities["orchestration_sessions"].current_keys == 300


def test_other_mutable_records_get_newer_versions(clean: tuple[Path, Manifest]) -> None:
    out, manifest = clean
    for name in ("project_outcomes", "orchestration_code_metrics", "orchestration_phase_metrics"):
        counts = manifest.entities[name]
        assert counts.loaded > counts.current_keys, name
    builds = Counter(
        record.get("last_build_status")
        for record in current(out, ENTITIES["project_outcomes"]).values()
    )
    assert builds["success"] > builds["failure"] > 0


def test_phase_metrics_are_unique_per_session_and_phase(clean: tuple[Path, Manifest]) -> None:
    out, _ = clean
    metrics = current(out, ENTITIES["orchestration_phase_metrics"]).values()
    pairs = [(record["session_id"], record["phase"]) for record in metrics]
    assert len(pairs) == len(set(pairs))
    durations = [r["duration_seconds"] for r in metrics if r.get("duration_seconds") is not None]
    assert statistics.mean(durations) > statistics.median(durations)  # skewed to the right


def test_template_versions_replace_each_other_with_overlap(clean: tuple[Path, Manifest]) -> None:
    out, _ = clean
    sessions = current(out, ENTITIES["orchestration_sessions"]).values()
    for phase in PHASES:
        used: dict[str, list[datetime]] = defaultdict(list)
        for record in sessions:
            if record.get(f"{phase}_template"):
                used[record[f"{phase}_template"]].append(moment(record["created_at"]))
        spans = sorted((min(times), max(times)) for times in used.values())
        assert len(spans) >= 2, phase
        assert any(later[0] < earlier[1] for earlier, later in pairwise(spans)), phase
        assert spans[-1][1] > spans[0][1]  # the newest outlives the oldest


def test_pattern_popularity_is_skewed_and_some_patterns_were_renamed(
    clean: tuple[Path, Manifest],
) -> None:
    out, _ = clean
    projects = current(out, ENTITIES["project_outcomes"]).values()
    assert 100 < len(projects) < 200  # about one project per two sessions
    popularity = Counter(record["pattern_id"] for record in projects)
    assert 8 <= len(popularity) <= 12
    counts = sorted(popularity.values(), reverse=True)
    assert counts[0] >= 0.25 * len(projects)
    assert counts[0] >= 3 * statistics.median(counts)
    names: dict[str, set[str]] = defaultdict(set)
    for record in projects:
        names[record["pattern_id"]].add(record["pattern_name"])
    assert any(len(pattern_names) == 2 for pattern_names in names.values())


def test_feedback_developers_and_sessions_look_like_real_use(clean: tuple[Path, Manifest]) -> None:
    out, _ = clean
    feedback = list(clean_records(out, ENTITIES["user_feedback"]))
    reuse = Counter(record.get("likelihood_to_reuse") for record in feedback)
    assert len([score for score in reuse if score is not None]) >= 8  # spread over 1..10
    per_project = Counter(record["project_outcome_id"] for record in feedback)
    assert max(per_project.values()) >= 2
    sessions = list(current(out, ENTITIES["orchestration_sessions"]).values())
    developers = Counter(record.get("user_identifier") for record in sessions)
    assert 0 < developers[None] < len(sessions) / 5
    active = sorted((n for who, n in developers.items() if who is not None), reverse=True)
    assert active[0] >= 4 * active[len(active) // 2]
    scores = [record.get("complexity_score") for record in sessions]
    assert 0 < scores.count(None) < len(sessions) / 4
    assert all(0 <= score <= 10 for score in scores if score is not None)
    categories = [(record.get("metadata") or {}).get("feature_category") for record in sessions]
    assert 0 < categories.count(None) < len(sessions) / 4
    events = Counter(
        record["session_id"] for record in clean_records(out, ENTITIES["orchestration_events"])
    )
    assert 10 < sum(events.values()) / len(sessions) < 20
    code = current(out, ENTITIES["orchestration_code_metrics"])
    assert len(code) > len(sessions) / 2


# --------------------------------------------------------------------------- arguments, reruns


@pytest.mark.parametrize(
    "arguments",
    [
        {"dirty_rate": 1.5},
        {"dirty_rate": -0.1},
        {"sessions": -1},
    ],
)
def test_rejects_arguments_out_of_range(tmp_path: Path, arguments: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path, **arguments)
    assert not any(tmp_path.iterdir())


def test_a_rerun_replaces_the_files_of_the_earlier_run_and_keeps_others(tmp_path: Path) -> None:
    generate(tmp_path, sessions=10, seed=1, now=NOW)
    foreign = tmp_path / "user_feedback" / "from-the-api.jsonl"
    foreign.write_text("")
    manifest = generate(tmp_path, sessions=10, seed=2, now=NOW + timedelta(days=3))
    for name, counts in manifest.entities.items():
        names = {path.name for path in (tmp_path / name).iterdir()}
        expected = {file.name for file in counts.files}
        assert names == expected | ({foreign.name} if name == "user_feedback" else set())
    assert not list(tmp_path.rglob("*.part"))


def test_zero_sessions_writes_empty_files_and_a_manifest(tmp_path: Path) -> None:
    manifest = generate(tmp_path, sessions=0, now=NOW)
    assert all(counts.records == 0 for counts in manifest.entities.values())
    assert len(list(tmp_path.rglob("*.csv"))) == len(ENTITIES)
