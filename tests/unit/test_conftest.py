"""tests/conftest.py's order: the modules it names as the slowest exist (a renamed one would
quietly go back to its place in the alphabet)."""

from __future__ import annotations

from core.settings import PROJECT_DIR
from tests.conftest import BUILT, SLOWEST


def test_the_slowest_modules_the_order_names_exist_outside_the_built_folder() -> None:
    assert [module for module in SLOWEST if not (PROJECT_DIR / module).is_file()] == []
    assert not any(module.startswith(BUILT) for module in SLOWEST)
