"""Hypothesis strategies for hostile input, and the test profiles (seeded and bounded by default).

`FORGE_HYPOTHESIS_PROFILE=long` runs many more examples, not seeded, on demand:

    FORGE_HYPOTHESIS_PROFILE=long .venv/bin/pytest -m "integration or not integration" \\
        tests/unit/ingest/test_properties.py tests/integration/test_ingest_properties.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from ingest.contract.entities import ENTITIES

settings.register_profile(
    "forge",
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,  # nothing written into the work tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long",
    max_examples=2_000,
    derandomize=False,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("FORGE_HYPOTHESIS_PROFILE", "forge"))


class Raw(str):
    """JSON text to splice in as it is (a number no Python type writes that way, say)."""


# text as hostile as JSON can carry: NUL, lone surrogates, markup, line breaks, right-to-left
hostile_text = st.one_of(
    st.text(max_size=20),
    st.text(st.characters(codec=None, exclude_categories=()), max_size=10),
    st.sampled_from(["[/x]", "[/]", "[bold]", ":fire:", "\x00", "a\nb", '"', "\\", "\u202e", ""]),
)
big_integers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**53 + 1, 2**64, -(2**63) - 1, 10**30, 123456789012345678901234567890]),
)
json_numbers = st.one_of(
    big_integers,
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["1e200000", "1e-200000", "1E+2", "-0", "0.1000", "1e131071"]).map(
        lambda text: Raw(text)
    ),
)
json_scalars = st.one_of(st.none(), st.booleans(), big_integers, hostile_text, json_numbers)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)
    ),
    max_leaves=12,
)
json_objects = st.dictionaries(hostile_text, json_values, max_size=5)


def encode(value: Any, *, ascii_only: bool) -> bytes:
    """JSON text of a value holding big integers, raw numbers and any text (lone surrogates are
    written as escapes; a text that is not UTF-8 cannot be written otherwise)."""
    if isinstance(value, Raw):
        return value.encode()
    if isinstance(value, dict):
        parts = [
            encode(str(key), ascii_only=ascii_only) + b":" + encode(item, ascii_only=ascii_only)
            for key, item in value.items()
        ]
        return b"{" + b",".join(parts) + b"}"
    if isinstance(value, list):
        return b"[" + b",".join(encode(item, ascii_only=ascii_only) for item in value) + b"]"
    text = json.dumps(value, ensure_ascii=ascii_only, allow_nan=False)
    return text.encode("utf-8", "backslashreplace" if not ascii_only else "strict")


EVENT_FIELDS = tuple(field.name for field in ENTITIES["orchestration_events"].fields)
timestamps = st.one_of(
    st.datetimes(
        min_value=dt.datetime(1990, 1, 1),
        max_value=dt.datetime(2030, 1, 1),
    ).map(lambda stamp: stamp.isoformat() + "Z"),
    st.sampled_from(
        ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59-12:00", "2025-03-01T10:01:00", "[/] x"]
    ),
)


@st.composite
def event_records(draw: st.DrawFn, event_id: int) -> dict[str, Any]:
    """An orchestration event with some fields hostile, nested JSON and unknown fields."""
    from tests.factories import record

    base: dict[str, Any] = dict(record("orchestration_events", id=event_id))
    for name in draw(st.lists(st.sampled_from(EVENT_FIELDS[1:]), max_size=2, unique=True)):
        base[name] = draw(json_values)
    base["timestamp"] = draw(st.one_of(st.none(), timestamps))
    base["metadata"] = draw(st.one_of(st.none(), json_objects, json_values))
    base["parameters"] = draw(st.one_of(st.none(), json_objects))
    base["command"] = draw(st.one_of(st.none(), hostile_text))
    names = hostile_text.filter(lambda name: name not in EVENT_FIELDS)
    base.update(draw(st.dictionaries(names, json_values, max_size=3)))
    return base


hostile_lines = st.one_of(
    st.binary(max_size=120),
    st.sampled_from([b"", b"\xef\xbb\xbf{}", b"[1]", b"null", b'{"id": 1e200000}']),
)
