"""Fixtures of the integration tier beyond the root conftest's test database."""

from __future__ import annotations

import pytest

from tests.built import Built, build


@pytest.fixture(scope="session")
def built(warehouse_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The shared warehouse (tests/built.py), built once per session (once per pytest-xdist
    worker that runs a module reading it) in the session's test database. The modules that use
    it only read it, and run first (the root conftest orders them), so no other data comes in
    between."""
    return build(warehouse_dsn, tmp_path_factory.mktemp("analytics"))
