"""The warehouse contract in code: entities, their fields, and how a record is validated."""
