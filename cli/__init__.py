"""The forge-warehouse command line: the one package that composes ingest, dbt, Dagster and
analytics."""
