"""Every repository path the README and the docs cite exists, so a newcomer who follows one
finds the file (a path under a top-level folder of the project, or a markdown link)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.settings import PROJECT_DIR

DOCS = sorted(
    path
    for path in {
        PROJECT_DIR / "README.md",
        *PROJECT_DIR.glob("*/README.md"),
        *PROJECT_DIR.glob("docs/**/*.md"),
        *PROJECT_DIR.glob("dbt_project/models/**/*.md"),
    }
    # ours, not a tool's cache (.pytest_cache/README.md) or an installed package's
    if not any(part.startswith(".") for part in path.relative_to(PROJECT_DIR).parts)
)
# what a run creates, not the repository
GENERATED = (".warehouse", ".dagster", ".venv", ".tools", "target")
TOP_LEVEL = {path.name for path in PROJECT_DIR.iterdir() if not path.name.startswith(".git")}
CITATION = re.compile(r"`([^`\s]+)`|\]\(([^)\s]+)\)")


def _citations(doc: Path) -> list[str]:
    """Paths in backticks that start with a top-level folder or file, and relative links."""
    cited = []
    for match in CITATION.finditer(doc.read_text(encoding="utf-8")):
        code, link = match.groups()
        path = (code or link).split("#")[0].rstrip(":,.")
        if not path or re.search(r"[<>*{}$|~]|://|^\.\.?$", path) or path.startswith("/"):
            continue
        first = path.split("/")[0]
        if first in GENERATED or (first == "dbt_project" and "/target" in path):
            continue
        if link or ("/" in path and first in TOP_LEVEL) or path in TOP_LEVEL:
            cited.append(path)
    return cited


@pytest.mark.parametrize("doc", DOCS, ids=[str(d.relative_to(PROJECT_DIR)) for d in DOCS])
def test_every_path_a_document_cites_exists(doc: Path) -> None:
    missing = [
        path
        for path in _citations(doc)
        if not (PROJECT_DIR / path).exists() and not (doc.parent / path).exists()
    ]
    assert not missing, f"{doc.relative_to(PROJECT_DIR)} cites paths that do not exist: {missing}"
