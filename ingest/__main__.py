"""`python -m ingest` runs the forge-warehouse command line."""

from ingest.cli import main

main()
