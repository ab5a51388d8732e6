"""The modules of this folder read one shared built warehouse (tests/built.py), and only they
see its fixture. Under pytest-xdist they run on one worker, before anything else it runs (the
root conftest's scheduler and order), so the warehouse is built once per session and no other
module's data comes in between."""

from __future__ import annotations

import pytest

from tests.built import Built, build


@pytest.fixture(scope="session")
def built(warehouse_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The shared warehouse, built in the session's test database. The modules that use it only
    read it."""
    return build(warehouse_dsn, tmp_path_factory.mktemp("analytics"))
