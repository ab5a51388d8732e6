"""Pure helpers the defs share (calendars, dbt arguments, translators), unit-tested alone."""
