"""The terminal every command writes to: one rich Console that never reads data as markup."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.text import Text

# Markup and emoji codes are off: a field name such as "[/x]" or ":fire:" in a reject reason or a
# file name is printed as it is, never interpreted. Colour comes only from `red`/`green` below.
# Off a terminal (CI, logs) rich would wrap at 80 columns; tables read better wider.
console = Console(
    highlight=False,
    markup=False,
    emoji=False,
    width=None if sys.stdout.isatty() else 120,
)


def red(text: str) -> Text:
    """`text` in red, as a label before plain data."""
    return Text(text, style="red")


def green(text: str) -> Text:
    return Text(text, style="green")
