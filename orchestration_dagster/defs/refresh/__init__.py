"""Refresh area: the nightly job over every raw table and dbt, and the schedule that starts it."""
