"""One folder per area (ingest, dbt) plus the nightly schedule; definitions.py composes them."""
