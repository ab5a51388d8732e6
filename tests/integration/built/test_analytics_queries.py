"""Every example query of sql/analyst/ runs as a BI login over a real build and answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from core.settings import PROJECT_DIR
from tests.built import Built
from tests.logins import login

pytestmark = pytest.mark.integration

QUERIES = sorted((PROJECT_DIR / "sql" / "analyst").glob("*.sql"))


@pytest.fixture(scope="module")
def bi(built: Built) -> Iterator[str]:
    with login(built.dsn) as (_, dsn):
        yield dsn


def test_there_is_a_query_for_each_of_the_seeds_questions() -> None:
    names = {path.stem for path in QUERIES}
    assert {
        "best_patterns_by_nps",
        "slowest_phases_by_p95",
        "templates_that_improved_success_rate",
        "who_saves_the_most_time",
    } <= names


@pytest.mark.parametrize("path", QUERIES, ids=[path.stem for path in QUERIES])
def test_an_example_query_runs_as_the_bi_login_and_answers(bi: str, path: Path) -> None:
    with psycopg.connect(bi) as conn:
        cursor = conn.execute(path.read_text(encoding="utf-8").encode())
        rows = cursor.fetchall()
    assert cursor.description is not None
    assert rows, f"{path.name} returned no rows on the synthetic warehouse"
