"""The Dagster code location: `definitions.py` composes `defs/<area>/`; `lib/` holds the pure
helpers they share."""
