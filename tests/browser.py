"""The system Chromium the page tests drive, and what an offline page must never ask for."""

from __future__ import annotations

import re
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# the SVG namespace names are identifiers, never fetched, and url(#id) points inside the page:
# everything else would leave the file
NAMESPACES = re.compile(r'xmlns(:\w+)?="http://www\.w3\.org/[^"]*"')
OUTSIDE = re.compile(r"(?i)(https?:|//[a-z]|<script|<link|@import|url\((?!#))")
