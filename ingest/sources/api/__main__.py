"""`python -m ingest.sources.api --base-url URL` pulls the API (same as `ingest api`)."""

import sys

from ingest.cli import main

sys.argv[1:1] = ["ingest", "api"]
main()
