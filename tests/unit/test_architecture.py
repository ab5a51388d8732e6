"""The layers stay layers: each package imports only the packages below it (docs/architecture.md).

core is the base and imports nothing of ours; the loaders (ingest) and the analytics layer sit on
it; the demo data generator and Dagster sit on the loaders; the CLI is the only package that
composes them all. An import that runs back up fails here, with the file and the line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package -> the packages of ours it may import (itself always)
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "ingest": {"core"},
    "analytics": {"core"},
    "synthetic": {"core", "ingest"},
    "orchestration_dagster": {"core", "ingest"},
    "cli": {"core", "ingest", "analytics", "synthetic", "orchestration_dagster"},
}


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) of every import in a module, lazy ones inside functions too."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_the_layers_below_it(package: str) -> None:
    ours = set(ALLOWED)
    allowed = ALLOWED[package] | {package}
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, name in _imports(path)
        if name in ours and name not in allowed
    ]
    assert not wrong, f"{package} may import only {sorted(allowed)}:\n" + "\n".join(wrong)


def test_every_package_of_ours_has_a_rule() -> None:
    packages = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in ("tests", "bench")
    }
    assert packages == set(ALLOWED)


def test_every_module_opens_with_a_sentence_saying_what_it_is_for() -> None:
    silent = []
    for package in ALLOWED:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            docstring = ast.get_docstring(tree) or ""
            first = " ".join(docstring.strip().split("\n\n")[0].split())
            if not first.endswith((".", ":")):
                silent.append(f"{path.relative_to(ROOT)}: {first[:60]!r}")
    assert silent == [], "modules without an opening sentence:\n" + "\n".join(silent)
