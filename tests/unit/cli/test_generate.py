"""`forge-warehouse generate`: the demo's data ends when it is made, and WHEN pins it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from typer.testing import CliRunner

from cli.app import app
from synthetic import current_hour, read_manifest


def _generate(out: Path, *extra: str) -> None:
    result = CliRunner().invoke(
        app, ["generate", "--out", str(out), "--sessions", "3", "--seed", "5", *extra]
    )
    assert result.exit_code == 0, result.output


def test_the_data_ends_in_the_current_hour_by_default(tmp_path: Path) -> None:
    before = current_hour()
    _generate(tmp_path / "landing")
    after = current_hour()

    assert read_manifest(tmp_path / "landing").now in (before, after)


def test_a_given_end_gives_byte_identical_files_whenever_they_are_made(tmp_path: Path) -> None:
    _generate(tmp_path / "a", "--now", "2026-03-04T05:00:00Z")
    _generate(tmp_path / "b", "--now", "2026-03-04T05:00:00Z")

    assert read_manifest(tmp_path / "a").now == dt.datetime(2026, 3, 4, 5, tzinfo=dt.UTC)
    files = sorted(path.relative_to(tmp_path / "a") for path in (tmp_path / "a").rglob("*.*"))
    assert files
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
