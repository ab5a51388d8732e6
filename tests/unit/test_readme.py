"""The README's reference tables name every command of the CLI and every setting it reads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer

from cli.app import app
from core.settings import PROJECT_DIR, Settings, environment_variable

README = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")


def _command_paths() -> Iterator[str]:
    def walk(command: Any, path: tuple[str, ...]) -> Iterator[str]:
        subcommands = getattr(command, "commands", {})
        if not subcommands or getattr(command, "invoke_without_command", False):
            yield " ".join(path)
        for name, sub in sorted(subcommands.items()):
            yield from walk(sub, (*path, name))

    yield from walk(typer.main.get_command(app), ())


COMMAND_CELLS = re.findall(r"^\| `forge-warehouse ([^`]*)` \|", README, re.M)


@pytest.mark.parametrize("command", [path for path in _command_paths() if path])
def test_every_command_has_a_row_in_the_command_table(command: str) -> None:
    group, _, sub = command.partition(" ")
    rows = [cell.replace("\\|", "|") for cell in COMMAND_CELLS]
    documented = any(
        cell.split()[0] == group
        and (not sub or re.search(rf"(^|[\s|]){re.escape(sub)}(\s|$|\[)", cell[len(group) :]))
        for cell in rows
    )
    assert documented, f"`forge-warehouse {command}` has no row in README's command table"


SETTINGS_CELLS = " ".join(
    re.findall(r"^\| (`(?:FORGE_|WAREHOUSE_|DAGSTER_)[^|]*) \|", README, re.M)
)


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_has_a_row_in_the_settings_table(field: str) -> None:
    variable = environment_variable(field)
    assert f"`{variable}`" in SETTINGS_CELLS, f"{variable} is not in README's settings table"
