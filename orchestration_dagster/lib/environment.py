"""What `dbt parse` needs from the environment when no warehouse is configured.

Custom: DbtCliResource hands dbt a copy of os.environ and reads the profile in this process
too, and profiles.yml reads the connection from env_var() only (set around a call with
core.db.environment).
"""

from __future__ import annotations

import os

from core.db import dbt_env

# `dbt parse` renders the profile but never connects, so any connection values will do.
PARSE_DSN = "postgresql://dbt@localhost:5432/parse"


def parse_environment() -> dict[str, str]:
    """What `dbt parse` needs from profiles.yml, for the variables not set already."""
    return {name: value for name, value in dbt_env(PARSE_DSN).items() if name not in os.environ}
