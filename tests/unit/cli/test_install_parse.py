"""`make install`'s preparation of the first refresh's parse state (cli/install_parse.py): a bad
setting in the environment is one line and no failed install, and a state kept already is
left as it is (no dbt runs)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from cli import install_parse
from core import dbt_parse_state
from core.settings import get_settings
from core.warehouse import expected_dsn
from orchestration_dagster.lib.test_scope import scope_vars


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("variable", "value"),
    [("WAREHOUSE_DSN", "not a dsn"), ("FORGE_SCHEDULE_TIMEZONE", "Mars/Base")],
)
def test_a_bad_setting_is_one_line_and_the_install_goes_on(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(variable, value)
    assert install_parse.main() == 0
    err = capsys.readouterr().err
    assert err.startswith("dbt parse state for the first refresh not prepared: ")
    assert variable in err or "DSN" in err
    assert len(err.strip().splitlines()) == 1


def test_a_state_kept_already_is_left_and_dbt_does_not_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a warehouse of this test's own, so the state is no other's
    monkeypatch.setenv("WAREHOUSE_DSN", f"postgresql://forge@db.example:5432/{uuid.uuid4().hex}")
    settings = get_settings()
    state = dbt_parse_state.state_file(
        settings.dbt_project_dir / "target", expected_dsn(settings), scope_vars(every_row=False)
    )
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_bytes(b"kept")  # not a parse state: dbt would fail on it, and replace it
    try:
        assert install_parse.main() == 0
        assert state.read_bytes() == b"kept"
    finally:
        state.unlink(missing_ok=True)
