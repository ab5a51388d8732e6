"""The API cursor: where a pull starts, and how each committed page moves it."""

from __future__ import annotations

from typing import Any

import pytest

from core.exceptions import IngestError
from core.settings import Settings
from ingest.sources.api.extract import ingest_api, next_cursor, start_offset


@pytest.mark.parametrize(
    ("watermark", "offset"),
    [
        (None, 0),  # first pull
        ({"offset": 300, "complete": False}, 300),  # after a crash or a bad page: resume there
        # after a complete pull: from the start again, the loader skips what it has
        ({"offset": 300, "complete": True}, 0),
        ({"offset": 0, "complete": False}, 0),
        # unreadable cursors start over (re-reads are only counted as duplicates)
        ({"offset": -3, "complete": False}, 0),
        ({"offset": "300", "complete": False}, 0),
        ({"offset": True, "complete": False}, 0),
        ({"offset": 300}, 0),
        ("300", 0),
    ],
)
def test_a_pull_starts_at_the_stored_offset_only_when_the_last_pull_did_not_finish(
    watermark: Any, offset: int
) -> None:
    assert start_offset(watermark) == offset


@pytest.mark.parametrize(
    ("offset", "count", "limit", "cursor"),
    [
        (0, 500, 500, {"offset": 500, "complete": False}),  # a full page: there may be more
        (500, 499, 500, {"offset": 999, "complete": True}),  # a short page is the last
        (1000, 0, 500, {"offset": 1000, "complete": True}),  # an empty page too
    ],
)
def test_each_page_moves_the_cursor_past_its_records(
    offset: int, count: int, limit: int, cursor: dict[str, Any]
) -> None:
    assert next_cursor(offset, count, limit) == cursor


def test_an_entity_the_api_does_not_serve_is_refused_before_any_request() -> None:
    with pytest.raises(IngestError, match="no entity orchestration_events"):
        ingest_api(None, "http://x", settings=Settings(), entities=("orchestration_events",))  # type: ignore[arg-type]
