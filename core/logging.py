"""Log setup for the CLI and jobs: plain lines on stderr, library chatter kept quiet."""

from __future__ import annotations

import logging
import sys

_QUIET = ("pgserver", "yoyo", "urllib3", "filelock")


def configure_logging(verbose: bool = False) -> None:
    """Send our log lines to stderr; third-party loggers only from WARNING up."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
