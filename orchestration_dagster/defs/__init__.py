"""One folder per area (ingest, dbt, alerts); the nightly job and schedule (schedules.py), its
timing and refresh tag (nightly.py) and the retry rule (retries.py) beside them.
definitions.py composes them."""
