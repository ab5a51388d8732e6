"""The environment dbt runs in: the warehouse's connection variables, set around a call.

Custom: DbtCliResource hands dbt a copy of os.environ and reads the profile in this process
too, and profiles.yml reads the connection from env_var() only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from core.db import dbt_env

# `dbt parse` renders the profile but never connects, so any connection values will do.
PARSE_DSN = "postgresql://dbt@localhost:5432/parse"


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of the block, then restore them."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def parse_environment() -> dict[str, str]:
    """What `dbt parse` needs from profiles.yml, for the variables not set already."""
    return {name: value for name, value in dbt_env(PARSE_DSN).items() if name not in os.environ}
