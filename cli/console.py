"""The terminal every command writes to: rich Consoles (stdout, and stderr for the error a
command ends on) that never read data as markup."""

from __future__ import annotations

import re
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
# The sentence a command ends on when it fails goes to stderr, as a shell expects: a script
# reading a command's output (`forge-warehouse db env`, `metrics query --format csv`) never
# takes the error for data, and `2>` finds it.
error_console = Console(
    stderr=True,
    highlight=False,
    markup=False,
    emoji=False,
    width=None if sys.stderr.isatty() else 120,
)


def red(text: str) -> Text:
    """`text` in red, as a label before plain data."""
    return Text(text, style="red")


def green(text: str) -> Text:
    return Text(text, style="green")


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
_LONG_RUN = re.compile(r"""[^\s;,'"]{201,}""")


def printable_message(message: str) -> str:
    """An error message as the terminal shows it: control characters (an escape sequence
    echoed from an argument) written as \\xNN, and any run of 200+ characters without a space
    (a pasted 100 kB value) cut to its ends."""
    message = _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", message)
    return _LONG_RUN.sub(
        lambda match: (
            f"{match.group()[:80]}...({len(match.group())} characters)...{match.group()[-20:]}"
        ),
        message,
    )
