"""`python -m ingest.sources.files DIR` loads a landing directory (same as `ingest files DIR`)."""

import sys

from ingest.cli import main

sys.argv[1:1] = ["ingest", "files"]
main()
