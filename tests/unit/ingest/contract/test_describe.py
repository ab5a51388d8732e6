"""The README's field tables are the contract in code, written out: they never drift."""

from __future__ import annotations

import pytest

from core.settings import PROJECT_DIR
from ingest.contract.describe import BEGIN, END, entity_table, fields_markdown, rewrite
from ingest.contract.entities import ENTITIES, Field, Kind


def test_the_readme_holds_the_tables_the_contract_writes() -> None:
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    assert fields_markdown() in readme, (
        "README.md's field tables differ from ingest/contract/entities.py: run "
        "python -m ingest.contract.describe --write README.md"
    )


def test_every_field_of_every_entity_has_a_row() -> None:
    for entity in ENTITIES.values():
        table = entity_table(entity)
        for field in entity.fields:
            assert f"| `{field.name}` |" in table


@pytest.mark.parametrize(
    ("field", "says"),
    [
        (Field("status", Kind.TEXT, max_length=20, choices=("a", "b")), "one of `a`, `b`"),
        (Field("rating", Kind.SMALLINT, minimum=1, maximum=5), "1 to 5"),
        (Field("name", Kind.TEXT, max_length=255), "at most 255 characters"),
        (Field("rate", Kind.NUMERIC_5_2, minimum=0, maximum=100), "0 to 100"),
        (Field("at", Kind.TIMESTAMP), "plausible-time window"),
    ],
)
def test_a_rule_reads_as_the_contract_states_it(field: Field, says: str) -> None:
    assert says in entity_table(
        ENTITIES["user_feedback"].__class__("x", "s", "id", False, (field,))
    )


def test_rewriting_needs_the_markers() -> None:
    with pytest.raises(ValueError, match="no field tables"):
        rewrite("no markers here")
    assert rewrite(f"a\n{BEGIN}\nold\n{END}\nb") == f"a\n{fields_markdown()}\nb"
