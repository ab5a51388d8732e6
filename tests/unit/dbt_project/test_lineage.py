"""dbt flows one way: staging, then intermediate, then marts, and every ref sits in an import CTE.

Read from dbt's manifest: a model may read only its own layer and the layers before it
(sources only from staging), and in every model and singular test each `ref()`/`source()` is
in an import CTE of its own, before the CTEs that work on the imports (STYLE.md section 3). An
import CTE read more than once is `not materialized`: Postgres materializes such a CTE, copying
the whole relation before any filter applies (on 1M events a nightly test took 1.1 s copying
fct_events whole, and 0.1 s inlined, reading the night's 12k rows through indexes).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

# layer -> the layers it may read (itself included); seeds are reference tables analysts edit
# (prices), read where they are needed like a small source
ALLOWED_PARENTS: dict[str, set[str]] = {
    "staging": {"source", "seeds", "staging"},
    "intermediate": {"seeds", "staging", "intermediate"},
    "snapshots": {"staging", "intermediate"},
    "marts": {"seeds", "staging", "intermediate", "snapshots", "marts"},
}

_JINJA_COMMENT = re.compile(r"{#.*?#}", re.DOTALL)
_JINJA_BLOCK = re.compile(r"{{.*?}}|{%.*?%}", re.DOTALL)
_SQL_COMMENT = re.compile(r"--[^\n]*")
_RELATION_CALL = re.compile(r"\b(ref|source)\(\s*(['\"][^)]*)\)")
_SPACE = re.compile(r"\s+")
_WITH = re.compile(r"\bwith\b", re.IGNORECASE)
_CTE_START = re.compile(r"\s*,?\s*(\w+)\s+as\s+(not\s+)?(?:materialized\s+)?\(", re.IGNORECASE)


def _layer(node: dict[str, Any]) -> str:
    if node["resource_type"] == "source":
        return "source"
    if node["resource_type"] == "snapshot":
        return "snapshots"
    if node["resource_type"] == "seed":
        return "seeds"
    return str(node["fqn"][1])


_DEPENDS_ON = re.compile(r"^\s*--\s*depends_on:.*$", re.MULTILINE)


def _without_comments(code: str) -> str:
    """Comments removed, except the Jinja they hold (dbt renders `-- {{ ref('x') }}` too); a
    `-- depends_on:` comment declares a dependency without reading it, so it goes entirely."""
    code = _JINJA_COMMENT.sub("", code)
    code = _DEPENDS_ON.sub("", code)
    return _SQL_COMMENT.sub(lambda match: " ".join(_JINJA_BLOCK.findall(match.group())), code)


def _closing_paren(skeleton: str, opening: int) -> int:
    depth, quoted = 0, False
    for position in range(opening, len(skeleton)):
        char = skeleton[position]
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
            if depth == 0:
                return position
    raise ValueError("unbalanced parentheses")


def _skeleton(code: str) -> str:
    """The code with each Jinja block blanked out (same length, so positions still match)."""
    return _JINJA_BLOCK.sub(lambda match: " " * len(match.group()), code)


def _ctes(code: str) -> list[tuple[str, int, int, bool]]:
    """(name, start, end, not materialized) of each top-level CTE."""
    skeleton = _skeleton(code)
    found = _WITH.search(skeleton)
    if found is None:
        return []
    ctes, position = [], found.end()
    while (start := _CTE_START.match(skeleton, position)) is not None:
        end = _closing_paren(skeleton, start.end() - 1)
        ctes.append((start.group(1), start.end(), end, start.group(2) is not None))
        position = end + 1
    return ctes


def _reads(skeleton: str, name: str, after: int) -> int:
    """How many times the SQL after position `after` reads the relation `name` (from or join);
    a read written inside Jinja (`from {{ 'a' if x else 'b' }}`) is not counted."""
    pattern = re.compile(rf"\b(?:from|join)\s+{re.escape(name)}\b", re.IGNORECASE)
    return len(pattern.findall(skeleton, after))


def import_cte_problems(raw_code: str) -> list[str]:
    """Why the `ref()`/`source()` calls of a model's code are not all in import CTEs."""
    code = _without_comments(raw_code)
    ctes = _ctes(code)
    problems: list[str] = []
    relations_by_cte: dict[str, set[str]] = {}
    for call in _RELATION_CALL.finditer(code):
        arguments = _SPACE.sub("", call.group(2))
        relation = f"{call.group(1)}({arguments})"
        holder = next((name for name, start, end, _ in ctes if start <= call.start() < end), None)
        if holder is None:
            problems.append(f"{relation} outside any CTE")
        else:
            relations_by_cte.setdefault(holder, set()).add(relation)
    for name, relations in relations_by_cte.items():
        if len(relations) > 1:
            problems.append(f"CTE {name} reads {len(relations)} relations: {sorted(relations)}")
    seen: dict[str, str] = {}
    for name, relations in relations_by_cte.items():
        for relation in relations:
            if relation in seen:
                problems.append(f"{relation} imported by both {seen[relation]} and {name}")
            seen[relation] = name
    order = [name in relations_by_cte for name, _, _, _ in ctes]
    if True in order and False in order[: len(order) - order[::-1].index(True)]:
        problems.append("an import CTE comes after a CTE that works on imports")
    skeleton = _skeleton(code)
    for name, _, end, inlined in ctes:
        if name in relations_by_cte and not inlined and (reads := _reads(skeleton, name, end)) > 1:
            problems.append(f"import CTE {name} is read {reads} times: make it not materialized")
    return problems


def test_every_model_sits_in_a_layer(manifest: dict[str, Any]) -> None:
    layers = {
        node["name"]: _layer(node)
        for node in manifest["nodes"].values()
        if node["resource_type"] in {"model", "snapshot"}
    }
    assert {name: layer for name, layer in layers.items() if layer not in ALLOWED_PARENTS} == {}


def test_refs_flow_one_way(manifest: dict[str, Any]) -> None:
    nodes = manifest["nodes"] | manifest["sources"]
    backwards = [
        f"{node['name']} ({_layer(node)}) reads {nodes[parent]['name']} ({_layer(nodes[parent])})"
        for node in manifest["nodes"].values()
        if node["resource_type"] in {"model", "snapshot"}
        for parent in node["depends_on"]["nodes"]
        if _layer(nodes[parent]) not in ALLOWED_PARENTS[_layer(node)]
    ]
    assert backwards == []


def test_every_ref_and_source_sits_in_an_import_cte(manifest: dict[str, Any]) -> None:
    checked = {
        node["original_file_path"]: import_cte_problems(node["raw_code"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        or (node["resource_type"] == "test" and "test_metadata" not in node)
    }
    assert len(checked) >= 35
    assert {path: problems for path, problems in checked.items() if problems} == {}


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        # a logical CTE that reads the relation again instead of its import CTE
        (
            "with a as (select * from {{ ref('x') }}),\n"
            "b as (select * from a where id in (select id from {{ ref('x') }}))\n"
            "select * from b",
            "ref('x') imported by both a and b",
        ),
        ("with a as (select 1)\nselect * from {{ ref('x') }}", "ref('x') outside any CTE"),
        # dbt renders the Jinja of a comment, so a commented-out ref still reads the relation
        ("-- was: {{ ref('x') }}\nwith a as (select 1)\nselect * from a", "outside"),
        (
            "with a as (select * from {{ ref('x') }} join {{ source('s', 't') }} on true)\n"
            "select * from a",
            "CTE a reads 2 relations",
        ),
        (
            "with a as (select 1),\nb as (select * from {{ ref('x') }})\nselect * from b",
            "an import CTE comes after",
        ),
        # read twice: Postgres would copy all of x before filtering either read
        (
            "with a as (select * from {{ ref('x') }})\n"
            "select * from a where id in (select id from a where y > 1)",
            "import CTE a is read 2 times: make it not materialized",
        ),
    ],
)
def test_the_import_cte_check_catches_each_kind_of_stray_ref(code: str, problem: str) -> None:
    assert any(problem in found for found in import_cte_problems(code)), import_cte_problems(code)


def test_a_depends_on_comment_declares_without_reading() -> None:
    code = "-- depends_on: {{ ref('x') }}\nwith a as (select 1)\nselect * from a"
    assert import_cte_problems(code) == []


def test_the_import_cte_check_accepts_the_house_shape() -> None:
    code = """
    {{ config(materialized='incremental') }}
    -- the sessions (a comment with a quote: don't)
    with

    sessions as not materialized (
        select * from {{ ref('stg_sessions') }}
        {% if is_incremental() %}
        where session_id in (select session_id from {{ ref('stg_sessions') }} where x > 1)
        {% endif %}
    ),

    events as (
        {{ without_held_batches(source('prompt_runner', 'events')) }}
    ),

    joined as (
        select sessions.session_id from sessions
        inner join events on sessions.session_id = events.session_id
    ),

    final as (select * from joined)

    select * from final
    """
    assert import_cte_problems(code) == []
