"""Where an incremental extract starts reading: the watermark minus the overlap."""

from __future__ import annotations

import datetime as dt

from core.settings import Settings
from ingest.sources.postgres.extract import overlap_window, stored_value

SETTINGS = Settings(source_overlap_seconds=600, source_overlap_ids=100)


def test_first_extract_reads_everything() -> None:
    assert overlap_window("updated_at", None, SETTINGS).since is None
    assert overlap_window("id", {"other": 1}, SETTINGS).since is None


def test_timestamp_watermarks_step_back_by_the_overlap() -> None:
    window = overlap_window("updated_at", {"updated_at": "2025-03-01T12:00:00+00:00"}, SETTINGS)
    assert window.since == dt.datetime(2025, 3, 1, 11, 50, tzinfo=dt.UTC)


def test_id_watermarks_step_back_but_never_below_zero() -> None:
    assert overlap_window("id", {"id": 1000}, SETTINGS).since == 900
    assert overlap_window("id", {"id": 5}, SETTINGS).since == 0


def test_stored_values_are_typed_by_column() -> None:
    assert stored_value("id", {"id": "42"}) == 42
    assert stored_value("submitted_at", {"submitted_at": "2025-01-01T00:00:00Z"}) == dt.datetime(
        2025, 1, 1, tzinfo=dt.UTC
    )
