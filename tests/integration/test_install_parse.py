"""What `make install` prepares for the first refresh (cli/install_parse.py) is keyed by the
address the embedded warehouse will have, computed before it exists: it must be the one the
started server gives, or the first refresh parses the whole dbt project again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core import dbt_parse_state, embedded
from core.db import dbt_env
from core.settings import PROJECT_DIR
from orchestration_dagster.lib.test_scope import scope_vars

pytestmark = pytest.mark.integration


@pytest.mark.skipif("WAREHOUSE_DSN" in os.environ, reason="the tests use an external server")
def test_the_embedded_warehouses_address_is_known_before_it_starts(tmp_path: Path) -> None:
    pgdata = PROJECT_DIR / ".warehouse" / "test-pgdata"
    started = embedded.start(pgdata, "postgres")
    expected = embedded.address(pgdata, "postgres")
    assert dbt_env(expected) == dbt_env(started)  # what dbt's profile, and its parse state, see
    night = scope_vars(every_row=False)
    assert dbt_parse_state.state_file(tmp_path, expected, night) == dbt_parse_state.state_file(
        tmp_path, started, night
    )
