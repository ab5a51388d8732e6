"""Values that once crashed a load or changed on their way in: each is a reject naming its field,
or is kept exactly as sent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import orjson
import pytest

from ingest.contract import jsontext
from ingest.contract.entities import ENTITIES
from ingest.contract.validate import Accepted, RecordValidator, Rejected, TimeWindow
from tests.factories import record

NOW = dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC)
EVENTS = RecordValidator(ENTITIES["orchestration_events"], TimeWindow.around(NOW))
OUTCOMES = RecordValidator(ENTITIES["project_outcomes"], TimeWindow.around(NOW))
DEEP = b'{"a":' * 10_000 + b"1" + b"}" * 10_000


def _line(**extra_text: bytes) -> bytes:
    """A valid event line with raw JSON text appended for each named field."""
    body = orjson.dumps(record("orchestration_events"))[:-1]
    for name, text in extra_text.items():
        body += b',"' + name.encode() + b'":' + text
    return body + b"}"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        # invalid UTF-8 inside a nested object (once passed to Postgres, which failed the file)
        (_line(metadata=b'{"host": "\xc3\x28"}'), 'field "metadata" is not valid UTF-8'),
        (_line(metadata=b'{"n": 0.' + b"0" * 16_383 + b"1}"), 'field "metadata" holds the number'),
        (_line(metadata=DEEP), 'field "metadata" nests JSON deeper than 512 levels'),
        (_line(surplus=DEEP), 'field "surplus" nests JSON deeper than 512 levels'),
        (_line(metadata=b'{"k": "\\ud800"}'), 'field "metadata" holds an unpaired surrogate'),
        (_line(metadata=b'{"k\\u0000": 1}'), 'field "metadata" holds a NUL character'),
        (_line(**{"x\\u0000y": b"1"}), 'an unknown field\'s name "x\\u0000y" holds a NUL'),
        (_line(surplus=b'{"n": 1e200000}'), 'unknown field "surplus" holds the number 1e200000'),
        (_line(metadata=b"[1, 2]"), 'field "metadata" must be a JSON object, got [1, 2]'),
        (_line(duration_ms=b"1e400"), 'field "duration_ms" must be an integer, got 1e400'),
        (_line(surplus=b'"\\udc80 lone"'), 'field "surplus" holds an unpaired surrogate'),
    ],
)
def test_values_postgres_cannot_store_are_rejects_naming_the_field(
    line: bytes, reason: str
) -> None:
    outcome = EVENTS.validate_json(line)
    assert isinstance(outcome, Rejected), outcome
    assert reason in outcome.reason


def test_a_nested_number_beyond_numeric_is_named_once_postgres_refuses_it() -> None:
    """The hot path leaves nested numbers to Postgres (no scan for clean records); when Postgres
    refuses the row, the loader asks storage_problem for the exact reason."""
    outcome = EVENTS.validate_json(_line(metadata=b'{"n": 1e200000}'))
    problem = outcome.reason if isinstance(outcome, Rejected) else EVENTS.storage_problem(outcome)
    assert problem is not None and 'field "metadata" holds the number 1e200000' in problem
    clean = EVENTS.validate_json(_line(metadata=b'{"n": 1e300}'))
    assert isinstance(clean, Accepted) and EVENTS.storage_problem(clean) is None


def test_integers_beyond_64_bits_keep_every_digit_in_nested_json_and_extra() -> None:
    big = b"123456789012345678901234567890"
    outcome = EVENTS.validate_json(
        _line(metadata=b'{"n": ' + big + b', "f": 1.10}', surplus=b'{"n": ' + big + b"}")
    )
    assert isinstance(outcome, Accepted), outcome
    metadata = outcome.values[EVENTS.columns.index("metadata")]
    assert metadata == b'\x01{"n": ' + big + b', "f": 1.10}'  # the text as sent, jsonb's header
    assert outcome.extra == b'{"surplus":{"n": ' + big + b"}}"
    assert outcome.extra_names == ("surplus",)


def test_a_line_off_the_hot_path_keeps_nested_text_exactly_too() -> None:
    # an offset-less timestamp takes the slow path; the nested object must not be re-encoded
    line = orjson.dumps(record("orchestration_events", timestamp="2025-03-01T10:01:00"))[:-1]
    line += b',"metadata": {"n": 12345678901234567890123, "s": "caf\\u00e9"}}'
    outcome = EVENTS.validate_json(line)
    assert isinstance(outcome, Accepted), outcome
    metadata = outcome.values[EVENTS.columns.index("metadata")]
    assert metadata == b'\x01{"n": 12345678901234567890123, "s": "caf\\u00e9"}'


@pytest.mark.parametrize(
    ("stamp", "accepted"),
    [
        ("2000-01-01T00:00:00Z", True),
        ("1999-12-31T23:59:59Z", False),
        ("0001-01-01T00:00:00Z", False),
        ("9999-12-31T23:59:59-12:00", False),  # year 10000 in UTC
        ("2026-01-16T11:59:59Z", True),  # within a day after the load
        ("2026-01-16T12:00:01Z", False),
        ("2026-01-16T13:00:00", False),  # offset-less: UTC
    ],
)
def test_timestamps_outside_the_plausible_window_are_rejected(stamp: str, accepted: bool) -> None:
    outcome = EVENTS.validate_json(orjson.dumps(record("orchestration_events", timestamp=stamp)))
    if accepted:
        assert isinstance(outcome, Accepted), outcome
    else:
        assert isinstance(outcome, Rejected), stamp
        assert 'field "timestamp" is ' in outcome.reason
        assert "outside the plausible window 2000-01-01T00:00:00Z to 2026-01-16T12:00:00Z" in (
            outcome.reason
        )


@pytest.mark.parametrize(
    ("stamp", "kept"),
    [
        ("2025-12-31T23:59:59.999999Z", dt.datetime(2025, 12, 31, 23, 59, 59, 999999, dt.UTC)),
        ("2025-12-31T23:59:59.9999999Z", None),  # would round to 2026-01-01
        ("2025-12-31T23:59:59.1234567+01:00", None),
        ("2025-12-31T23:59:59.123456789", None),  # offset-less: the slow path
    ],
)
def test_a_timestamp_finer_than_a_microsecond_is_rejected_not_rounded(
    stamp: str, kept: dt.datetime | None
) -> None:
    line = orjson.dumps(record("orchestration_events", timestamp=stamp))
    cells = {
        name: None if value is None else str(value)
        for name, value in record("orchestration_events", timestamp=stamp).items()
        if not isinstance(value, dict)
    }
    for outcome in (EVENTS.validate_json(line), EVENTS.validate_text_record(cells)):
        if kept is not None:
            assert isinstance(outcome, Accepted), outcome
            assert kept in outcome.values
        else:
            assert isinstance(outcome, Rejected), stamp
            assert 'field "timestamp" has more than 6 digits after the second' in outcome.reason


@pytest.mark.parametrize(
    ("text", "accepted"),
    [(b"1e-400", False), (b"-2.5E-330", False), (b"1e-300", True), (b"0e-400", True)],
)
def test_a_float_too_close_to_zero_for_a_double_is_rejected_not_stored_as_zero(
    text: bytes, accepted: bool
) -> None:
    validator = RecordValidator(ENTITIES["orchestration_phase_metrics"], TimeWindow.around(NOW))
    fields = {k: v for k, v in record("orchestration_phase_metrics").items() if k != "temperature"}
    line = orjson.dumps(fields)[:-1] + b',"temperature":' + text + b"}"
    cells = {name: None if value is None else str(value) for name, value in fields.items()}
    for outcome in (
        validator.validate_json(line),
        validator.validate_text_record(cells | {"temperature": text.decode()}),
    ):
        if accepted:
            assert isinstance(outcome, Accepted), outcome
        else:
            assert isinstance(outcome, Rejected), text
            assert 'field "temperature" is too close to 0' in outcome.reason


def test_text_that_looks_like_a_fine_timestamp_stays_text() -> None:
    line = orjson.dumps(record("orchestration_events", result="at 10:00:00.1234567Z"))
    assert isinstance(EVENTS.validate_json(line), Accepted)


def test_the_window_comes_from_the_settings() -> None:
    from core.settings import Settings

    settings = Settings(earliest_timestamp="2020-01-01T00:00:00Z", future_tolerance_hours=1)
    window = TimeWindow.from_settings(settings, NOW)
    assert window == TimeWindow(dt.datetime(2020, 1, 1, tzinfo=dt.UTC), NOW + dt.timedelta(hours=1))


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (b"97.5", Decimal("97.5")),
        (b"97.50", Decimal("97.50")),
        (b"97.500", Decimal("97.500")),  # the same value: numeric(5,2) stores 97.50
        (b"97.555", None),  # numeric(5,2) would round it: refused instead
        (b"99.99499999999999999999", None),  # a float would have rounded it to 99.995
        (b"100.01", None),
    ],
)
def test_numeric_values_are_read_as_decimals_never_rounded(
    text: bytes, kept: Decimal | None
) -> None:
    line = orjson.dumps(record("project_outcomes", test_pass_rate=1.0)).replace(b"1.0", text)
    outcome = OUTCOMES.validate_json(line)
    if kept is None:
        assert isinstance(outcome, Rejected), outcome
        assert 'field "test_pass_rate"' in outcome.reason
    else:
        assert isinstance(outcome, Accepted), outcome
        value = outcome.values[OUTCOMES.columns.index("test_pass_rate")]
        assert value == kept and str(value) == str(kept)


def test_a_quoted_empty_csv_cell_is_an_empty_string_and_an_unquoted_one_null() -> None:
    cells: dict[str, str | None] = {
        name: orjson.dumps(value).decode() if isinstance(value, list | dict) else str(value)
        for name, value in record("project_outcomes").items()
    }
    outcome = OUTCOMES.validate_text_record({**cells, "deployment_status": "", "user_id": None})
    assert isinstance(outcome, Accepted), outcome
    values = dict(zip(OUTCOMES.columns, outcome.values, strict=True))
    assert values["deployment_status"] == "" and values["user_id"] is None


def test_json_number_limits_match_postgres_numeric() -> None:
    assert jsontext.numeric_problem("9" * 131_072) is None
    assert jsontext.numeric_problem("9" * 131_073) is not None
    assert jsontext.numeric_problem("1e131071") is None
    assert jsontext.numeric_problem("1e131072") is not None
    assert jsontext.numeric_problem("0." + "0" * 16_382 + "1") is None
    assert jsontext.numeric_problem("1e-16384") is not None


@pytest.mark.parametrize("text", [b'"97.5"', b'"NaN"', b"true", b"[1]"])
def test_a_numeric_field_takes_json_numbers_only(text: bytes) -> None:
    line = orjson.dumps(record("project_outcomes", test_pass_rate=1.0)).replace(b"1.0", text)
    outcome = OUTCOMES.validate_json(line)
    assert isinstance(outcome, Rejected), outcome
    assert 'field "test_pass_rate" must be a number' in outcome.reason
