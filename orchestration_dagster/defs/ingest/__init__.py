"""Ingest area: the raw tables, loaded from the landing directory by ingest/."""
