"""One folder per area: ingest (raw tables, landing sensor), dbt (models, tests, source freshness),
refresh (the nightly job and schedule), alerts. definitions.py composes them; lib/ holds the pure
helpers they share."""
