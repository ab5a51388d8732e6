"""The terminal every command writes to: one rich Console, never reading data as markup."""

from __future__ import annotations

import sys

from rich.console import Console

# off a terminal (CI, logs) rich would wrap at 80 columns; tables read better wider
console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
