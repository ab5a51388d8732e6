"""The operational Postgres of both systems, read incrementally (sql/source holds its DDL)."""
